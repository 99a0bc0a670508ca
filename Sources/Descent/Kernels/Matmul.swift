import CDescentKernels

/// The implementation behind float32 matrix products.
///
/// Descent runs its own AVX2/FMA kernel on CPUs that have it, otherwise portable C. OpenBLAS,
/// found at run time when the machine has it (nothing to install for building), is there to
/// choose: on the benchmark's training steps Descent's kernel measured ahead of it (small and
/// thin products, where OpenBLAS's copies and its pass over C cost the most). Set
/// `DESCENT_MATMUL=openblas|avx2|generic` or ``current`` to choose one.
/// Every backend runs on at most ``Threads/count`` threads (OpenBLAS is told that count), and
/// products bound by memory, such as `x[n, 32] @ w^T` with a narrow result, always take
/// Descent's own streaming kernels.
///
/// ```swift
/// print(MatmulBackend.current)   // avx2
/// ```
public enum MatmulBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Portable C, any CPU.
    case generic
    /// Descent's packed kernel with an AVX2/FMA micro-kernel.
    case avx2
    /// `cblas_sgemm` from OpenBLAS, loaded at run time.
    case openBLAS = "openblas"

    /// Whether this backend can run on this machine.
    public var isAvailable: Bool {
        switch self {
        case .generic: true
        case .avx2: descent_cpu_has_avx2_fma() != 0
        case .openBLAS: descent_openblas_available() != 0
        }
    }

    public var description: String { rawValue }

    // An index into `allCases` in an atomic rather than the value behind a lock: every matrix
    // product reads it, and a relaxed atomic load is a plain load.
    private static let selected = Atomic<Int>(MatmulBackend.allCases.firstIndex(of: MatmulBackend.automatic)!)

    private static var automatic: MatmulBackend {
        if let forced = _environment("DESCENT_MATMUL").flatMap(MatmulBackend.init(rawValue:)), forced.isAvailable {
            return forced
        }
        return MatmulBackend.avx2.isAvailable ? .avx2 : .generic
    }

    /// The backend in use. Setting an unavailable one keeps the current one.
    public static var current: MatmulBackend {
        get { allCases[selected.load(ordering: .relaxed)] }
        set { if newValue.isAvailable { selected.store(allCases.firstIndex(of: newValue)!, ordering: .relaxed) } }
    }

    var kernelID: Int32 {
        switch self {
        case .generic: Int32(DESCENT_SGEMM_GENERIC)
        case .avx2: Int32(DESCENT_SGEMM_AVX2)
        case .openBLAS: Int32(DESCENT_SGEMM_OPENBLAS)
        }
    }
}

import Synchronization

/// Matrix-product kernels.
enum MatmulKernel {
    /// Below this many multiply-adds the packed kernels' setup costs more than it saves, and
    /// the direct loop also adds in the same order as PyTorch's small products.
    static let directLimit = 4096

    /// `c[m, n] = a[m, k] @ b[k, n]` for any strides of `a` and `b`; `c` is contiguous.
    /// Accumulates in the element type, as BLAS does.
    @inline(__always)
    static func direct<T: _NumericElement>(
        _ a: UnsafePointer<T>, _ rsa: Int, _ csa: Int, _ b: UnsafePointer<T>, _ rsb: Int, _ csb: Int,
        _ c: UnsafeMutablePointer<T>, m: Int, k: Int, n: Int
    ) {
        // One running sum per output in a register, over p in order: the same additions, in
        // the same order, as accumulating into `c` row by row, without a store per step.
        // Pointers step along k (no index products, and none of their overflow checks: the
        // loop was twelve instructions per multiply-add, now seven).
        for i in 0..<m {
            let ai = a + i &* rsa
            for j in 0..<n {
                var pa = ai, pb = b + j &* csb
                var sum = T.zero
                for _ in 0..<k {
                    sum += pa.pointee * pb.pointee
                    pa += csa
                    pb += rsb
                }
                c[i &* n &+ j] = sum
            }
        }
    }

