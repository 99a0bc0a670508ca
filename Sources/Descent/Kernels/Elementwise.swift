/// Elementwise drivers: one loop, written once, with a contiguous fast path; each op supplies
/// only its scalar function (MLX's `unary_op`/`binary_op` functors).
enum Elementwise {
    /// `out[i] = f(a[i])` into a new contiguous tensor of dtype `R.dtype`; recorded when a
    /// step is being compiled (the closure is kept for the replays, hence `@escaping`).
    @inline(__always)
    static func map<A: _Element, R: _Element>(_ a: Tensor, _: A.Type, _: R.Type, _ f: @escaping (A) -> R) -> Tensor {
        let out = mapUnrecorded(a, A.self, R.self, f)
        if _CaptureTape.isActive { _RecordedElementwise.map(a, into: out, f) }
        return out
    }

    /// `map` for callers that record the pass themselves, with a specialised replay.
    @inline(__always)
    static func mapUnrecorded<A: _Element, R: _Element>(_ a: Tensor, _: A.Type, _: R.Type, _ f: (A) -> R) -> Tensor {
        let pa = a.pointer(A.self)
        if a.isContiguous {
            let out = Tensor(uninitializedLike: a, dtype: R.dtype)
            let po = out.pointer(R.self)
            for i in 0..<out.scalarCount { po[i] = f(pa[i]) }
            return out
        }
        let (out, shape, strides) = _IteratorLayout.result(a.shape, [a], R.dtype)
        let po = out.pointer(R.self)
        var k = 0
        _forEachRun(shape, strides) { offsets, count, steps in
            var p = pa + offsets[0]
            let s = steps[0]
            for _ in 0..<count {
                po[k] = f(p.pointee)
                p += s
                k += 1
            }
        }
        return out
    }

    /// `out[i] = f(a[i], b[i])` over the broadcast shape of `a` and `b`, into a new tensor;
    /// recorded when a step is being compiled.
    @inline(__always)
    static func zip<A: _Element, B: _Element, R: _Element>(
        _ a: Tensor, _ b: Tensor, _: A.Type, _: B.Type, _: R.Type, _ f: @escaping (A, B) -> R
    ) -> Tensor {
        let out = zipEager(a, b, A.self, B.self, R.self, f)
        if _CaptureTape.isActive { _RecordedElementwise.zip(a, b, into: out, f) }
        return out
    }

