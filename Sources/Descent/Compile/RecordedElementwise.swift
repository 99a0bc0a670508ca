/// The elementwise drivers' passes as a plan records them: the layout is worked out once,
/// at capture, and the recorded closure is only the loop. Each element is computed by the
/// same function of the same operands as in the eager driver, so the bits are the same
/// whatever the loop's shape (elementwise arithmetic rounds each element on its own).
enum _RecordedElementwise {
    /// How the operands of a pass lie, relative to its contiguous output of `count` elements.
    enum Layout {
        /// Every operand contiguous with the output's shape.
        case contiguous
        /// The second operand is one value.
        case secondIsOneValue
        /// The first operand is one value.
        case firstIsOneValue
        /// The second operand is a contiguous row of `row` values repeated over the output.
        case repeatedRow(row: Int)
        /// Anything else: the general strided walk, with each operand's strides broadcast to
        /// the output's shape (the output's own strides first).
        case strided(shape: [Int], strides: [[Int]])
    }

    /// Records a pass the plan may fuse with its neighbours.
    @inline(__always)
    static func record(_ pass: _ElementwisePass, writes: Tensor, inPlace: Bool = false, reads: [Tensor]) {
        _CaptureTape.record(pass, writes: writes, inPlace: inPlace, reads: reads)
    }

    /// `po[i] = f(pa[i], pb[i % r])` for `n` outputs, a row of `r` at a time through pointers
    /// of its own: indexing `po[base + j]` kept an overflow check in the loop and the loop in
    /// scalars (a GPT's bias adds ran at two thirds of the eager driver's speed).
    @inline(__always)
    static func eachRow<A, B, R>(_ n: Int, _ r: Int, _ pa: UnsafePointer<A>, _ pb: UnsafePointer<B>,
                                 _ po: UnsafeMutablePointer<R>, _ f: (A, B) -> R) {
        var base = 0
        while base < n {
            let x = pa + base, y = po + base
            for j in 0..<r { y[j] = f(x[j], pb[j]) }
            base += r
        }
    }

    static func layout(_ out: Tensor, _ a: Tensor, _ b: Tensor?) -> Layout {
        let shape = out.shape
        let aFull = a.isContiguous && Shape.same(a.shape, shape)
        guard let b else {
            return aFull ? .contiguous : .strided(shape: shape, strides: [out.strides, Shape.broadcastStrides(a.shape, a.strides, to: shape)])
        }
        let bFull = b.isContiguous && Shape.same(b.shape, shape)
        if aFull && bFull { return .contiguous }
        if aFull && b._isSingleValue { return .secondIsOneValue }
        if bFull && a._isSingleValue { return .firstIsOneValue }
        if aFull && b.isContiguous && b.rank > 0 && b.rank <= shape.count && b.scalarCount > 0
            && shape.suffix(b.rank).elementsEqual(b.shape) {
            return .repeatedRow(row: b.scalarCount)
        }
        return .strided(shape: shape, strides: [out.strides, Shape.broadcastStrides(a.shape, a.strides, to: shape),
                                                Shape.broadcastStrides(b.shape, b.strides, to: shape)])
    }