    /// float32 product through the selected backend, split over threads when large.
    static func sgemm(
        _ a: UnsafePointer<Float>, _ rsa: Int, _ csa: Int, _ b: UnsafePointer<Float>, _ rsb: Int, _ csb: Int,
        _ c: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int, backend requested: MatmulBackend? = nil
    ) {
        if m * n * k < directLimit {
            direct(a, rsa, csa, b, rsb, csb, c, m: m, k: k, n: n)
            return
        }
        let backend = requested ?? .current
        let kernel = backend.kernelID
        // Memory-bound shapes take Descent's skinny kernels whatever the backend: they read the
        // long operand once, where OpenBLAS packs it first (fullbatch_1m_x32 ran at half speed
        // through OpenBLAS, even with all its threads).
        if skinny(kernel, a, rsa, csa, b, rsb, csb, c, m: m, k: k, n: n) { return }
        if backend == .openBLAS {
            descent_openblas_set_threads(Int32(Threads.count))
            descent_sgemm(kernel, Int64(m), Int64(n), Int64(k), a, Int64(rsa), Int64(csa), b, Int64(rsb), Int64(csb), c, Int64(n), 0)
            return
        }
        let flops = m * n * k
        let threads = Threads.parts(work: flops, grain: 1 << 21)
        if threads <= 1 {
            descent_sgemm(kernel, Int64(m), Int64(n), Int64(k), a, Int64(rsa), Int64(csa), b, Int64(rsb), Int64(csb), c, Int64(n), 0)
            return
        }
        let pc = _UncheckedSendable(c)
        if n >= 64 * threads || m >= 64 * threads {
            // Split the larger output side: each thread owns its own rows or columns of C.
            let alongN = n >= m
            let total = alongN ? n : m
            let step = (total + threads - 1) / threads
            Threads.run(threads) { t in
                let lo = t * step, hi = Swift.min(total, lo + step)
                guard lo < hi else { return }
                if alongN {
                    descent_sgemm(kernel, Int64(m), Int64(hi - lo), Int64(k), a, Int64(rsa), Int64(csa),
                                  b + lo * csb, Int64(rsb), Int64(csb), pc.value + lo, Int64(n), 0)
                } else {
                    descent_sgemm(kernel, Int64(hi - lo), Int64(n), Int64(k), a + lo * rsa, Int64(rsa), Int64(csa),
                                  b, Int64(rsb), Int64(csb), pc.value + lo * n, Int64(n), 0)
                }
            }
            return
        }
        // Small output, long inner dimension (a weight gradient): split k, then add the parts.
        splitK(threads, m: m, k: k, n: n, into: c) { lo, hi, out in
            descent_sgemm(kernel, Int64(m), Int64(n), Int64(hi - lo), a + lo * csa, Int64(rsa), Int64(csa),
                          b + lo * rsb, Int64(rsb), Int64(csb), out, Int64(n), 0)
        }
    }

    /// float64 product through the packed kernel of linalg.c (the solvers' too), its output
    /// rows or columns split over threads when large.
    static func dgemm(
        _ a: UnsafePointer<Double>, _ rsa: Int, _ csa: Int, _ b: UnsafePointer<Double>, _ rsb: Int, _ csb: Int,
        _ c: UnsafeMutablePointer<Double>, m: Int, k: Int, n: Int
    ) {
        let threads = Threads.parts(work: m * n * k, grain: 1 << 20)
        let alongN = n >= m, total = alongN ? n : m
        let parts = Swift.min(threads, Swift.max(1, total / 16))
        let step = (total + parts - 1) / parts
        let pc = _UncheckedSendable(c)
        Threads.run(parts) { t in
            let lo = t * step, hi = Swift.min(total, lo + step)
            guard lo < hi else { return }
            if alongN {
                descent_dgemm(Int64(m), Int64(hi - lo), Int64(k), 1, a, Int64(rsa), Int64(csa),
                              b + lo * csb, Int64(rsb), Int64(csb), pc.value + lo, Int64(n), 0)
            } else {
                descent_dgemm(Int64(hi - lo), Int64(n), Int64(k), 1, a + lo * rsa, Int64(rsa), Int64(csa),
                              b, Int64(rsb), Int64(csb), pc.value + lo * n, Int64(n), 0)
            }
        }
    }