    @inline(__always)
    static func zipEager<A: _Element, B: _Element, R: _Element>(
        _ a: Tensor, _ b: Tensor, _: A.Type, _: B.Type, _: R.Type, _ f: (A, B) -> R
    ) -> Tensor {
        let pa = a.pointer(A.self)
        let pb = b.pointer(B.self)
        // Contiguous fast paths: same shape (checked first, before any broadcast arithmetic),
        // one side a single value (also an expanded one), or one side a row repeated over the
        // other's leading dimensions (a bias; arithmetic takes `repeatedRow` before reaching
        // here, so this one serves comparisons and boolean ops, whose function is a closure).
        if a.isContiguous && b.isContiguous && Shape.same(a.shape, b.shape) {
            let out = Tensor(uninitializedLike: a, dtype: R.dtype)
            let po = out.pointer(R.self)
            for i in 0..<out.scalarCount { po[i] = f(pa[i], pb[i]) }
            return out
        }
        let shape = Shape.broadcast(a.shape, b.shape)
        if a.isContiguous && a.shape == shape {
            let n = a.scalarCount
            if b._isSingleValue {
                let out = Tensor(uninitializedLike: a, dtype: R.dtype)
                let po = out.pointer(R.self)
                let y = pb.pointee
                for i in 0..<n { po[i] = f(pa[i], y) }
                return out
            }
            // (Not for an empty row: the loop below would never advance.)
            if b.isContiguous && b.rank <= shape.count && b.rank > 0 && b.scalarCount > 0 && shape.suffix(b.rank).elementsEqual(b.shape) {
                // (Made here, not before the tests: a pair that takes neither path made a
                // tensor it never used.)
                let out = Tensor(uninitializedLike: a, dtype: R.dtype)
                let po = out.pointer(R.self)
                var row = b.scalarCount
                // A short row (a bias of two) repeated into a block of about 64 values gives
                // the inner loop enough length to vectorise. The block lives on the stack: an
                // array of run-time length costs a generic metadata lookup per call.
                let copies = row < 32 && n >= 64 ? 64 / row : 1
                return withUnsafeTemporaryAllocation(of: B.self, capacity: copies > 1 ? copies * row : 1) { t in
                    var rowValues = pb
                    if copies > 1 {
                        for c in 0..<copies { for j in 0..<row { t[c * row + j] = pb[j] } }
                        rowValues = t.baseAddress!
                        row *= copies
                    }
                    var base = 0
                    while base + row <= n {
                        for j in 0..<row { po[base + j] = f(pa[base + j], rowValues[j]) }
                        base += row
                    }
                    var j = 0
                    while base < n {
                        po[base] = f(pa[base], rowValues[j])
                        base += 1
                        j += 1
                    }
                    return out
                }
            }
        }
        if b.isContiguous && b.shape == shape {
            if a._isSingleValue {
                let out = Tensor(uninitializedLike: b, dtype: R.dtype)
                let po = out.pointer(R.self)
                let x = pa.pointee
                for i in 0..<out.scalarCount { po[i] = f(x, pb[i]) }
                return out
            }
        }
        let (out, walk, strides) = _IteratorLayout.result(shape, [a, b], R.dtype)
        let po = out.pointer(R.self)
        var k = 0
        _forEachRun(walk, strides) { offsets, count, steps in
            var p = pa + offsets[0], q = pb + offsets[1]
            let ps = steps[0], qs = steps[1]
            for _ in 0..<count {
                po[k] = f(p.pointee, q.pointee)
                p += ps
                q += qs
                k += 1
            }
        }
        return out
    }

    /// `out[i] = f(c[i], a[i], b[i])` over the broadcast shape of all three; recorded when a
    /// step is being compiled.
    @inline(__always)
    static func zip3<C: _Element, A: _Element, R: _Element>(
        _ c: Tensor, _ a: Tensor, _ b: Tensor, _: C.Type, _: A.Type, _: R.Type, _ f: @escaping (C, A, A) -> R
    ) -> Tensor {
        let out = zip3Eager(c, a, b, C.self, A.self, R.self, f)
        if _CaptureTape.isActive { _RecordedElementwise.zip3(c, a, b, into: out, f) }
        return out
    }