    /// Records `out = F(a, b)` (broadcast), `out` fresh and contiguous.
    static func binary<F: _BinaryNumericFunction, T: _NumericElement>(_: F.Type, _: T.Type, _ a: Tensor, _ b: Tensor, into out: Tensor) {
        let pa = UnsafePointer(a.pointer(T.self)), pb = UnsafePointer(b.pointer(T.self)), po = out.pointer(T.self)
        let n = out.scalarCount
        let step: () -> Void
        switch layout(out, a, b) {
        case .contiguous:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa), .atIndex(pb)]) { o, p, n in
                let (o, a, b) = (o.assumingMemoryBound(to: T.self), p[0].assumingMemoryBound(to: T.self), p[1].assumingMemoryBound(to: T.self))
                for i in 0..<n { o[i] = F.apply(a[i], b[i]) }
            }, writes: out, reads: [a, b])
        case .secondIsOneValue:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa), .oneValue(pb)]) { o, p, n in
                let (o, a, y) = (o.assumingMemoryBound(to: T.self), p[0].assumingMemoryBound(to: T.self), p[1].assumingMemoryBound(to: T.self).pointee)
                for i in 0..<n { o[i] = F.apply(a[i], y) }
            }, writes: out, reads: [a, b])
        case .firstIsOneValue:
            return record(_ElementwisePass(po, count: n, [.oneValue(pa), .atIndex(pb)]) { o, p, n in
                let (o, x, b) = (o.assumingMemoryBound(to: T.self), p[0].assumingMemoryBound(to: T.self).pointee, p[1].assumingMemoryBound(to: T.self))
                for i in 0..<n { o[i] = F.apply(x, b[i]) }
            }, writes: out, reads: [a, b])
        case .repeatedRow(let r):
            step = { eachRow(n, r, pa, pb, po, F.apply) }
        case .strided(let shape, let strides):
            if let walk = _PlannedWalk(shape, strides) {
                let (i0, i1, i2) = (walk.innerSteps[0], walk.innerSteps[1], walk.innerSteps[2])
                let (o0, o1, o2) = (walk.outerSteps[0], walk.outerSteps[1], walk.outerSteps[2])
                let (outer, inner) = (walk.outer, walk.inner)
                step = {
                    for r in 0..<outer {
                        var o = po + r * o0, x = pa + r * o1, y = pb + r * o2
                        for _ in 0..<inner {
                            o.pointee = F.apply(x.pointee, y.pointee)
                            o += i0
                            x += i1
                            y += i2
                        }
                    }
                }
                break
            }
            step = {
                _forEachRun(shape, strides) { offsets, count, steps in
                    var o = po + offsets[0], x = pa + offsets[1], y = pb + offsets[2]
                    for _ in 0..<count {
                        o.pointee = F.apply(x.pointee, y.pointee)
                        o += steps[0]
                        x += steps[1]
                        y += steps[2]
                    }
                }
            }
        }
        _CaptureTape.record(step, writes: out, reads: a, b)
    }

    /// Records `out = F(a, y)` for one number `y`.
    static func scalar<F: _BinaryNumericFunction, T: _NumericElement>(_: F.Type, _ a: Tensor, _ y: T, into out: Tensor) {
        let pa = UnsafePointer(a.pointer(T.self)), po = out.pointer(T.self)
        let n = out.scalarCount
        let step: () -> Void
        switch layout(out, a, nil) {
        case .strided(let shape, let strides):
            step = { _walk(shape, strides, pa, po, { F.apply($0, y) }) }
        default:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa)]) { o, p, n in
                let (o, a) = (o.assumingMemoryBound(to: T.self), p[0].assumingMemoryBound(to: T.self))
                for i in 0..<n { o[i] = F.apply(a[i], y) }
            }, writes: out, reads: [a])
        }
        _CaptureTape.record(step, writes: out, reads: a)
    }

    /// Records `out = op(a)` for a float function.
    static func unary<Op: _FloatMap, T: _FloatElement>(_ op: Op, _: T.Type, _ a: Tensor, into out: Tensor) {
        let pa = UnsafePointer(a.pointer(T.self)), po = out.pointer(T.self)
        let n = out.scalarCount
        let step: () -> Void
        switch layout(out, a, nil) {
        case .strided(let shape, let strides):
            step = { _walk(shape, strides, pa, po, { op.apply($0) }) }
        default:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa)]) { o, p, n in
                let (o, a) = (o.assumingMemoryBound(to: T.self), p[0].assumingMemoryBound(to: T.self))
                for i in 0..<n { o[i] = op.apply(a[i]) }
            }, writes: out, reads: [a])
        }
        _CaptureTape.record(step, writes: out, reads: a)
    }

    /// Records `dst = F(dst, src)` in place, `src` broadcast to `dst`.
    static func update<F: _BinaryNumericFunction, T: _NumericElement>(_: F.Type, _: T.Type, _ dst: Tensor, _ src: Tensor) {
        let pd = dst.pointer(T.self), ps = UnsafePointer(src.pointer(T.self))
        let n = dst.scalarCount
        let step: () -> Void
        if dst.isContiguous && src.isContiguous && Shape.same(src.shape, dst.shape) {
            return record(_ElementwisePass(pd, count: n, inPlace: true, [.atIndex(UnsafePointer(pd)), .atIndex(ps)]) { o, p, n in
                let (d, s) = (o.assumingMemoryBound(to: T.self), p[1].assumingMemoryBound(to: T.self))
                for i in 0..<n { d[i] = F.apply(d[i], s[i]) }
            }, writes: dst, inPlace: true, reads: [src])
        } else {
            let shape = dst.shape, strides = [dst.strides, Shape.broadcastStrides(src.shape, src.strides, to: shape)]
            if let walk = _PlannedWalk(shape, strides) {
                let (i0, i1, o0, o1) = (walk.innerSteps[0], walk.innerSteps[1], walk.outerSteps[0], walk.outerSteps[1])
                let (outer, inner) = (walk.outer, walk.inner)
                step = {
                    for r in 0..<outer {
                        var d = pd + r * o0, s = ps + r * o1
                        for _ in 0..<inner {
                            d.pointee = F.apply(d.pointee, s.pointee)
                            d += i0
                            s += i1
                        }
                    }
                }
                _CaptureTape.record(step, writes: dst, inPlace: true, reads: src)
                return
            }
            step = {
                _forEachRun(shape, strides) { offsets, count, steps in
                    var d = pd + offsets[0], s = ps + offsets[1]
                    for _ in 0..<count {
                        d.pointee = F.apply(d.pointee, s.pointee)
                        d += steps[0]
                        s += steps[1]
                    }
                }
            }
        }
        _CaptureTape.record(step, writes: dst, inPlace: true, reads: src)
    }
}

