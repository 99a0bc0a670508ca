import DescentData
import Foundation
import FuzzDriver

/// The safetensors reader; whatever it returns is summed so that every element is read.
@_cdecl("FuzzSafetensors_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        if let file = try? Safetensors.read(Data(bytes: bytes, count: count), path: "fuzz.safetensors") {
            for tensor in file.tensors.values { _ = tensor.sum() }
        }
        return 0
    }
}