    @inline(__always)
    private static func zip3Eager<C: _Element, A: _Element, R: _Element>(
        _ c: Tensor, _ a: Tensor, _ b: Tensor, _: C.Type, _: A.Type, _: R.Type, _ f: (C, A, A) -> R
    ) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(c.shape, a.shape), b.shape)
        let (out, walk, strides) = _IteratorLayout.result(shape, [c, a, b], R.dtype)
        let pc = c.pointer(C.self), pa = a.pointer(A.self), pb = b.pointer(A.self)
        let po = out.pointer(R.self)
        var k = 0
        _forEachRun(walk, strides) { offsets, count, steps in
            var x = pc + offsets[0], y = pa + offsets[1], z = pb + offsets[2]
            for _ in 0..<count {
                po[k] = f(x.pointee, y.pointee, z.pointee)
                x += steps[0]
                y += steps[1]
                z += steps[2]
                k += 1
            }
        }
        return out
    }

    /// `dst[i] = f(dst[i], src[i])` in place, `src` broadcast to `dst`'s shape; recorded when a
    /// step is being compiled.
    @inline(__always)
    static func update<A: _Element>(_ dst: Tensor, _ src: Tensor, _: A.Type, _ f: @escaping (A, A) -> A) {
        updateEager(dst, src, A.self, f)
        if _CaptureTape.isActive { _RecordedElementwise.update(dst, src, f) }
    }

    @inline(__always)
    private static func updateEager<A: _Element>(_ dst: Tensor, _ src: Tensor, _: A.Type, _ f: (A, A) -> A) {
        let pd = dst.pointer(A.self)
        let ps = src.pointer(A.self)
        if dst.isContiguous && src.isContiguous && Shape.same(src.shape, dst.shape) {
            for i in 0..<dst.scalarCount { pd[i] = f(pd[i], ps[i]) }
            return
        }
        // Matrices of the same shape in any layout (a transposed gradient accumulating into a
        // weight's .grad every step): two loops, none of the general walker's bookkeeping arrays.
        if dst.rank == 2 && Shape.same(src.shape, dst.shape) {
            let (rows, cols) = (dst.shape[0], dst.shape[1])
            let (dr, dc, sr, sc) = (dst.strides[0], dst.strides[1], src.strides[0], src.strides[1])
            for i in 0..<rows {
                for j in 0..<cols { pd[i * dr + j * dc] = f(pd[i * dr + j * dc], ps[i * sr + j * sc]) }
            }
            return
        }
        let ss = Shape.broadcastStrides(src.shape, src.strides, to: dst.shape)
        _forEachRun(dst.shape, [dst.strides, ss]) { offsets, count, steps in
            var d = pd + offsets[0], s = ps + offsets[1]
            for _ in 0..<count {
                d.pointee = f(d.pointee, s.pointee)
                d += steps[0]
                s += steps[1]
            }
        }
    }
}

/// A float function of one variable, such as `exp`; kernels are generated per float dtype.
protocol _UnaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T) -> T
}

/// A float function of one variable with parameters (a slope, a threshold), as a value.
protocol _FloatMap {
    func apply<T: _FloatElement>(_ x: T) -> T
}

/// A parameterless `_UnaryFloatFunction` as a `_FloatMap`.
struct _StaticFloatMap<F: _UnaryFloatFunction>: _FloatMap {
    @inline(__always) func apply<T: _FloatElement>(_ x: T) -> T { F.apply(x) }
}

/// A function of two numbers of the same dtype, such as `+`.
protocol _BinaryNumericFunction {
    static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T
}

/// A comparison of two numbers of the same dtype.
protocol _ComparisonFunction {
    static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool
}

extension Elementwise {
    /// Elements below which a pass stays on one thread: splitting costs a few microseconds.
    static let parallelGrain = 1 << 18

    /// `out[i] = F(a[i], b[i])` (or `F(a[i], b)` with `scalarB`) over contiguous buffers, split
    /// over threads when large. The function is a type, not a closure, so every thread's loop
    /// is specialised and vectorised; a captured closure made the threaded loop 10x slower.
    @inline(__always)
    static func parallel<F: _BinaryNumericFunction, T: _NumericElement>(
        _: F.Type, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, scalarB: Bool, _ out: UnsafeMutablePointer<T>, _ n: Int
    ) -> Bool {
        let parts = Threads.parts(work: n, grain: parallelGrain)
        guard parts > 1 else { return false }
        let step = (n + parts - 1) / parts
        let pointers = _UncheckedSendable((a, b, out))
        Threads.run(parts) { t in
            let (a, b, out) = pointers.value
            let lo = t * step, hi = Swift.min(n, lo + step)
            if scalarB {
                let y = b.pointee
                for i in lo..<hi { out[i] = F.apply(a[i], y) }
            } else {
                for i in lo..<hi { out[i] = F.apply(a[i], b[i]) }
            }
        }
        return true
    }

