import Descent
import DescentData
import DescentNN
import Foundation
import Testing

/// The model file `descent fit` writes and `descent predict` reads.
struct SavedModelTests {
    static func bytes(_ tensors: [(String, Tensor)], _ metadata: [String: String]) throws -> Data {
        try Safetensors.encode(tensors, metadata: metadata)
    }

    @Test func roundTripKeepsNamesWithCommasAndScaling() throws {
        var model = LinearRegression(weights: Tensor([[1.5, -2.0]]), bias: Tensor([0.25]))
        model.standardization = .init(featureMeans: [1, 2], featureStds: [3, 4], targetMeans: [5], targetStds: [6])
        let saved = LinearRegression.SavedModel(model: model, features: ["rain, mm", "temp \"C\""], targets: ["yield"], source: "a.csv")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.safetensors")
        try saved.write(to: url)
        let loaded = try LinearRegression.SavedModel.read(from: url)
        #expect(loaded.features == saved.features && loaded.targets == ["yield"] && loaded.source == "a.csv")
        #expect(loaded.model.weights.scalars(as: Double.self) == [1.5, -2.0])
        #expect(loaded.model.bias.scalars(as: Double.self) == [0.25])
        #expect(loaded.model.standardization?.featureStds == [3, 4])
        #expect(loaded.model.predict(Tensor([[2.0, 1.0]])).scalars(as: Double.self) == [1.25])
    }

    static let names = ["features": #"["a","b"]"#, "targets": #"["y"]"#]
    static let hostile: [(String, [(String, Tensor)], [String: String], String)] = [
        ("no weight", [("bias", Tensor([Float(0)]))], names, "no tensor named \"weight\""),
        ("no bias", [("weight", Tensor([[Float(1), 2]]))], names, "no tensor named \"bias\""),
        ("no names", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([Float(0)]))], [:], "metadata \"features\" is missing"),
        ("names not JSON", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([Float(0)]))],
         ["features": "a,b", "targets": #"["y"]"#], "metadata \"features\" is missing or not a list"),
        ("duplicate names", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([Float(0)]))],
         ["features": #"["a","a"]"#, "targets": #"["y"]"#], "not a list of column names"),
        ("empty targets", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([Float(0)]))],
         ["features": #"["a","b"]"#, "targets": "[]"], "metadata \"targets\" is missing"),
        ("integer weight", [("weight", Tensor([[1, 2]], dtype: .int64)), ("bias", Tensor([Float(0)]))], names, "coefficients are torch.int64"),
        ("bool bias", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([true]))], names, "coefficients are torch.bool"),
        ("weight shape", [("weight", Tensor([Float(1), 2])), ("bias", Tensor([Float(0)]))], names, "weight has shape [2] but there are 1 target(s) and 2 feature(s)"),
        ("bias shape", [("weight", Tensor([[Float(1), 2]])), ("bias", Tensor([Float(0), 1]))], names, "bias has shape [2] but there are 1 target(s)"),
        ("NaN", [("weight", Tensor([[Float.nan, 2]])), ("bias", Tensor([Float(0)]))], names, "NaN or infinity"),
    ]

    @Test(arguments: hostile.indices)
    func hostileModelFilesThrowWithFileAndProblem(_ i: Int) throws {
        let (name, tensors, metadata, problem) = Self.hostile[i]
        let data = try Self.bytes(tensors, metadata)
        do {
            _ = try LinearRegression.SavedModel.read(data, path: "m.safetensors")
            Issue.record("\(name): read without error")
        } catch let error as TensorFileError {
            #expect(error.path == "m.safetensors")
            #expect(error.problem.contains(problem), "\(name): \(error.problem)")
        }
    }
}
