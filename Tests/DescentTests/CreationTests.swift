import Testing
import Descent

/// Factories, views, indexing and dtype rules against PyTorch.
struct CreationTests {
    struct Case: Decodable {
        let name: String
        let tensor: TensorFixture
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("creation", as: File.self).cases) ?? []

    static let x = Tensor.arange(24.0).reshape(2, 3, 4)
    static let m = Tensor.arange(12.0).reshape(3, 4)
    static func i(_ values: [Int]) -> Tensor { Tensor(values, dtype: .int64) }

    static let table: [String: @Sendable () -> Tensor] = [
        "zeros": { Tensor.zeros(2, 3) },
        "ones_int64": { Tensor.ones(2, dtype: .int64) },
        "full": { Tensor.full([2, 2], 7.5) },
        "eye": { Tensor.eye(3) },
        "eye_rect": { Tensor.eye(2, 4) },
        "arange_int": { Tensor.arange(5) },
        "arange_step": { Tensor.arange(0, 10, step: 3) },
        "arange_float": { Tensor.arange(0.0, 1.0, step: 0.25) },
        "arange_negative": { Tensor.arange(5.0, -1.0, step: -1.5) },
        "linspace": { Tensor.linspace(0, 1, steps: 5) },
        "linspace_odd": { Tensor.linspace(-3, 7, steps: 11) },
        "linspace_float64": { Tensor.linspace(0, 1, steps: 7, dtype: .float64) },
        "index_negative": { m[-1] },
        "index_range": { m[1...] },
        "index_two": { m[1, 2...] },
        "index_ellipsis": { x[.ellipsis, 1] },
        "index_newaxis": { m[.newAxis, 1] },
        "index_step": { x[.all, .slice(nil, nil, step: 2), 1..<3] },
        "index_tensor_2d": { m[Tensor([[0, 2], [1, 1]], dtype: .int64)] },
        "index_mask": { m[m .> 5] },
        "index_row_mask": { m[Tensor([true, false, true])] },
        "index_column_gather": { m[.all, i([3, 0])] },
        "nonzero": { Tensor([[0, 1], [2, 0]], dtype: .int64).nonzero() },
        "argmax": { m.argmax() },
        "argmax_dim": { (m * Tensor([1, -1, 1, -1])).argmax(dim: 1) },
        "argmin_dim_keep": { m.argmin(dim: 0, keepDim: true) },
        "max_dim_indices": { Tensor([[1, 5, 5], [7, 2, 7]]).max(dim: 1).indices },
        "where_scalar": { Tensor.where(m .> 4, m, 0.0) },
        "compare_lt": { m .< 5 },
        "compare_eq_broadcast": { m .== Tensor([0, 5, 6, 3]) },
        "to_int64": { Tensor([1.7, -1.7, 2.5]).to(.int64) },
        "to_bool": { Tensor([0, -1.5, 2]).to(.bool) },
        "bool_sum": { (m .> 3).sum() },
        "int_sum_dim": { Tensor.arange(12).reshape(3, 4).sum(dim: 1) },
        "int_add_float": { Tensor.arange(3) + 0.5 },
        "int_div": { Tensor.arange(4) / 2 },
        "int_mul_int": { Tensor.arange(4) * 3 },
        "permute_contiguous": { x.permute(2, 0, 1).contiguous() },
        "cat_three": { Tensor.cat([m[..<1], m, m[2...]], dim: 0) },
        "stack_last": { Tensor.stack([m, m * 2], dim: -1) },
        "squeeze_none": { Tensor.zeros(1, 3, 1, 2).squeeze() },
        "flatten": { x.flatten(start: 1) },
        "pow_negative": { Tensor([-2, 0, 3]).pow(3) },
        "clamp_int": { Tensor.arange(-3, 4).clamp(min: -1, max: 2) },
        "mean_nan": { Tensor([1, Double.nan]).mean() },
        "max_nan": { Tensor([1, Double.nan, 3]).max() },
        "sum_inf": { Tensor([Double.infinity, 1]).sum() },
        "maximum_nan": { Tensor.maximum(Tensor([1, Double.nan]), Tensor([2, 0])) },
        "relu_nan": { Tensor([Double.nan, -1]).relu() },
    ]

    @Test func everyFixtureHasACall() {
        #expect(Self.cases.count == Self.table.count)
    }