    /// `zip` of two same-dtype numeric tensors, threaded for large contiguous operands.
    static func zipThreaded<F: _BinaryNumericFunction, T: _NumericElement>(_ a: Tensor, _ b: Tensor, _: F.Type, _: T.Type) -> Tensor {
        if a.isContiguous && a.scalarCount >= 2 * parallelGrain {
            let sameShape = b.isContiguous && Shape.same(b.shape, a.shape)
            if Threads.count > 1 && (sameShape || (b._isSingleValue && Shape.broadcast(a.shape, b.shape) == a.shape)) {
                let out = Tensor(uninitializedLike: a, dtype: T.dtype)
                if parallel(F.self, a.pointer(T.self), b.pointer(T.self), scalarB: !sameShape, out.pointer(T.self), a.scalarCount) {
                    return out
                }
            }
        }
        // A row repeated over `a`'s leading dimensions (a bias), at any size.
        if a.isContiguous && b.isContiguous && b.rank > 0 && b.rank < a.rank && b.scalarCount > 0
            && a.shape.suffix(b.rank).elementsEqual(b.shape) {
            return repeatedRow(F.self, a, b, T.self)
        }
        return zipEager(a, b, T.self, T.self, T.self) { F.apply($0, $1) }
    }

    /// `out = F(a, row)` for a contiguous `a` and a contiguous `row` repeated over its leading
    /// dimensions (a bias added to a batch), split over threads when large. The row is first
    /// repeated into a block of about 64 values, so that the inner loop is long enough to run
    /// in vectors; the function is a type, so the loop is specialised (the closure form of `zip`
    /// ran this at a third of the speed of a same-shape sum).
    static func repeatedRow<F: _BinaryNumericFunction, T: _NumericElement>(_ f: F.Type, _ a: Tensor, _ row: Tensor, _: T.Type) -> Tensor {
        let out = Tensor(uninitializedLike: a, dtype: T.dtype)
        let n = a.scalarCount, r = row.scalarCount
        let rows = n / r
        let pr = row.pointer(T.self)
        if n <= 64 {
            // A training step's small bias: the row as it is, no block and no threads (which
            // cost twice the arithmetic at this size).
            let pa = a.pointer(T.self), po = out.pointer(T.self)
            for i in 0..<rows {
                for j in 0..<r { po[i &* r &+ j] = F.apply(pa[i &* r &+ j], pr[j]) }
            }
            return out
        }
        let copies = Swift.max(1, Swift.min(64 / r, rows))
        let block = r * copies
        // Threads take whole rows, so that every part starts at the row's first element.
        let parts = Threads.parts(work: n, grain: parallelGrain)
        let rowsPerPart = (rows + parts - 1) / parts
        // The block lives on the stack: small tensors take this path on every training step.
        withUnsafeTemporaryAllocation(of: T.self, capacity: block) { buffer in
            let repeated = buffer.baseAddress!
            for c in 0..<copies { for j in 0..<r { repeated[c * r + j] = pr[j] } }
            let pointers = _UncheckedSendable((a.pointer(T.self), UnsafePointer(repeated), out.pointer(T.self)))
            Threads.run(parts) { t in
                let (pa, pb, po) = pointers.value
                var i = Swift.min(rows, t * rowsPerPart) * r
                let end = Swift.min(rows, (t + 1) * rowsPerPart) * r
                while i + block <= end {
                    let x = pa + i, y = po + i
                    for j in 0..<block { y[j] = F.apply(x[j], pb[j]) }
                    i += block
                }
                var j = 0
                while i < end {
                    po[i] = F.apply(pa[i], pb[j])
                    i += 1
                    j += 1
                }
            }
        }
        return out
    }

    /// `F` over a float tensor: the one driver of unary float ops. Large contiguous inputs are
    /// split over threads; the function is a type, so each thread's loop is specialised.
    static func mapFloat<F: _UnaryFloatFunction>(_ a: Tensor, _: F.Type) -> Tensor {
        switch a.dtype {
        case .float32: mapThreaded(a, F.self, Float.self)
        case .float64: mapThreaded(a, F.self, Double.self)
        default: _fail("expected a floating-point tensor, got \(a.dtype)")
        }
    }

