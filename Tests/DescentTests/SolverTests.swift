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

    /// Sizes that cross the blocked kernels' block edges (64 for Cholesky, 96 for LU, the
    /// streaming QR's row blocks and threads), checked by what a solution must satisfy.
    @Test func blockedSolversSatisfyTheirEquations() {
        let g = Generator(seed: 7)
        let n = 203
        let a = Tensor.randn(n, n, dtype: .float64, generator: g) + Tensor.eye(n, dtype: .float64) * 4
        let b = Tensor.randn(n, 3, dtype: .float64, generator: g)
        let x = Tensor.solve(a, b)
        #expect((a.matmul(x) - b).abs().max().item() < 1e-10)
        let spd = a.matmul(a.t()) + Tensor.eye(n, dtype: .float64)
        let l = spd.cholesky()
        #expect((l.matmul(l.t()) - spd).abs().max().item() < 1e-9 * spd.abs().max().item())
        #expect(l.triu(1).abs().max().item() == 0)

        let tall = Tensor.randn(5003, 41, dtype: .float64, generator: g) * Tensor.linspace(0.1, 30, steps: 41, dtype: .float64)
        let rhs = Tensor.randn(5003, 2, dtype: .float64, generator: g)
        let coefficients = Tensor.lstsq(tall, rhs)
        // The residual is orthogonal to every column, and the normal equations agree.
        let residual = tall.matmul(coefficients) - rhs
        #expect(tall.t().matmul(residual).abs().max().item() < 1e-9 * tall.abs().max().item() * rhs.abs().max().item())
        let normal = Tensor.solve(tall.t().matmul(tall), tall.t().matmul(rhs))
        #expect((coefficients - normal).abs().max().item() < 1e-8)

        // float32 rows and a column of ones, streamed without the design matrix.
        let x32 = tall.to(.float32)
        let withOnes = Tensor.cat([x32.to(.float64), Tensor.ones(5003, 1, dtype: .float64)], dim: 1)
        #expect((Tensor._leastSquares(x32, appendingOnes: true, rhs) - Tensor.lstsq(withOnes, rhs)).abs().max().item() < 1e-10)
    }

    @Test func lstsqGivesZeroToADependentColumn() {
        let g = Generator(seed: 3)
        let x = Tensor.randn(500, 3, dtype: .float64, generator: g)
        let duplicated = Tensor.cat([x, x[.all, 1..<2] * 2], dim: 1)   // column 3 = 2 * column 1
        let y = x.matmul(Tensor([1, -2, 0.5], dtype: .float64))
        let solution = Tensor.lstsq(duplicated, y).scalars(as: Double.self)
        #expect(solution.filter { $0 == 0 }.count == 1)
        #expect((duplicated.matmul(Tensor(solution, dtype: .float64)) - y).abs().max().item() < 1e-10)
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
