import Descent
import DescentNN
import Foundation
import FuzzDriver

/// The model-loading paths of `descent predict` (linear models, classifiers, networks): read a
/// model file, then predict two rows with it, so that anything the reader lets through must
/// also be safe to compute with.
@_cdecl("FuzzModel_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        let data = Data(bytes: bytes, count: count)
        if let saved = try? LinearRegression.SavedModel.read(data, path: "fuzz.safetensors") {
            _ = saved.model.predict(Tensor.ones(2, saved.features.count))
        }
        if let saved = try? LogisticRegression.SavedModel.read(data, path: "fuzz.safetensors") {
            _ = saved.model.probabilities(Tensor.ones(2, saved.features.count))
        }
        if let saved = try? MultilayerPerceptron.SavedModel.read(data, path: "fuzz.safetensors") {
            _ = saved.model.predict(Tensor.ones(2, saved.features.count))
        }
        return 0
    }
}
