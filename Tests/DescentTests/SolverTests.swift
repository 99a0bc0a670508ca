import Testing
import Descent

/// Cholesky, solve and least squares against torch.linalg.
struct SolverTests {
    struct Case: Decodable {
        let name: String
        let inputs: [TensorFixture]
        let output: TensorFixture
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("solvers", as: File.self).cases) ?? []

    @Test(arguments: cases.map(\.name))
    func matchesTorchLinalg(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let inputs = c.inputs.map { $0.tensor() }
        let out: Tensor
        switch name {
        case "cholesky": out = inputs[0].cholesky()
        case "solve_matrix", "solve_vector": out = Tensor.solve(inputs[0], inputs[1])
        default: out = Tensor.lstsq(inputs[0], inputs[1])
        }
        #expect(out.shape == c.output.shape)
        #expect(out.dtype == c.output.dtypeValue)
        let tolerance = out.dtype == .float64 ? 1e-10 : 1e-5
        #expect(close(out.scalars(as: Double.self), c.output.doubles, rtol: tolerance, atol: tolerance), "\(name)")
    }

    @Test func lstsqRecoversAnExactFit() {
        // y = 2 x0 - 3 x1 + 0.5, with a column of ones for the intercept.
        let x = Tensor([[1, 2, 1], [2, 0, 1], [3, 5, 1], [4, 1, 1], [5, 7, 1]], dtype: .float64)
        let y = x.matmul(Tensor([2, -3, 0.5], dtype: .float64))
        #expect(close(Tensor.lstsq(x, y).scalars(as: Double.self), [2, -3, 0.5], rtol: 1e-12, atol: 1e-12))
    }

    @Test func lstsqGivesZeroForADependentColumn() {
        let x = Tensor([[1, 2, 2], [2, 0, 0], [3, 5, 5], [4, 1, 1]], dtype: .float64)
        let y = Tensor([1, 2, 3, 4], dtype: .float64)
        let solution = Tensor.lstsq(x, y)
        // The fit is still the best possible one.
        let residual = (x.matmul(solution) - y).pow(2).sum().item()
        let reduced = Tensor.lstsq(x[.all, 0..<2], y)
        let best = (x[.all, 0..<2].matmul(reduced) - y).pow(2).sum().item()
        #expect(Swift.abs(residual - best) < 1e-10)
    }
}