    @inline(__always)
    private static func mapThreaded<F: _UnaryFloatFunction, T: _FloatElement>(_ a: Tensor, _: F.Type, _: T.Type) -> Tensor {
        mapThreaded(a, _StaticFloatMap<F>(), T.self)
    }

    /// `op` over a float tensor, with the parameters `op` carries (a slope, a threshold): the
    /// driver of parameterised unary float ops, threaded like ``mapFloat(_:_:)``. The op is a
    /// value of a concrete type, so each thread's loop is specialised on it.
    static func mapFloat<Op: _FloatMap>(_ a: Tensor, _ op: Op) -> Tensor {
        switch a.dtype {
        case .float32: mapThreaded(a, op, Float.self)
        case .float64: mapThreaded(a, op, Double.self)
        default: _fail("expected a floating-point tensor, got \(a.dtype)")
        }
    }

    @inline(__always)
    private static func mapThreaded<Op: _FloatMap, T: _FloatElement>(_ a: Tensor, _ op: Op, _: T.Type) -> Tensor {
        let n = a.scalarCount
        let parts = a.isContiguous ? Threads.parts(work: n, grain: parallelGrain) : 1
        guard parts > 1 else {
            let out = mapUnrecorded(a, T.self, T.self) { op.apply($0) }
            if _CaptureTape.isActive { _RecordedElementwise.unary(op, T.self, a, into: out) }
            return out
        }
        let out = Tensor(uninitializedLike: a, dtype: T.dtype)
        let step = (n + parts - 1) / parts
        let pointers = _UncheckedSendable((a.pointer(T.self), out.pointer(T.self), op))
        Threads.run(parts) { t in
            let (pa, po, op) = pointers.value
            let lo = t * step, hi = Swift.min(n, lo + step)
            for i in lo..<hi { po[i] = op.apply(pa[i]) }
        }
        if _CaptureTape.isActive { _RecordedElementwise.unary(op, T.self, a, into: out) }
        return out
    }

