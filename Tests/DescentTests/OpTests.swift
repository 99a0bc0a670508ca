import Testing
@testable import Descent

/// Each op's value, `grad_fn` name and gradients against PyTorch, and a float64 gradcheck.
struct OpTests {
    struct Case: Decodable {
        let name: String
        let inputs: [TensorFixture]
        let requires_grad: [Bool]
        let output: TensorFixture
        let grad_fn: String?
        let upstream: TensorFixture
        let grads: [TensorFixture?]
        /// PyTorch's strides of the result and the gradients with the inputs laid out as
        /// `OpLayoutTests.relaid` lays them (nil where PyTorch refuses that layout).
        let layouts: [String: Strides?]
    }
    struct Strides: Decodable {
        let output: [Int]
        let grads: [[Int]?]
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("ops", as: File.self).cases) ?? []

    @Test func everyFixtureHasAnOp() {
        #expect(Self.cases.count == OpTable.ops.count)
        for c in Self.cases { #expect(OpTable.ops[c.name] != nil, "no Descent op for \(c.name)") }
    }

    @Test(arguments: cases.map(\.name))
    func forwardAndBackwardMatchPyTorch(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        let inputs = zip(c.inputs, c.requires_grad).map { $0.tensor(requiresGrad: $1) }
        let out = op(inputs)
        #expect(out.shape == c.output.shape)
        #expect(out.dtype == c.output.dtypeValue)
        #expect(close(out.scalars(as: Double.self), c.output.doubles), "forward of \(name)")
        #expect(out.gradFn?.name == c.grad_fn)
        out.backward(gradient: c.upstream.tensor())
        for (i, expected) in c.grads.enumerated() {
            guard let expected else { continue }
            let g = try #require(inputs[i].grad, "no gradient for input \(i) of \(name)")
            #expect(g.shape == expected.shape)
            #expect(close(g.scalars(as: Double.self), expected.doubles, rtol: 1e-4, atol: 1e-5), "gradient \(i) of \(name)")
        }
    }

    /// Ops whose value jumps under the finite differences' perturbation at the fixture's
    /// input: `mode` of repeated values (a perturbed copy is no longer the mode).
    static let notDifferentiableAtFixture: Set<String> = ["mode"]

    /// Ops whose gradient is, by PyTorch's definition, not the derivative: an embedding's
    /// padding row gets none, and `scaleGradByFreq` divides by how often a row is used.
    static let gradientByDefinition: Set<String> = ["embedding_padding", "embedding_scale_grad"]

    @Test(arguments: cases.map(\.name).filter { !notDifferentiableAtFixture.contains($0) && !gradientByDefinition.contains($0) })
    func gradcheckInFloat64(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        let inputs = zip(c.inputs, c.requires_grad).map { fixture, grad -> Tensor in
            let t = fixture.tensor()
            return grad ? t.to(.float64).requiresGrad(true) : t
        }
        #expect(try gradcheck(op, inputs: inputs))
    }

    /// Ops whose second derivative Descent does not provide: digamma's needs polygamma(2, x);
    /// grid_sample's, which PyTorch does not have either.
    static let withoutSecondDerivative: Set<String> = [
        // Its second derivative is the composed attention's, checked on the small cases; this
        // case's length (past one block of queries and keys) is for the streaming kernel.
        "sdpa_long_blocks",
        "digamma", "grid_sample", "grid_sample_border_align", "grid_sample_reflection", "grid_sample_nearest",
        "grid_sample_bicubic", "grid_sample_bicubic_reflection", "grid_sample_bicubic_border",
    ]

    @Test(arguments: cases.map(\.name).filter {
        !withoutSecondDerivative.contains($0) && !notDifferentiableAtFixture.contains($0) && !gradientByDefinition.contains($0)
    })
    func gradgradcheckInFloat64(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        let inputs = zip(c.inputs, c.requires_grad).map { fixture, grad -> Tensor in
            let t = fixture.tensor()
            return grad ? t.to(.float64).requiresGrad(true) : t
        }
        #expect(try gradgradcheck(op, inputs: inputs))
    }
}

/// Sums add in PyTorch's order (its `cascade_sum` with 8-lane vectors), so they match bit for bit.
struct SumOrderTests {
    @Test(arguments: ["sum", "sum_long", "sum_columns", "sum_narrow_columns", "sum_three_columns", "sum_short_rows", "sum_short_rows_two", "sum_short_rows_seven", "sum_rows_ten", "sum_rows_twenty_nine", "sum_dim0", "sum_dim1_keep", "sum_dims", "mean", "mean_dim1", "mse_seed", "sum_transposed"])
    func sumsMatchPyTorchExactly(_ name: String) throws {
        let c = try #require(OpTests.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        let inputs = c.inputs.map { $0.tensor() }
        #expect(op(inputs).scalars(as: Double.self) == c.output.doubles, "\(name) differs in the last bits")
    }
}

/// The vectorised form of the cascade's row sums against its scalar form, bit for bit, over
/// the sizes where the cascade changes level and for every width it serves.
struct VectorizedSumTests {
    @Test(arguments: [1, 2, 3, 4, 8])
    func vectorRowSumsAreTheScalarSums(_ width: Int) {
        let generator = Generator(seed: UInt64(width))
        // The last size is past 2^20 steps, where the cascade's levels widen (for one width only,
        // to keep the test short).
        let sizes = [0, 1, 3, 4, 5, 63, 64, 65, 67, 255, 256, 260, 4095, 4096, 4100, 65535, 65536, 65540, 70001, 300_007]
        for rows in sizes + (width == 1 ? [4_194_323] : []) {
            let values = Tensor.randn(rows * width + 1, dtype: .float64, generator: generator) * 1000
            check(values.scalars(as: Float.self), rows, width)
            check(values.scalars(as: Double.self), rows, width)
        }
    }