/// `out = f(a)` along a strided walk of one operand (the layouts the contiguous passes do not
/// take), shared by the functor and closure drivers' recorded passes.
@inline(__always)
func _walk<A, R>(_ shape: [Int], _ strides: [[Int]], _ pa: UnsafePointer<A>, _ po: UnsafeMutablePointer<R>, _ f: (A) -> R) {
    _forEachRun(shape, strides) { offsets, count, steps in
        var o = po + offsets[0], x = pa + offsets[1]
        for _ in 0..<count {
            o.pointee = f(x.pointee)
            o += steps[0]
            x += steps[1]
        }
    }
}

/// A strided walk over `k` operands, merged once at capture as `_forEachRun` merges it on
/// every call: at most two loops with their steps, so a replay allocates nothing. Walks that
/// keep more than two dimensions after merging use `_forEachRun` itself.
struct _PlannedWalk {
    let outer: Int, inner: Int
    /// Per operand: the step along the inner loop and along the outer one.
    let innerSteps: [Int], outerSteps: [Int]

    init?(_ shape: [Int], _ strides: [[Int]]) {
        let k = strides.count
        var sizes: [Int] = [], steps: [[Int]] = []
        for d in 0..<shape.count where shape[d] != 1 {
            let n = shape[d]
            if n == 0 { return nil }
            if let last = sizes.last, (0..<k).allSatisfy({ steps[steps.count - 1][$0] == strides[$0][d] * n }) {
                sizes[sizes.count - 1] = last * n
                steps[steps.count - 1] = (0..<k).map { strides[$0][d] }
                continue
            }
            sizes.append(n)
            steps.append((0..<k).map { strides[$0][d] })
        }
        guard sizes.count <= 2 else { return nil }
        inner = sizes.last ?? 1
        innerSteps = steps.last ?? [Int](repeating: 0, count: k)
        outer = sizes.count == 2 ? sizes[0] : 1
        outerSteps = sizes.count == 2 ? steps[0] : [Int](repeating: 0, count: k)
    }
}

