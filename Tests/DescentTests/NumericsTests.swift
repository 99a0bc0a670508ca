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

    /// A row repeated over a large tensor's leading dimensions (a bias) takes its own threaded
    /// kernel; it must give what the same-shape kernel gives on the expanded row.
    @Test(arguments: [1, 2, 3, 7, 64, 100])
    func largeBiasBroadcastsMatchSameShapeResults(_ width: Int) {
        let rows = (1 << 20) / width + 3
        let g = Generator(seed: UInt64(width))
        for dtype in [DType.float32, .float64, .int64] {
            let x = (Tensor.randn(rows, width, generator: g) * 100).to(dtype)
            let b = (Tensor.randn(width, generator: g) * 100).to(dtype)
            let full = b.expand(rows, width).contiguous()
            #expect((x + b).scalars(as: Double.self) == (x + full).scalars(as: Double.self))
            #expect((x - b).scalars(as: Double.self) == (x - full).scalars(as: Double.self))
            #expect((x * b).scalars(as: Double.self) == (x * full).scalars(as: Double.self))
            let batched = x.reshape(1, rows, width)
            #expect((batched + b).shape == [1, rows, width])
            #expect((batched + b).scalars(as: Double.self) == (x + full).scalars(as: Double.self))
        }
    }

    /// Sums over dimensions of size one give each element added to zero, as PyTorch's do:
    /// -0.0 becomes 0.0, NaN stays NaN.
    @Test func sumsOverDimensionsOfSizeOne() {
        let x = Tensor([[-0.0], [1.5], [Double.nan]])
        let s = x.sum(dim: 1).scalars(as: Float.self)
        #expect(s[0] == 0 && s[0].sign == .plus)
        #expect(s[1] == 1.5 && s[2].isNaN)
        let big = Tensor.randn(300_000, 1, generator: Generator(seed: 3))
        #expect(big.sum(dim: 1).scalars(as: Float.self) == big.reshape(-1).scalars(as: Float.self))
        let middle = Tensor.randn(3, 1, 2, dtype: .float64, generator: Generator(seed: 4))
        #expect(middle.sum(dim: 1).shape == [3, 2])
        #expect(middle.sum(dim: 1).scalars(as: Double.self) == middle.reshape(3, 2).scalars(as: Double.self))
        #expect(middle.sum(dims: [1], keepDim: true).shape == [3, 1, 2])
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
