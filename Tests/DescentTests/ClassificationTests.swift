import Descent
import DescentData
import DescentNN
import Foundation
import Testing

/// Logistic and softmax regression against scikit-learn's `LogisticRegression` on the tables
/// it ships (fixtures from Scripts/make_fit_fixtures.py).
struct ClassificationTests {
    struct Case: Decodable {
        let table: String
        let classes: [String]
        let l2: Double
        let standardize: Bool
        let weights: [[Double]]
        let bias: [Double]
        let probabilities: [[Double]]
        let metrics: Scores
    }
    struct Scores: Decodable {
        let accuracy: Double, balanced_accuracy: Double, log_loss: Double
        let precision: [Double], recall: [Double], f1: [Double], support: [Int]
        let macro_f1: Double, weighted_f1: Double
        let confusion: [[Int]]
        let roc_auc: Double
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("fit/sklearn_logistic", as: File.self).cases) ?? []

    static func table(_ name: String) throws -> (x: Tensor, labels: ClassLabels) {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Fixtures/fit"))
        let table = try CSV.read(from: url, keepText: true)
        let features = table.columns.filter { $0 != "label" }
        return (try table.tensor(columns: features, dtype: .float64), try ClassLabels(table.cells("label")))
    }

    @Test func fixturesArePresent() {
        #expect(Self.cases.count == 5)
    }

    @Test(arguments: 0..<5)
    func newtonMatchesScikitLearn(_ index: Int) throws {
        let c = try #require(Self.cases.count > index ? Self.cases[index] : nil)
        let (x, labels) = try Self.table(c.table)
        #expect(labels.classes == c.classes)
        let fit = try LogisticRegression.fitExact(x: x, labels: labels.indices, classes: labels.classes, l2: c.l2, standardize: c.standardize)
        let w = fit.model.weights.rows(as: Double.self), b = fit.model.bias.scalars(as: Double.self)
        let p = fit.model.probabilities(x).rows(as: Double.self)
        let label = "\(c.table) l2 \(c.l2) standardize \(c.standardize)"
        #expect(close(w.flatMap { $0 }, c.weights.flatMap { $0 }, rtol: 1e-4, atol: 1e-4), "\(label): weights")
        #expect(close(b, c.bias, rtol: 1e-4, atol: 1e-4), "\(label): bias")
        #expect(close(p.flatMap { $0 }, c.probabilities.flatMap { $0 }, rtol: 0, atol: 1e-4), "\(label): probabilities")
    }

    @Test(arguments: 0..<5)
    func metricsMatchScikitLearn(_ index: Int) throws {
        let c = try #require(Self.cases.count > index ? Self.cases[index] : nil)
        let (_, labels) = try Self.table(c.table)
        let p = Tensor(c.probabilities.flatMap { $0 }, dtype: .float64).reshape(-1, c.classes.count)
        let m = ClassificationMetrics(probabilities: p, labels: labels.indices, classes: labels.classes)
        let e = c.metrics
        #expect(m.confusion == e.confusion)
        #expect(Swift.abs(m.accuracy - e.accuracy) < 1e-12 && Swift.abs(m.balancedAccuracy - e.balanced_accuracy) < 1e-12)
        #expect(Swift.abs(m.logLoss - e.log_loss) < 1e-9)
        #expect(close(m.perClass.map(\.precision), e.precision, rtol: 1e-12, atol: 1e-12))
        #expect(close(m.perClass.map(\.recall), e.recall, rtol: 1e-12, atol: 1e-12))
        #expect(close(m.perClass.map(\.f1), e.f1, rtol: 1e-12, atol: 1e-12))
        #expect(m.perClass.map(\.support) == e.support)
        #expect(Swift.abs(m.macro.f1 - e.macro_f1) < 1e-12 && Swift.abs(m.weighted.f1 - e.weighted_f1) < 1e-12)
        #expect(Swift.abs(m.rocAUC! - e.roc_auc) < 1e-12, "\(m.rocAUC!) \(e.roc_auc)")
    }

    @Test func gradientDescentReachesTheExactSolution() throws {
        let c = try #require(Self.cases.first { $0.table == "iris" && $0.standardize })
        let (x, labels) = try Self.table("iris")
        let (model, losses) = try LogisticRegression.fit(
            x: x, labels: labels.indices, classes: labels.classes, l2: c.l2,
            options: .init(epochs: 3000, lr: 0.05, optimizer: .adam, standardize: true))
        #expect(losses.last! < losses.first!)
        let p = model.probabilities(x).rows(as: Double.self)
        #expect(close(p.flatMap { $0 }, c.probabilities.flatMap { $0 }, rtol: 0, atol: 2e-3))
    }

    @Test func separableClassesHaveNoFiniteOptimum() throws {
        // Setosa against the rest is separable by petal length alone.
        let (x, labels) = try Self.table("iris")
        let setosa = (labels.indices .!= 0).to(.int64)
        #expect(throws: LogisticRegression.ExactFitError.self) {
            _ = try LogisticRegression.fitExact(x: x, labels: setosa, classes: ["setosa", "other"])
        }
        // With a penalty the optimum is finite.
        let fit = try LogisticRegression.fitExact(x: x, labels: setosa, classes: ["setosa", "other"], l2: 1e-3)
        #expect(fit.model.weights.abs().max().item() < 100)
    }

    @Test func labelsAreSortedAsNumbersOrText() throws {
        #expect(try ClassLabels(["10", "9", "10"]).classes == ["9", "10"])
        #expect(try ClassLabels(["b", "a", "10"]).classes == ["10", "a", "b"])
        #expect(throws: ClassLabels.Problem.oneClass("a")) { try ClassLabels(["a", "a"]) }
        #expect(throws: ClassLabels.Problem.missing(row: 2)) { try ClassLabels(["a", ""]) }
    }
}
