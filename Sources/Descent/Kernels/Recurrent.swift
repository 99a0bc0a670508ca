import CDescentKernels

/// Elementwise pieces of the recurrent cells, over rows of a gate buffer: float32 through the
/// AVX2 kernels of expf.c (a recurrent step is a few thousand activations, and libm's scalar
/// `tanh` was most of a step's time), float64 through the scalar functions.
enum _RecurrentMath {
    /// `x = 1 / (1 + exp(-x))`.
    @inline(__always)
    static func sigmoid<T: _FloatElement>(_ x: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            let f = _floats(x)
            if descent_sigmoid_f32(Int64(n), f) != 0 { return }
            for j in 0..<n { f[j] = -f[j] }
            descent_expf(Int64(n), f, f)
            for j in 0..<n { f[j] = 1 / (1 + f[j]) }
        } else {
            for j in 0..<n { x[j] = 1 / (1 + T.exp(-x[j])) }
        }
    }

    /// `x = tanh(x)`, as `sign(x) · (1 - e) / (1 + e)` with `e = exp(-2|x|)` for float32.
    @inline(__always)
    static func tanh<T: _FloatElement>(_ x: UnsafeMutablePointer<T>, _ n: Int, scratch: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            let f = _floats(x)
            if descent_tanh_f32(Int64(n), f) != 0 { return }
            let e = _floats(scratch)
            for j in 0..<n { e[j] = -2 * Swift.abs(f[j]) }
            descent_expf(Int64(n), e, e)
            for j in 0..<n {
                let v = (1 - e[j]) / (1 + e[j])
                f[j] = f[j] < 0 ? -v : v
            }
        } else {
            for j in 0..<n { x[j] = T.tanh(x[j]) }
        }
    }

    /// A weight used as `B` at every step: packed once for float32's kernel, read in place for
    /// float64. Call ``release()`` when the sequence is done.
    struct PackedWeight<T: _FloatElement & _ConvElement> {
        let b: UnsafePointer<T>, rsb: Int, csb: Int, k: Int, n: Int
        let packed: UnsafeMutablePointer<Float>?

        init(_ b: UnsafePointer<T>, _ rsb: Int, _ csb: Int, k: Int, n: Int) {
            (self.b, self.rsb, self.csb, self.k, self.n) = (b, rsb, csb, k, n)
            guard T.self == Float.self, k > 0, n > 0 else {
                packed = nil
                return
            }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: Int(descent_sgemm_packed_b_floats(Int64(k), Int64(n))))
            descent_sgemm_pack_b(Int64(k), Int64(n), _floats(b), Int64(rsb), Int64(csb), out)
            packed = out
        }

        /// `c (+)= a @ B` for `m` rows of `a`, `c` contiguous with `n` columns.
        @inline(__always)
        func multiply(_ a: UnsafePointer<T>, _ rsa: Int, _ csa: Int, _ c: UnsafeMutablePointer<T>, m: Int, accumulate: Bool) {
            if let packed {
                descent_sgemm_prepacked(Int64(m), Int64(n), Int64(k), _floats(a),
                                        Int64(rsa), Int64(csa), packed,
                                        _floats(c), Int64(n), accumulate ? 1 : 0)
                return
            }
            _gemm(a, rsa, csa, b, rsb, csb, c, m: m, k: k, n: n, accumulate: accumulate)
        }

        func release() { packed?.deallocate() }
    }
}

/// A float32 buffer's pointer as the C kernels take it (the caller has checked `T` is `Float`).
@inline(__always)
func _floats<T>(_ p: UnsafePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(mutating: p).assumingMemoryBound(to: Float.self)
}

@inline(__always)
func _floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
