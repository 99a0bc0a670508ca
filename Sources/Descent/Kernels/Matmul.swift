/// Matrix-product kernels.
enum MatmulKernel {
    /// `c[m, n] = a[m, k] @ b[k, n]` for contiguous row-major operands, accumulating in the
    /// operand type as BLAS does.
    ///
    /// The i-p-j order streams rows of `b` and `c` so the inner loop vectorises; blocking over
    /// `p` keeps a panel of `b` in cache for large products.
    @inline(__always)
    static func gemm<T: _NumericElement>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, m: Int, k: Int, n: Int
    ) {
        c.initialize(repeating: .zero, count: m * n)
        let blockK = 256
        var p0 = 0
        while p0 < k {
            let p1 = min(p0 + blockK, k)
            for i in 0..<m {
                let ci = c + i * n
                let ai = a + i * k
                for p in p0..<p1 {
                    let x = ai[p]
                    let bp = b + p * n
                    for j in 0..<n { ci[j] += x * bp[j] }
                }
            }
            p0 = p1
        }
    }

    /// Batched product of contiguous `[batch, m, k]` and `[batch, k, n]` into a new tensor.
    static func batched(_ a: Tensor, _ b: Tensor, batch: Int, m: Int, k: Int, n: Int) -> Tensor {
        let out = Tensor(uninitializedShape: batch == 0 ? [m, n] : [batch, m, n], dtype: a.dtype)
        func run<T: _NumericElement>(_: T.Type) {
            let pa = a.pointer(T.self), pb = b.pointer(T.self), pc = out.pointer(T.self)
            for i in 0..<max(batch, 1) {
                gemm(pa + i * m * k, pb + i * k * n, pc + i * m * n, m: m, k: k, n: n)
            }
        }
        switch a.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .bool: _fail("\"addmm_impl_cpu_\" not implemented for 'Bool'")
        }
        return out
    }
}
