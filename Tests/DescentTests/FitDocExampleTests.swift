import Descent
import DescentData
import DescentNN
import Foundation
import Testing

/// The DocC examples of the tabular toolkit (`descent fit`'s library side), as written there.
struct FitDocExampleTests {
    /// y = 2 a - b + 0.5 c + 1 on 40 rows, and labels from its sign.
    static func data() -> (x: Tensor, y: Tensor) {
        let g = Generator(seed: 1)
        let x = Tensor.randn(40, 3, generator: g)
        return (x, x.matmul(Tensor([2, -1, 0.5]).reshape(3, 1)) + 1)
    }

    @Test func gradientDescentTrain() throws {
        let (x, y) = Self.data()
        let g = Generator(seed: 0)
        let w = Tensor.randn(1, 3, generator: g, requiresGrad: true), b = Tensor.randn(1, generator: g, requiresGrad: true)
        let losses = try GradientDescent.train(
            parameters: [("weight", w), ("bias", b)], x: x, y: y,
            options: .init(epochs: 100, lr: 0.1, optimizer: .adam), generator: g) { xb, yb in
                let d = Tensor.linear(xb, weight: w, bias: b) - yb
                return (d * d).sum()
            }
        #expect(losses.count == 100 && losses.last! < losses.first! / 10)
    }

    @Test func logisticRegressionAndItsFile() throws {
        let x = Tensor([[0.0, 1], [1, 0.5], [2, 2], [0.5, 0]])
        let labels = Tensor([0, 1, 1, 0], dtype: .int64)
        let exact = try LogisticRegression.fitExact(x: x, labels: labels, classes: ["no", "yes"], l2: 0.01)
        let p = exact.model.probabilities(x)   // [4, 2]
        #expect(p.shape == [4, 2])

        let fitted = exact.model
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("iris.safetensors")
        let saved = LogisticRegression.SavedModel(model: fitted, features: ["petal_length", "petal_width"], target: "species")
        try saved.write(to: url)
        let loaded = try LogisticRegression.SavedModel.read(from: url)
        #expect(loaded.model.classes == ["no", "yes"] && loaded.target == "species")
        #expect(close(loaded.model.probabilities(x).scalars(as: Double.self), p.scalars(as: Double.self), rtol: 1e-6, atol: 1e-6))
    }

    @Test func classLabels() throws {
        let labels = try ClassLabels(["b", "a", "b"])
        #expect(labels.classes == ["a", "b"] && labels.indices.scalars(as: Int.self) == [1, 0, 1])
    }

    @Test func featureEncoding() throws {
        let table = try CSV.parse(Data("size,colour\n1,red\n,blue\n3,red\n".utf8), keepMissing: true, keepText: true)
        let encoding = try FeatureEncoding.fit(table, columns: ["size", "colour"], impute: .mean)
        #expect(encoding.featureNames == ["size", "colour=blue", "colour=red"])
        let x = try encoding.encode(table)     // [rows, 3] float32
        #expect(x.scalars(as: Double.self) == [1, 0, 1, 2, 1, 0, 3, 0, 1])
    }

    @Test func classificationMetrics() throws {
        let (x, y) = Self.data()
        let labels = try ClassLabels(y.scalars(as: Double.self).map { $0 > 1 ? "high" : "low" })
        let model = try LogisticRegression.fitExact(x: x, labels: labels.indices, classes: labels.classes, l2: 0.1).model
        let m = ClassificationMetrics(probabilities: model.probabilities(x), labels: labels.indices, classes: labels.classes)
        #expect(m.accuracy > 0.8 && (m.rocAUC ?? 0) > 0.9)
    }

    @Test func multilayerPerceptron() {
        exclusiveGlobalGenerator {
            let x = Tensor.randn(5, 4)
            let g = Generator(seed: 0)
            let net = MultilayerPerceptron(inputs: 4, hidden: [16], outputs: 3, activation: .relu, generator: g)
            let logits = net(x)   // [rows, 3]
            #expect(logits.shape == [5, 3])
            #expect(net.namedParameters.map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        }
    }
}