    /// A C kernel over a contiguous float32 tensor into a new one, in parallel parts when
    /// large (`descent_expf`).
    static func mapFloat32(_ a: Tensor, _ kernel: @convention(c) (Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) -> Tensor {
        let out = Tensor(uninitializedLike: a, dtype: .float32)
        let n = a.scalarCount
        let parts = Threads.parts(work: n, grain: parallelGrain)
        let step = (n + parts - 1) / parts
        let pointers = _UncheckedSendable((a.pointer(Float.self), out.pointer(Float.self)))
        Threads.run(parts) { t in
            let (pa, po) = pointers.value
            let lo = t * step, hi = Swift.min(n, lo + step)
            if hi > lo { kernel(Int64(hi - lo), pa + lo, po + lo) }
        }
        if _CaptureTape.isActive {
            let pointers = _UncheckedSendable((a.pointer(Float.self), out.pointer(Float.self)))
            _CaptureTape.record({
                Threads.run(parts) { t in
                    let (pa, po) = pointers.value
                    let lo = t * step, hi = Swift.min(n, lo + step)
                    if hi > lo { kernel(Int64(hi - lo), pa + lo, po + lo) }
                }
            }, writes: out, reads: a)
        }
        return out
    }

    /// `F(a[i], y)` for a float tensor and one number, threaded as ``mapFloat(_:_:)`` is.
    static func mapFloat<F: _BinaryNumericFunction>(_ a: Tensor, _: F.Type, scalar y: Double) -> Tensor {
        func run<T: _FloatElement>(_: T.Type) -> Tensor {
            let value = T(y)
            if a.isContiguous && Threads.count > 1 && a.scalarCount >= 2 * parallelGrain {
                let out = Tensor(uninitializedLike: a, dtype: T.dtype)
                let done = withUnsafePointer(to: value) {
                    parallel(F.self, a.pointer(T.self), $0, scalarB: true, out.pointer(T.self), a.scalarCount)
                }
                if done {
                    if _CaptureTape.isActive { _RecordedElementwise.scalar(F.self, a, value, into: out) }
                    return out
                }
            }
            let out = mapUnrecorded(a, T.self, T.self) { F.apply($0, value) }
            if _CaptureTape.isActive { _RecordedElementwise.scalar(F.self, a, value, into: out) }
            return out
        }
        return a.dtype == .float32 ? run(Float.self) : run(Double.self)
    }

    /// Both operands must already have the same numeric dtype.
    static func zipNumeric<F: _BinaryNumericFunction>(_ a: Tensor, _ b: Tensor, _: F.Type) -> Tensor {
        switch a.dtype {
        case .float32: recorded(zipThreaded(a, b, F.self, Float.self), F.self, Float.self, a, b)
        case .float64: recorded(zipThreaded(a, b, F.self, Double.self), F.self, Double.self, a, b)
        case .int64: recorded(zipThreaded(a, b, F.self, Int64.self), F.self, Int64.self, a, b)
        case .bool: _fail("boolean tensors are not supported by this operation")
        }
    }

    /// `out`, after recording it as `F(a, b)` when a step is being compiled.
    @inline(__always)
    private static func recorded<F: _BinaryNumericFunction, T: _NumericElement>(
        _ out: Tensor, _: F.Type, _: T.Type, _ a: Tensor, _ b: Tensor
    ) -> Tensor {
        if _CaptureTape.isActive { _RecordedElementwise.binary(F.self, T.self, a, b, into: out) }
        return out
    }

    static func updateNumeric<F: _BinaryNumericFunction>(_ dst: Tensor, _ src: Tensor, _: F.Type) {
        updateNumericEager(dst, src, F.self)
        if _CaptureTape.isActive {
            switch dst.dtype {
            case .float32: _RecordedElementwise.update(F.self, Float.self, dst, src)
            case .float64: _RecordedElementwise.update(F.self, Double.self, dst, src)
            case .int64: _RecordedElementwise.update(F.self, Int64.self, dst, src)
            case .bool: break
            }
        }
    }

    private static func updateNumericEager<F: _BinaryNumericFunction>(_ dst: Tensor, _ src: Tensor, _: F.Type) {
        if dst.isContiguous && src.isContiguous && Shape.same(src.shape, dst.shape) && dst.dtype == src.dtype {
            // Split over threads when large, else one loop specialised on the function (the
            // general `update` below calls its closure once per element: a small parameter's
            // optimizer step or gradient accumulation took that path every time).
            let n = dst.scalarCount
            func run<T: _NumericElement>(_: T.Type) {
                let pd = dst.pointer(T.self), ps = src.pointer(T.self)
                if parallel(F.self, pd, ps, scalarB: false, pd, n) { return }
                for i in 0..<n { pd[i] = F.apply(pd[i], ps[i]) }
            }
            switch dst.dtype {
            case .float32: return run(Float.self)
            case .float64: return run(Double.self)
            case .int64: return run(Int64.self)
            case .bool: break
            }
        }
        switch dst.dtype {
        case .float32: updateEager(dst, src, Float.self) { F.apply($0, $1) }
        case .float64: updateEager(dst, src, Double.self) { F.apply($0, $1) }
        case .int64: updateEager(dst, src, Int64.self) { F.apply($0, $1) }
        case .bool: _fail("boolean tensors are not supported by this operation")
        }
    }

    static func compare<F: _ComparisonFunction>(_ a: Tensor, _ b: Tensor, _: F.Type) -> Tensor {
        switch a.dtype {
        case .float32: zip(a, b, Float.self, Float.self, Bool.self) { F.apply($0, $1) }
        case .float64: zip(a, b, Double.self, Double.self, Bool.self) { F.apply($0, $1) }
        case .int64: zip(a, b, Int64.self, Int64.self, Bool.self) { F.apply($0, $1) }
        case .bool:
            zip(a, b, Bool.self, Bool.self, Bool.self) { F.apply(Int64($0 ? 1 : 0), Int64($1 ? 1 : 0)) }
        }
    }
}