    @Test(arguments: cases.map(\.name))
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let make = try #require(Self.table[name], "no Descent call for \(name)")
        let t = make()
        #expect(t.shape == c.tensor.shape)
        #expect(t.dtype == c.tensor.dtypeValue)
        #expect(close(t.scalars(as: Double.self), c.tensor.doubles, rtol: 1e-6, atol: 0))
    }

    @Test func viewsShareStorage() {
        let a = Tensor.zeros(2, 3)
        let row = a[1]
        row.fill(5)
        #expect(a.scalars(as: Float.self) == [0, 0, 0, 5, 5, 5])
        let t = a.t()
        #expect(!t.isContiguous && t.strides == [1, 3])
        a[0] = Tensor([1, 2, 3])
        #expect(t.scalars(as: Float.self) == [1, 5, 2, 5, 3, 5])
        #expect(a.version == 2)
    }

    /// Memory lives as long as any tensor reads it: a view and a `detach()` alias keep it after
    /// the tensor that made it is gone, share its version counter, and see each other's writes,
    /// for a pooled block, a malloc'd one and one from the buffer cache. Under the address
    /// sanitizer this also checks the blocks' holder counts.
    @Test func memoryOutlivesTheTensorThatMadeIt() {
        for n in [3, 300, 40_000] {   // 12 bytes, 1.2 KB and 160 KB of float32
            var view: Tensor?, alias: Tensor?
            do {
                let made = Tensor.arange(Double(n)) + 1   // a fresh result, not a view
                view = made.narrow(0, 1, n - 1)
                alias = made.detach()
            }
            let v = view!, a = alias!
            #expect(v.scalars(as: Float.self).first == 2 && v.scalars(as: Float.self).last == Float(n))
            noGrad { a[0] = Tensor(-7.0) }
            #expect(a.version == 1 && v.version == 1)
            noGrad { v.fill(4) }
            #expect(a.scalars(as: Float.self)[0] == -7 && a.scalars(as: Float.self)[n - 1] == 4)
            #expect(a.version == 2)
            alias = nil   // the view alone holds the memory now
            #expect(v.scalars(as: Float.self).allSatisfy { $0 == 4 })
        }
    }

    /// The public generic conversions dispatch each Swift type to its own code path; every
    /// type must come back as itself, from every dtype.
    @Test func flatValuesOfEverySwiftType() {
        let floats: [Float] = [1.5, -2, 0, 3.25], doubles: [Double] = [1.5, -2, 0, 3.25]
        let ints: [Int] = [1, -2, 0, 3], longs: [Int64] = [1, -2, 0, 3], bools = [true, false, false, true]
        #expect(Tensor(shape: [4], scalars: floats).scalars(as: Float.self) == floats)
        #expect(Tensor(shape: [2, 2], scalars: doubles, dtype: .float64).scalars(as: Double.self) == doubles)
        #expect(Tensor(shape: [4], scalars: ints, dtype: .int64).scalars(as: Int.self) == ints)
        #expect(Tensor(shape: [4], scalars: longs, dtype: .int64).scalars(as: Int64.self) == longs)
        #expect(Tensor(shape: [4], scalars: bools).scalars(as: Bool.self) == bools)
        // Across dtypes: converted element by element, integers truncated toward zero.
        #expect(Tensor(shape: [4], scalars: floats).scalars(as: Int.self) == [1, -2, 0, 3])
        #expect(Tensor(shape: [4], scalars: ints).scalars(as: Double.self) == [1, -2, 0, 3])
        #expect(Tensor(shape: [4], scalars: doubles, dtype: .float32).scalars(as: Float.self) == floats)
        #expect(Tensor(shape: [4], scalars: bools, dtype: .float32).scalars(as: Float.self) == [1, 0, 0, 1])
        #expect(Tensor(shape: [4], scalars: floats, dtype: .bool).scalars(as: Bool.self) == [true, true, false, true])
        #expect(Tensor(shape: [0], scalars: [Float]()).scalars(as: Float.self).isEmpty)
        #expect(Tensor(shape: [2, 0], scalars: [Int](), dtype: .int64).shape == [2, 0])
    }

    @Test func nestedArraysAndFlatValues() {
        #expect(Tensor([[1, 2], [3, 4]]).dtype == .float32)
        #expect(Tensor([true, false]).dtype == .bool)
        #expect(Tensor(3.5).shape == [])
        let t = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4], dtype: .float64)
        #expect(t.rows(as: Double.self) == [[1, 2], [3, 4]])
        #expect(t[0, 1].item(as: Int.self) == 2)
        #expect(Tensor(7).item() == 7)
    }
}