    /// Sums along short rows, eight rows to a vector, against the scalar sum of each row
    /// (`row_sum` below a vector's length, `vectorized_inner_sum` from there; from four
    /// vectors on, rows are summed one at a time).
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 16, 29, 31, 32, 40])
    func shortRowSumsAreTheScalarSums(_ width: Int) {
        let generator = Generator(seed: UInt64(100 + width))
        for rows in [0, 1, 7, 8, 9, 17, 64, 1001] {
            let x = Tensor.randn(rows, width, dtype: .float64, generator: generator) * 1000
            checkRows(x.scalars(as: Double.self), rows, width, x)
            checkRows(x.scalars(as: Float.self), rows, width, x.to(.float32))
        }
    }

    private func checkRows<T: _FloatElement & TensorScalar>(_ values: [T], _ rows: Int, _ width: Int, _ t: Tensor) {
        let expected: [T] = values.withUnsafeBufferPointer { v in
            (0..<rows).map { r in
                let p = v.baseAddress! + r * width
                return width >= CascadeSum.lanes(T.self) ? CascadeSum.vectorizedInner(p, width) : CascadeSum.row(width) { p[$0] }
            }
        }
        #expect(t.sum(dim: 1).scalars(as: T.self).map { $0.doubleValue.bitPattern } == expected.map { $0.doubleValue.bitPattern },
                "\(T.self) rows \(rows) width \(width)")
    }

    /// Short contiguous sums (fewer than four vectors) take a direct loop; it must add like the
    /// four-stream form it replaces.
    @Test func shortInnerSumsAreTheStreamSums() {
        let generator = Generator(seed: 77)
        for size in 0..<70 {
            let x = Tensor.randn(size + 1, dtype: .float64, generator: generator) * 1000
            inner(x.scalars(as: Double.self), size)
            inner(x.scalars(as: Float.self), size)
        }
    }

    private func inner<T: _FloatElement>(_ values: [T], _ size: Int) {
        values.withUnsafeBufferPointer { v in
            let p = v.baseAddress!
            let l = CascadeSum.lanes(T.self), vectors = size / l
            var laneSums = [T](repeating: 0, count: l)
            laneSums.withUnsafeMutableBufferPointer { out in
                CascadeSum.rowBatch(vectors, width: l, into: out.baseAddress!) { p + $0 * l }
            }
            var expected: T = 0
            for k in (vectors * l)..<size { expected += p[k] }
            for lane in 0..<l { expected += laneSums[lane] }
            #expect(CascadeSum.vectorizedInner(p, size).doubleValue.bitPattern == expected.doubleValue.bitPattern, "\(T.self) size \(size)")
        }
    }

    /// The first four columns of rows four to seven wide (`scalar_outer_sum`'s group of four).
    @Test(arguments: [4, 5, 6, 7])
    func vectorColumnGroupsAreTheScalarSums(_ rowStride: Int) {
        let generator = Generator(seed: UInt64(rowStride))
        for rows in [0, 1, 15, 16, 17, 255, 256, 257, 4096, 65535, 65536, 65537, 300_007] {
            let values = Tensor.randn(rows * rowStride + 1, dtype: .float64, generator: generator) * 1000
            checkGroup(values.scalars(as: Float.self), rows, rowStride)
            checkGroup(values.scalars(as: Double.self), rows, rowStride)
        }
    }

    private func checkGroup<T: _FloatElement>(_ values: [T], _ rows: Int, _ rowStride: Int) {
        values.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            var fast = [T](repeating: 0, count: 4), slow = [T](repeating: 0, count: 4)
            let done = fast.withUnsafeMutableBufferPointer {
                CascadeSum.multiRowVectorized4(p, rows: rows, rowStride: rowStride, into: $0.baseAddress!)
            }
            #expect(done)
            slow.withUnsafeMutableBufferPointer { out in
                CascadeSum.multiRowBatch(rows, width: 4, into: out.baseAddress!) { acc, i in
                    for j in 0..<4 { acc[j] += p[i * rowStride + j] }
                }
            }
            #expect(fast.map { $0.doubleValue.bitPattern } == slow.map { $0.doubleValue.bitPattern }, "\(T.self) rows \(rows) stride \(rowStride)")
        }
    }

    private func check<T: _FloatElement>(_ values: [T], _ rows: Int, _ width: Int) {
        values.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            var fast = [T](repeating: 0, count: width), slow = [T](repeating: 0, count: width)
            let done = fast.withUnsafeMutableBufferPointer {
                CascadeSum.rowBatchVectorized(p, rows: rows, width: width, into: $0.baseAddress!)
            }
            #expect(done)
            slow.withUnsafeMutableBufferPointer { out in
                CascadeSum.rowBatch(rows, width: width, into: out.baseAddress!) { p + $0 * width }
            }
            #expect(fast.map { $0.doubleValue.bitPattern } == slow.map { $0.doubleValue.bitPattern }, "\(T.self) rows \(rows) width \(width)")
        }
    }
}