    /// Splits a product's inner dimension over `threads`: each thread writes the product of its
    /// share of `k` into its own `m x n` buffer, and the buffers are added in order into `c`.
    static func splitK(
        _ threads: Int, m: Int, k: Int, n: Int, into c: UnsafeMutablePointer<Float>,
        _ part: (_ lo: Int, _ hi: Int, _ out: UnsafeMutablePointer<Float>) -> Void
    ) {
        if threads <= 1 {
            part(0, k, c)
            return
        }
        let step = (k + threads - 1) / threads
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: threads * m * n)
        defer { partials.deallocate() }
        let pp = _UncheckedSendable(partials)
        Threads.run(threads) { t in
            let lo = t * step, hi = Swift.min(k, lo + step)
            let out = pp.value + t * m * n
            if lo >= hi {
                out.initialize(repeating: 0, count: m * n)
                return
            }
            part(lo, hi, out)
        }
        for i in 0..<(m * n) {
            var s = partials[i]
            for t in 1..<threads { s += partials[t * m * n + i] }
            c[i] = s
        }
    }

    /// Narrow or small-output products that stream the long operand once, split over threads
    /// along the long dimension. Returns false for shapes the packed kernel should take.
    static func skinny(
        _ kernel: Int32, _ a: UnsafePointer<Float>, _ rsa: Int, _ csa: Int, _ b: UnsafePointer<Float>, _ rsb: Int, _ csb: Int,
        _ c: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
    ) -> Bool {
        let threads = Threads.parts(work: m * n * k, grain: 1 << 20)
        let kind = Int(descent_sgemm_skinny_case(Int64(m), Int64(n), Int64(k), Int64(rsa), Int64(csa), Int64(rsb), Int64(csb)))
        if kind == DESCENT_SKINNY_ROWS {
            // Rows of the output are independent: split them.
            let step = (m + threads - 1) / threads
            let pc = _UncheckedSendable(c)
            Threads.run(threads) { t in
                let lo = t * step, hi = Swift.min(m, lo + step)
                guard lo < hi else { return }
                _ = descent_sgemm_skinny(kernel, Int64(hi - lo), Int64(n), Int64(k), a + lo * rsa, Int64(rsa), Int64(csa),
                                         b, Int64(rsb), Int64(csb), pc.value + lo * n, Int64(n), 0)
            }
            return true
        }
        if kind == DESCENT_SKINNY_SUM {
            // A sum over the long dimension: each thread takes a share of it, then the parts add.
            splitK(threads, m: m, k: k, n: n, into: c) { lo, hi, out in
                _ = descent_sgemm_skinny(kernel, Int64(m), Int64(n), Int64(hi - lo), a + lo * csa, Int64(rsa), Int64(csa),
                                         b + lo * rsb, Int64(rsb), Int64(csb), out, Int64(n), 0)
            }
            return true
        }
        return false
    }

    /// Batched product of `[batch, m, k]` and `[batch, k, n]` views (any strides) into a new
    /// contiguous tensor; `batch == 0` means plain matrices. `transposeA` reads `a`'s last two
    /// dimensions swapped (and `transposeB` `b`'s), so backward needs no transposed views.
    static func batched(
        _ a: Tensor, _ b: Tensor, batch: Int, m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false,
        backend: MatmulBackend? = nil
    ) -> Tensor {
        let out = Tensor(uninitializedShape: batch == 0 ? Shape.pair(m, n) : [batch, m, n], dtype: a.dtype)
        multiply(a, b, into: out, batch: batch, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB, backend: backend)
        if _CaptureTape.isActive {
            if batch == 0 && a.dtype == .float32 {
                // A float32 matrix product on its pointers, as `multiply` runs it (no tensor
                // handles, so the plan can give the memory of its operands to later tensors).
                let ra = a.rank, rb = b.rank
                let (rsa, csa) = transposeA ? (a.strides[ra - 1], a.strides[ra - 2]) : (a.strides[ra - 2], a.strides[ra - 1])
                let (rsb, csb) = transposeB ? (b.strides[rb - 1], b.strides[rb - 2]) : (b.strides[rb - 2], b.strides[rb - 1])
                let (pa, pb, pc) = (UnsafePointer(a.pointer(Float.self)), UnsafePointer(b.pointer(Float.self)), out.pointer(Float.self))
                if m * n * k < directLimit {
                    _CaptureTape.record({ direct(pa, rsa, csa, pb, rsb, csb, pc, m: m, k: k, n: n) }, writes: out, reads: a, b)
                } else {
                    _CaptureTape.record({ sgemm(pa, rsa, csa, pb, rsb, csb, pc, m: m, k: k, n: n, backend: backend) }, writes: out, reads: a, b)
                }
                return out
            }
            let (x, y, z) = (_CaptureTape.handle(a), _CaptureTape.handle(b), _CaptureTape.handle(out))
            _CaptureTape.record({
                multiply(x, y, into: z, batch: batch, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB, backend: backend)
            }, writes: out, reads: a, b)
        }
        return out
    }

    /// The work of ``batched(_:_:batch:m:k:n:transposeA:transposeB:backend:)`` into `out`.
    @inline(__always)
    private static func multiply(
        _ a: Tensor, _ b: Tensor, into out: Tensor, batch: Int, m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool,
        backend: MatmulBackend?
    ) {
        // Strides read in place, not copied into a local array (a count up and down per operand).
        let ra = a.rank, rb = b.rank
        let (rsa, csa) = transposeA ? (a.strides[ra - 1], a.strides[ra - 2]) : (a.strides[ra - 2], a.strides[ra - 1])
        let (rsb, csb) = transposeB ? (b.strides[rb - 1], b.strides[rb - 2]) : (b.strides[rb - 2], b.strides[rb - 1])
        if batch == 0 && a.dtype == .float32 && m * n * k < directLimit {
            // A small float32 matrix product (a training loop's on a few rows) goes straight to
            // the direct loop, past the batch loop and the backend's dispatch.
            direct(a.pointer(Float.self), rsa, csa, b.pointer(Float.self), rsb, csb, out.pointer(Float.self), m: m, k: k, n: n)
            return
        }
        let bsa = batch == 0 ? 0 : a.strides[0], bsb = batch == 0 ? 0 : b.strides[0]
        func run<T: _NumericElement>(_: T.Type) {
            let pa = a.pointer(T.self), pb = b.pointer(T.self), pc = out.pointer(T.self)
            for i in 0..<Swift.max(batch, 1) {
                let x = pa + i * bsa, y = pb + i * bsb, z = pc + i * m * n
                if T.self == Float.self {
                    sgemm(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), rsa, csa,
                          UnsafeRawPointer(y).assumingMemoryBound(to: Float.self), rsb, csb,
                          UnsafeMutableRawPointer(z).assumingMemoryBound(to: Float.self), m: m, k: k, n: n, backend: backend)
                } else if T.self == Double.self && m * n * k >= directLimit {
                    dgemm(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), rsa, csa,
                          UnsafeRawPointer(y).assumingMemoryBound(to: Double.self), rsb, csb,
                          UnsafeMutableRawPointer(z).assumingMemoryBound(to: Double.self), m: m, k: k, n: n)
                } else {
                    direct(x, rsa, csa, y, rsb, csb, z, m: m, k: k, n: n)
                }
            }
        }
        switch a.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .bool: _fail("\"addmm_impl_cpu_\" not implemented for 'Bool'")
        }
    }
}
