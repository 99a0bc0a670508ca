import Testing
import Descent
import DescentNN

/// Linear regression: the exact solution, gradient descent reaching it, metrics, divergence.
struct LinearRegressionTests {
    /// A well-conditioned problem with a known answer: y0 = 3 x0 - 2 x1 + 0.5 x2 + 4,
    /// y1 = -x0 + x2 - 1, plus small noise.
    static func data() -> (Tensor, Tensor, [[Double]], [Double]) {
        let g = Generator(seed: 2)
        let x = Tensor.randn(400, 3, generator: g) * 5 + 10
        let w = [[3.0, -2, 0.5], [-1, 0, 1]], b = [4.0, -1]
        let y = x.matmul(Tensor(w).t()) + Tensor(b) + Tensor.randn(400, 2, generator: g) * 0.01
        return (x, y, w, b)
    }

    @Test func exactFitRecoversCoefficients() {
        let (x, y, w, b) = Self.data()
        let model = LinearRegression.fitExact(x: x, y: y)
        #expect(close(model.weights.scalars(as: Double.self), w.flatMap { $0 }, rtol: 1e-3, atol: 1e-3))
        #expect(close(model.bias.scalars(as: Double.self), b, rtol: 1e-2, atol: 1e-2))
        let metrics = LinearRegression.metrics(predicted: model.predict(x), actual: y)
        #expect(metrics.count == 2 && metrics.allSatisfy { $0.r2 > 0.999 && $0.rmse < 0.02 })
    }

    @Test func adamWithStandardizationReachesTheExactSolution() throws {
        let (x, y, _, _) = Self.data()
        let exact = LinearRegression.fitExact(x: x, y: y)
        let options = LinearRegression.Options(epochs: 3000, lr: 0.01, optimizer: .adam, standardize: true)
        let (model, losses) = try LinearRegression.fit(x: x, y: y, options: options)
        #expect(losses.count == 3000 && losses.last! < losses.first!)
        #expect(close(model.weights.scalars(as: Double.self), exact.weights.scalars(as: Double.self), rtol: 1e-3, atol: 1e-4))
        #expect(close(model.bias.scalars(as: Double.self), exact.bias.scalars(as: Double.self), rtol: 1e-3, atol: 1e-3))
    }

    @Test func minibatchesAndMomentumAlsoConverge() throws {
        let (x, y, _, _) = Self.data()
        let exact = LinearRegression.fitExact(x: x, y: y)
        let options = LinearRegression.Options(epochs: 150, lr: 0.01, optimizer: .momentum, batchSize: 32, standardize: true)
        let (model, _) = try LinearRegression.fit(x: x, y: y, options: options)
        #expect(close(model.weights.scalars(as: Double.self), exact.weights.scalars(as: Double.self), rtol: 2e-2, atol: 2e-2))
    }

    @Test func divergenceStopsWithAdvice() {
        let (x, y, _, _) = Self.data()
        do {
            _ = try LinearRegression.fit(x: x, y: y, options: .init(epochs: 100, lr: 1.0))
            Issue.record("expected divergence")
        } catch let error as TrainingError {
            #expect("\(error)".contains("smaller learning rate"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