/// Row gathers (`x[indexTensor]`) of every row width the gather kernel treats specially, and
/// some it does not, against selecting the rows one by one.
struct GatherTests {
    @Test(arguments: [1, 2, 3, 4, 8, 16, 32, 64, 65])
    func rowsMatchOneByOne(_ width: Int) {
        let g = Generator(seed: UInt64(width))
        let rows = 300
        let positions: [Int64] = (0..<100).map { _ in Int64(Tensor.randint(-rows, rows, [1], generator: g).item(as: Int.self)) } + [0, 0, Int64(rows - 1)]
        let index = Tensor(shape: [positions.count], scalars: positions, dtype: .int64)
        for dtype in [DType.float32, .float64, .int64, .bool] {
            let x = (Tensor.randn(rows, width, generator: g) * 10).to(dtype)
            let gathered = x[index]
            #expect(gathered.shape == [positions.count, width])
            for (k, p) in positions.enumerated() {
                let row = Int(p < 0 ? p + Int64(rows) : p)
                #expect(gathered[k].scalars(as: Double.self) == x[row].scalars(as: Double.self), "\(dtype) width \(width) row \(k)")
            }
        }
    }

    /// A non-contiguous index tensor with negative entries gets a contiguous copy that the
    /// normalising loop reads: that copy must outlive the loop (it was freed before, which the
    /// address sanitizer reports; run this suite under `--sanitize=address`).
    @Test func nonContiguousIndexWithNegativeEntries() {
        let x = Tensor(shape: [5, 2], scalars: (0..<10).map(Double.init))
        // Every other entry: 200 positions cycling through -1, 0, -5, 2, with a stride of 2.
        // More than 64 bytes, so the copy comes from malloc, where the sanitizer watches it,
        // and not from the small-block pool.
        let cycle: [Int64] = [-1, 0, -5, 2]
        let raw = Tensor(shape: [400], scalars: (0..<400).map { $0 % 2 == 0 ? cycle[($0 / 2) % 4] : 9 })
        let index = raw[.slice(nil, nil, step: 2)]
        #expect(!index.isContiguous)
        let expected = (0..<200).flatMap { k -> [Double] in
            let row = Int(cycle[k % 4] < 0 ? cycle[k % 4] + 5 : cycle[k % 4])
            return [Double(2 * row), Double(2 * row + 1)]
        }
        #expect(x.indexSelect(0, index).scalars(as: Double.self) == expected)
        #expect(x[index].scalars(as: Double.self) == expected)
    }
}
