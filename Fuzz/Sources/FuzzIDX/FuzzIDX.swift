import Descent
import DescentData
import Foundation
import FuzzDriver

/// The IDX reader (MNIST's format) with its gzip decoder; whatever it returns is converted to
/// tensors so that every element is read.
@_cdecl("FuzzIDX_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        if let array = try? IDX.read(Data(bytes: bytes, count: count), path: "fuzz.idx") {
            _ = array.tensor().sum()
            _ = array.scaled().sum()
        }
        return 0
    }
}
