import Testing
import CDescentKernels
@testable import Descent

/// Every matrix-product backend against a float64 reference, across block edges, transposed
/// operands and the multi-threaded splits.
@Suite(.serialized) struct MatmulTests {
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1000, 1), (7, 300, 19), (130, 257, 70), (64, 64, 64), (2, 5000, 32), (300, 3, 200), (5, 3, 2),
        // Skinny shapes: a narrow output from long rows, and a small output from a long sum.
        (1000, 32, 2), (1000, 37, 5), (32, 1000, 2), (70, 999, 3), (40, 3000, 8),
        // A short, wide first operand with a long row-major second (g^T x): computed transposed.
        (3, 4000, 9), (7, 2000, 33), (1, 500, 17),
    ]

    static func reference(_ a: Tensor, _ b: Tensor) -> [Double] {
        a.to(.float64).matmul(b.to(.float64)).scalars(as: Double.self)
    }

    /// Each backend is called explicitly: switching the global one would change other tests'
    /// numbers while they run in parallel.
    @Test(arguments: MatmulBackend.allCases)
    func backendMatchesReference(_ backend: MatmulBackend) throws {
        guard backend.isAvailable else { return }
        let g = Generator(seed: 3)
        func product(_ a: Tensor, _ b: Tensor) -> [Double] {
            MatmulKernel.batched(a, b, batch: 0, m: a.shape[0], k: a.shape[1], n: b.shape[1], backend: backend).scalars(as: Double.self)
        }
        for (m, k, n) in Self.shapes {
            let a = Tensor.randn(m, k, generator: g), b = Tensor.randn(k, n, generator: g)
            let expected = Self.reference(a, b)
            #expect(close(product(a, b), expected, rtol: 1e-4, atol: 1e-3), "\(backend) \(m)x\(k)x\(n)")
            // Transposed operands are read through their strides.
            let at = a.t().contiguous().t(), bt = b.t().contiguous().t()
            #expect(!at.isContiguous || m == 1 || k == 1)
            #expect(close(product(at, bt), expected, rtol: 1e-4, atol: 1e-3), "\(backend) transposed \(m)x\(k)x\(n)")
            #expect(close(product(at, b), expected, rtol: 1e-4, atol: 1e-3), "\(backend) first transposed \(m)x\(k)x\(n)")
            #expect(close(product(a, bt), expected, rtol: 1e-4, atol: 1e-3), "\(backend) second transposed \(m)x\(k)x\(n)")
        }
    }

    /// OpenBLAS starts one thread per core on its own; Descent hands it its thread count.
    @Test func openBLASTakesDescentsThreadCount() throws {
        guard MatmulBackend.openBLAS.isAvailable else { return }
        descent_openblas_set_threads(1)
        #expect(descent_openblas_threads() == 1)
        descent_openblas_set_threads(2)
        #expect(descent_openblas_threads() == 2)
        descent_openblas_set_threads(Int32(Threads.count))
    }

    /// A transposed first operand is packed by moving its columns, a contiguous one by register
    /// transposes: the packed panels, and so the products, are the same bits.
    @Test func transposedFirstOperandPacksToTheSameBits() {
        let saved = MatmulBackend.current
        defer { MatmulBackend.current = saved }
        MatmulBackend.current = .avx2
        let g = Generator(seed: 9)
        for (m, k, n) in [(512, 1600, 64), (131, 300, 70), (7, 257, 33), (130, 258, 70)] {
            let stored = Tensor.randn(k, m, generator: g), b = Tensor.randn(k, n, generator: g)
            let view = stored.t(), copy = stored.t().contiguous()
            let bits = { (t: Tensor) in t.scalars(as: Float.self).map { $0.bitPattern } }
            #expect(bits(view.matmul(b)) == bits(copy.matmul(b)), "\(m)x\(k)x\(n)")
        }
    }

    /// A last row panel of one to three rows runs through kernels that take several column
    /// panels at once (an LSTM step's m = 32 products); its rows must be the bits they are when
    /// more rows follow and they fall in a full panel instead. Plain and prepacked B, one and
    /// two blocks of k, written and accumulated, with a partial column panel at the end.
    @Test func lastRowPanelIsTheSameBitsAsAFullOne() {
        let g = Generator(seed: 12)
        for (m, k, n) in [(31, 128, 512), (32, 512, 128), (33, 300, 200), (122, 64, 40), (1, 70, 100), (2, 20, 16)] {
            let full = (m + 5) / 6 * 6
            let a = Tensor.randn(full, k, generator: g).scalars(as: Float.self)
            let b = Tensor.randn(k, n, generator: g).scalars(as: Float.self)
            let start = Tensor.randn(full, n, generator: g).scalars(as: Float.self)
            var packed = [Float](repeating: 0, count: Int(descent_sgemm_packed_b_floats(Int64(k), Int64(n))))
            descent_sgemm_pack_b(Int64(k), Int64(n), b, Int64(n), 1, &packed)
            for accumulate: Int32 in [0, 1] {
                for prepacked in [false, true] {
                    func product(rows: Int) -> [UInt32] {
                        var c = Array(start[0 ..< rows * n])
                        if prepacked {
                            descent_sgemm_prepacked(Int64(rows), Int64(n), Int64(k), a, Int64(k), 1, packed, &c, Int64(n), accumulate)
                        } else {
                            descent_sgemm(Int32(DESCENT_SGEMM_AVX2), Int64(rows), Int64(n), Int64(k), a, Int64(k), 1,
                                          b, Int64(n), 1, &c, Int64(n), accumulate)
                        }
                        return c.map(\.bitPattern)
                    }
                    let alone = product(rows: m), padded = product(rows: full)
                    #expect(alone == Array(padded[0 ..< m * n]), "\(m)x\(k)x\(n) accumulate \(accumulate) prepacked \(prepacked)")
                }
            }
        }
    }

    @Test func threadedSplitsAgree() {
        let g = Generator(seed: 4)
        for (m, k, n) in [(300, 200, 400), (400, 200, 10), (2, 100_000, 32)] {
            let a = Tensor.randn(m, k, generator: g), b = Tensor.randn(k, n, generator: g)
            let one = withThreads(1) { a.matmul(b).scalars(as: Double.self) }
            let two = withThreads(2) { a.matmul(b).scalars(as: Double.self) }
            #expect(close(two, one, rtol: 1e-4, atol: 1e-3), "\(m)x\(k)x\(n)")
        }
    }

    @Test func threadedElementwiseAgrees() {
        let g = Generator(seed: 6)
        let a = Tensor.randn(700_000, generator: g), b = Tensor.randn(700_000, generator: g)
        func results() -> [[Float]] {
            let c = a.clone()
            c += b
            return [(a + b), (a * b), (a - 2.5), (a * 3.0), c].map { $0.scalars(as: Float.self) }
        }
        let one = withThreads(1) { results() }
        #expect(withThreads(2) { results() } == one)
    }

    @Test func gradientsThroughTheFastPath() {
        let g = Generator(seed: 5)
        let x = Tensor.randn(40, 30, generator: g, requiresGrad: true)
        let w = Tensor.randn(20, 30, generator: g, requiresGrad: true)
        x.matmul(w.t()).sum().backward()
        let x64 = x.detach().to(.float64), w64 = w.detach().to(.float64)
        let ones = Tensor.ones(40, 20, dtype: .float64)
        #expect(close(x.grad!.scalars(as: Double.self), ones.matmul(w64).scalars(as: Double.self), rtol: 1e-4, atol: 1e-4))
        #expect(close(w.grad!.scalars(as: Double.self), ones.t().matmul(x64).scalars(as: Double.self), rtol: 1e-4, atol: 1e-4))
    }
}
