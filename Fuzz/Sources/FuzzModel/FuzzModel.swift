import Descent
import DescentNN
import Foundation
import FuzzDriver

/// The model-loading path of `descent predict`: read a model file, then predict two rows with
/// it, so that anything the reader lets through must also be safe to compute with.
@_cdecl("FuzzModel_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        if let saved = try? LinearRegression.SavedModel.read(Data(bytes: bytes, count: count), path: "fuzz.safetensors") {
            let rows = Tensor.ones(2, saved.features.count)
            _ = saved.model.predict(rows)
        }
        return 0
    }
}
