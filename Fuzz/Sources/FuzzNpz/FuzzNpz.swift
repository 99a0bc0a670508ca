import DescentData
import Foundation
import FuzzDriver

/// The `.npz` reader: zip directory, stored and deflated entries, and the `.npy` inside.
@_cdecl("FuzzNpz_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        if let tensors = try? NumPy.readArchive(Data(bytes: bytes, count: count), path: "fuzz.npz") {
            for tensor in tensors.values { _ = tensor.sum() }
        }
        return 0
    }
}