/// The closure drivers' passes (`Elementwise.map`, `zip`, `zip3`, `update`: negation, signs,
/// comparisons, `where`, integer powers, boolean logic) as a plan records them: the same
/// function per element as the eager pass, over the memory it used. Their operands are most
/// often contiguous; any other layout replays through the general strided walk.
extension _RecordedElementwise {
    @inline(__always)
    static func map<A: _Element, R: _Element>(_ a: Tensor, into out: Tensor, _ f: @escaping (A) -> R) {
        let pa = UnsafePointer(a.pointer(A.self)), po = out.pointer(R.self), n = out.scalarCount
        let step: () -> Void
        switch layout(out, a, nil) {
        case .strided(let shape, let strides):
            step = { _walk(shape, strides, pa, po, f) }
        default:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa)]) { o, p, n in
                let (o, a) = (o.assumingMemoryBound(to: R.self), p[0].assumingMemoryBound(to: A.self))
                for i in 0..<n { o[i] = f(a[i]) }
            }, writes: out, reads: [a])
        }
        _CaptureTape.record(step, writes: out, reads: a)
    }

    @inline(__always)
    static func zip<A: _Element, B: _Element, R: _Element>(_ a: Tensor, _ b: Tensor, into out: Tensor, _ f: @escaping (A, B) -> R) {
        let pa = UnsafePointer(a.pointer(A.self)), pb = UnsafePointer(b.pointer(B.self)), po = out.pointer(R.self)
        let n = out.scalarCount
        let step: () -> Void
        switch layout(out, a, b) {
        case .contiguous:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa), .atIndex(pb)]) { o, p, n in
                let (o, a, b) = (o.assumingMemoryBound(to: R.self), p[0].assumingMemoryBound(to: A.self), p[1].assumingMemoryBound(to: B.self))
                for i in 0..<n { o[i] = f(a[i], b[i]) }
            }, writes: out, reads: [a, b])
        case .secondIsOneValue:
            return record(_ElementwisePass(po, count: n, [.atIndex(pa), .oneValue(pb)]) { o, p, n in
                let (o, a, y) = (o.assumingMemoryBound(to: R.self), p[0].assumingMemoryBound(to: A.self), p[1].assumingMemoryBound(to: B.self).pointee)
                for i in 0..<n { o[i] = f(a[i], y) }
            }, writes: out, reads: [a, b])
        case .firstIsOneValue:
            return record(_ElementwisePass(po, count: n, [.oneValue(pa), .atIndex(pb)]) { o, p, n in
                let (o, x, b) = (o.assumingMemoryBound(to: R.self), p[0].assumingMemoryBound(to: A.self).pointee, p[1].assumingMemoryBound(to: B.self))
                for i in 0..<n { o[i] = f(x, b[i]) }
            }, writes: out, reads: [a, b])
        case .repeatedRow(let r):
            step = { eachRow(n, r, pa, pb, po, f) }
        case .strided(let shape, let strides):
            step = {
                _forEachRun(shape, strides) { offsets, count, steps in
                    var o = po + offsets[0], x = pa + offsets[1], y = pb + offsets[2]
                    for _ in 0..<count {
                        o.pointee = f(x.pointee, y.pointee)
                        o += steps[0]
                        x += steps[1]
                        y += steps[2]
                    }
                }
            }
        }
        _CaptureTape.record(step, writes: out, reads: a, b)
    }

    @inline(__always)
    static func zip3<C: _Element, A: _Element, R: _Element>(
        _ c: Tensor, _ a: Tensor, _ b: Tensor, into out: Tensor, _ f: @escaping (C, A, A) -> R
    ) {
        let pc = UnsafePointer(c.pointer(C.self)), pa = UnsafePointer(a.pointer(A.self)), pb = UnsafePointer(b.pointer(A.self))
        let po = out.pointer(R.self), n = out.scalarCount, shape = out.shape
        let step: () -> Void
        if [c, a, b].allSatisfy({ $0.isContiguous && Shape.same($0.shape, shape) }) {
            return record(_ElementwisePass(po, count: n, [.atIndex(pc), .atIndex(pa), .atIndex(pb)]) { o, p, n in
                let o = o.assumingMemoryBound(to: R.self), c = p[0].assumingMemoryBound(to: C.self)
                let (a, b) = (p[1].assumingMemoryBound(to: A.self), p[2].assumingMemoryBound(to: A.self))
                for i in 0..<n { o[i] = f(c[i], a[i], b[i]) }
            }, writes: out, reads: [c, a, b])
        } else {
            let strides = [out.strides] + [c, a, b].map { Shape.broadcastStrides($0.shape, $0.strides, to: shape) }
            step = {
                _forEachRun(shape, strides) { offsets, count, steps in
                    var o = po + offsets[0], x = pc + offsets[1], y = pa + offsets[2], z = pb + offsets[3]
                    for _ in 0..<count {
                        o.pointee = f(x.pointee, y.pointee, z.pointee)
                        o += steps[0]
                        x += steps[1]
                        y += steps[2]
                        z += steps[3]
                    }
                }
            }
        }
        _CaptureTape.record(step, writes: out, reads: [c, a, b])
    }

    @inline(__always)
    static func update<A: _Element>(_ dst: Tensor, _ src: Tensor, _ f: @escaping (A, A) -> A) {
        let pd = dst.pointer(A.self), ps = UnsafePointer(src.pointer(A.self)), n = dst.scalarCount
        let step: () -> Void
        if dst.isContiguous && src.isContiguous && Shape.same(src.shape, dst.shape) {
            return record(_ElementwisePass(pd, count: n, inPlace: true, [.atIndex(UnsafePointer(pd)), .atIndex(ps)]) { o, p, n in
                let (d, s) = (o.assumingMemoryBound(to: A.self), p[1].assumingMemoryBound(to: A.self))
                for i in 0..<n { d[i] = f(d[i], s[i]) }
            }, writes: dst, inPlace: true, reads: [src])
        } else {
            let shape = dst.shape, strides = [dst.strides, Shape.broadcastStrides(src.shape, src.strides, to: shape)]
            step = {
                _forEachRun(shape, strides) { offsets, count, steps in
                    var d = pd + offsets[0], s = ps + offsets[1]
                    for _ in 0..<count {
                        d.pointee = f(d.pointee, s.pointee)
                        d += steps[0]
                        s += steps[1]
                    }
                }
            }
        }
        _CaptureTape.record(step, writes: dst, inPlace: true, reads: src)
    }
}
