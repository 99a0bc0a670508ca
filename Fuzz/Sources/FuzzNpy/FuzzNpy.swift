import DescentData
import Foundation
import FuzzDriver

/// The `.npy` reader; whatever it returns is summed so that every element is read.
@_cdecl("FuzzNpy_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        if let tensor = try? NumPy.read(Data(bytes: bytes, count: count), path: "fuzz.npy") {
            _ = tensor.sum()
        }
        return 0
    }
}
