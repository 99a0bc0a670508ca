import DescentData
import Foundation
import FuzzDriver

/// The CIFAR-10 and CIFAR-100 batch reader (the first byte chooses which).
@_cdecl("FuzzCIFAR_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        guard count > 0 else { return 0 }
        let variant: CIFAR.Variant = bytes[0] & 1 == 0 ? .cifar10 : .cifar100
        if let batch = try? CIFAR.read(Data(bytes: bytes + 1, count: count - 1), path: "fuzz.bin", variant: variant) {
            _ = batch.images.reduce(0) { $0 &+ Int($1) }
        }
        return 0
    }
}
