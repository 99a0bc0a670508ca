/// Reduction drivers.
enum Reduce {
    /// Folds every element of `a` into the accumulator of its output position, where output
    /// positions collapse the `reduced` dimensions. Walks `a` once in its own memory order, so
    /// column and row reductions both stream through memory.
    ///
    /// - Returns: One accumulator per output element, in row-major order of the kept dims.
    @inline(__always)
    static func fold<A: _Element, Acc>(
        _ a: Tensor, _: A.Type, reduced: [Bool], initial: Acc, _ f: (Acc, A, Int) -> Acc
    ) -> [Acc] {
        var outShape = a.shape
        for d in 0..<a.rank where reduced[d] { outShape[d] = 1 }
        var outStrides = Shape.contiguousStrides(outShape)
        for d in 0..<a.rank where reduced[d] { outStrides[d] = 0 }
        var acc = [Acc](repeating: initial, count: Shape.count(outShape))
        let pa = a.pointer(A.self)
        if !reduced.contains(false) && a.isContiguous {
            var r = initial
            for i in 0..<a.scalarCount { r = f(r, pa[i], 0) }
            acc[0] = r
            return acc
        }
        acc.withUnsafeMutableBufferPointer { accs in
            let po = accs.baseAddress!
            _forEachRun(a.shape, [a.strides, outStrides]) { offsets, count, steps in
                var p = pa + offsets[0]
                var o = offsets[1]
                let ps = steps[0], os = steps[1]
                if os == 0 {
                    var r = po[o]
                    for _ in 0..<count {
                        r = f(r, p.pointee, o)
                        p += ps
                    }
                    po[o] = r
                } else {
                    for _ in 0..<count {
                        po[o] = f(po[o], p.pointee, o)
                        p += ps
                        o += os
                    }
                }
            }
        }
        return acc
    }

    /// Scans dimension `dim` for every output position, calling `f(value, index)` in order and
    /// storing what `finish` returns; used by max, min and argmax along a dimension.
    @inline(__always)
    static func scan<A: _Element, State, R: _Element>(
        _ a: Tensor, _: A.Type, dim: Int, initial: State, _ f: (inout State, A, Int) -> Void,
        finish: (State) -> R
    ) -> Tensor {
        var outShape = a.shape
        outShape[dim] = 1
        let out = Tensor(uninitializedShape: outShape, dtype: R.dtype)
        let po = out.pointer(R.self)
        let pa = a.pointer(A.self)
        let n = a.shape[dim], s = a.strides[dim]
        var inStrides = a.strides
        inStrides[dim] = 0
        var k = 0
        _forEachRun(outShape, [inStrides]) { offsets, count, steps in
            var base = pa + offsets[0]
            for _ in 0..<count {
                var state = initial
                var p = base
                for i in 0..<n {
                    f(&state, p.pointee, i)
                    p += s
                }
                po[k] = finish(state)
                k += 1
                base += steps[0]
            }
        }
        return out
    }
}
