import CDescentKernels

/// C vector loops over operands of any layout, as ATen's `cpu_kernel_vec` runs them. Where
/// ATen's vector formula rounds differently from its scalar one (GELU's `erf`), which elements
/// take which depends on the layout: the result is laid out as TensorIterator lays it out; in
/// each run of the walk where every operand steps by one element, blocks of sixteen go
/// through the vector kernel and the rest through the scalar formula (`vectorized_loop`); a
/// run where some operand is strided goes through the scalar formula throughout
/// (`basic_loop`). Contiguous operands take the kernel whole (its own partial-vector tail), as
/// PyTorch's contiguous path does for more than one element.
extension Elementwise {
    typealias UnaryKernel = @convention(c) (Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    typealias BinaryKernel = @convention(c) (Int64, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void

    /// `vectorized_loop`'s step: two vectors of eight floats.
    static let vectorBlock = 16

    /// `kernel` over a float32 tensor, `scalar` where ATen runs its scalar loop.
    static func mapFloat32(_ a: Tensor, _ kernel: UnaryKernel, scalar: @escaping (Float) -> Float) -> Tensor {
        if a.isContiguous && a.scalarCount > 1 { return mapFloat32(a, kernel) }
        let (out, shape, strides) = _IteratorLayout.result(a.shape, [a], .float32)
        let pa = a.pointer(Float.self), po = out.pointer(Float.self)
        func run() {
            var k = 0
            _forEachRun(shape, strides) { offsets, count, steps in
                let p = pa + offsets[0], s = steps[0]
                let vector = s == 1 ? count / vectorBlock * vectorBlock : 0
                if vector > 0 { kernel(Int64(vector), p, po + k) }
                for j in vector..<count { po[k + j] = scalar(p[j * s]) }
                k += count
            }
        }
        run()
        if _CaptureTape.isActive { _CaptureTape.record(run, writes: out, reads: a) }
        return out
    }

    /// `kernel(a, b)` over two float32 tensors of one shape, `scalar` where ATen runs its
    /// scalar loop; contiguous operands are split among threads as `mapFloat32` splits them.
    static func zipFloat32(_ a: Tensor, _ b: Tensor, _ kernel: BinaryKernel, scalar: @escaping (Float, Float) -> Float) -> Tensor {
        precondition(Shape.same(a.shape, b.shape))
        let pa = a.pointer(Float.self), pb = b.pointer(Float.self)
        if a.isContiguous && b.isContiguous && a.scalarCount > 1 {
            let out = Tensor(uninitializedShape: a.shape, dtype: .float32)
            let n = out.scalarCount
            let parts = Threads.parts(work: n, grain: parallelGrain), step = (n + parts - 1) / parts
            let pointers = _UncheckedSendable((pa, pb, out.pointer(Float.self)))
            func run() {
                Threads.run(parts) { t in
                    let (pa, pb, po) = pointers.value
                    let lo = t * step, hi = Swift.min(n, lo + step)
                    if hi > lo { kernel(Int64(hi - lo), pa + lo, pb + lo, po + lo) }
                }
            }
            run()
            if _CaptureTape.isActive { _CaptureTape.record(run, writes: out, reads: a, b) }
            return out
        }
        let (out, shape, strides) = _IteratorLayout.result(a.shape, [a, b], .float32)
        let po = out.pointer(Float.self)
        func run() {
            var k = 0
            _forEachRun(shape, strides) { offsets, count, steps in
                let p = pa + offsets[0], q = pb + offsets[1], s = steps[0], t = steps[1]
                let vector = s == 1 && t == 1 ? count / vectorBlock * vectorBlock : 0
                if vector > 0 { kernel(Int64(vector), p, q, po + k) }
                for j in vector..<count { po[k + j] = scalar(p[j * s], q[j * t]) }
                k += count
            }
        }
        run()
        if _CaptureTape.isActive { _CaptureTape.record(run, writes: out, reads: a, b) }
        return out
    }
}
