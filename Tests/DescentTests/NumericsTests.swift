import Testing
import Descent

/// Long reductions stay accurate; NaN and infinity propagate as in PyTorch.
struct NumericsTests {
    @Test func tenMillionFloat32ValuesSumLikeFloat64() {
        let x = Tensor.rand(10_000_000, generator: Generator(seed: 1)) + 0.5
        let x64 = x.to(.float64)
        func relative(_ a: Double, _ b: Double) -> Double { Swift.abs(a - b) / Swift.abs(b) }
        #expect(relative(x.sum().item(), x64.sum().item()) < 1e-6)
        #expect(relative(x.mean().item(), x64.mean().item()) < 1e-6)
        #expect(relative(x.var().item(), x64.var().item()) < 1e-6)
        let columns = x.reshape(10_000, 1_000)
        let colSums = columns.sum(dim: 0).scalars(as: Double.self)
        let colSums64 = columns.to(.float64).sum(dim: 0).scalars(as: Double.self)
        #expect(zip(colSums, colSums64).allSatisfy { relative($0, $1) < 1e-6 })
    }

    @Test func nonFiniteValuesPropagate() {
        let x = Tensor([1, Double.nan, 3])
        #expect(x.sum().item().isNaN && x.mean().item().isNaN && x.max().item().isNaN && x.min().item().isNaN)
        #expect(x.argmax().item() == 1)
        #expect((x .> 0).scalars(as: Bool.self) == [true, false, true])
        #expect((x .!= x).scalars(as: Bool.self) == [false, true, false])
        let inf = Tensor([1, Double.infinity])
        #expect(inf.sum().item() == .infinity)
        #expect((inf - inf).sum().item().isNaN)
        #expect(Tensor.maximum(x, Tensor([0, 0, 0])).scalars(as: Double.self)[1].isNaN)
    }
}
