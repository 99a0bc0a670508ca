// Reductions over all elements or along dimensions. Float32 sums accumulate in double, as
// PyTorch's CPU accumulate type does, so long sums keep float32's full precision.

extension Tensor {
    /// Which dimensions a reduction over `dims` collapses, with PyTorch's checks.
    func _reducedFlags(_ dims: [Int]) -> [Bool] {
        var flags = [Bool]._small(repeating: false, count: rank)
        if dims.isEmpty { return [Bool]._small(repeating: true, count: rank) }
        for d in dims {
            let w = Shape.wrap(d, rank: rank)
            if rank == 0 { continue }
            if flags[w] { _fail("dim \(w) appears multiple times in the list of dims") }
            flags[w] = true
        }
        return flags
    }

    func _reducedShape(_ flags: [Bool], keepDim: Bool) -> [Int] {
        // A matrix's rows or columns summed away: a shared one-element shape.
        if rank == 2 && !keepDim && flags[0] != flags[1] { return Shape.one(flags[0] ? shape[1] : shape[0]) }
        var out: [Int] = []
        for d in 0..<rank {
            if !flags[d] { out.append(shape[d]) } else if keepDim { out.append(1) }
        }
        return out
    }

    /// The gradient of a reduction result, shaped to broadcast against an input of shape
    /// `input`. Static, so that a vjp keeps the input's shape and not the input itself (PyTorch's
    /// `SumBackward1` saves only the sizes; holding the input kept it alive with the graph).
    static func _unreduce(_ g: Tensor, _ flags: [Bool], keepDim: Bool, input: [Int]) -> Tensor {
        if keepDim || g.rank == input.count { return g }
        var shape = input
        for d in 0..<input.count where flags[d] { shape[d] = 1 }
        return g.reshape(shape)
    }

    /// Raw sums over the flagged dims; floats accumulate in double.
    /// Sums divided by `divisor` (the mean's element count). Floats add in PyTorch's cascade
    /// order and divide afterwards in their own dtype, as `sum(...).div_(n)` does.
    private func _sumKernel(_ flags: [Bool], keepDim: Bool, divisor: Double = 1) -> Tensor {
        let outShape = _reducedShape(flags, keepDim: keepDim)
        func floating<T: _FloatElement>(_: T.Type) -> Tensor {
            let out = Tensor(uninitializedShape: outShape, dtype: T.dtype)
            let p = out.pointer(T.self), count = out.scalarCount
            func run(_ input: Tensor) {
                CascadeSum.sum(input, reduced: flags, into: p, T.self)
                if divisor != 1 {
                    let d = T(divisor)
                    for i in 0..<count { p[i] = p[i] / d }
                }
            }
            run(self)
            if _CaptureTape.isActive {
                let input = _CaptureTape.handle(self)
                _CaptureTape.record({ run(input) }, writes: out, reads: self)
            }
            return out
        }
        switch dtype {
        case .float32:
            return floating(Float.self)
        case .float64:
            return floating(Double.self)
        case .int64, .bool:
            // The fold hands its sums to Swift: inside a compiled step a unit run again on
            // every replay (counting correct predictions, `nanmean`'s count).
            return _CaptureTape.opaque([self]) { t in [t[0]!._integerSum(flags, outShape)] }[0]
        }
    }

    private func _integerSum(_ flags: [Bool], _ outShape: [Int]) -> Tensor {
        let acc = dtype == .bool
            ? Reduce.fold(self, Bool.self, reduced: flags, initial: Int64(0)) { a, x, _ in a + (x ? 1 : 0) }
            : Reduce.fold(self, Int64.self, reduced: flags, initial: Int64(0)) { a, x, _ in a &+ x }
        return Tensor(shape: outShape, scalars: acc, dtype: .int64)
    }

    /// The sum of all elements as a 0-d tensor (`SumBackward0`); integers and bools sum as int64.
    ///
    /// ```swift
    /// let total = (diff * diff).sum()
    /// ```
    public func sum() -> Tensor {
        let flags = Shape.allFlags(rank: rank)
        return _sumKernel(flags, keepDim: false)._recorded("SumBackward0", self) { g, node in
            (g.expand(node.inputShape(0)), nil)
        }
    }

    /// Sums along `dim` (`SumBackward1`).
    ///
    /// ```swift
    /// let rowTotals = x.sum(dim: 1)
    /// ```
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }

    /// Sums along several dimensions (`SumBackward1`).
    public func sum(dims: [Int], keepDim: Bool = false) -> Tensor {
        _sum(_reducedFlags(dims), keepDim: keepDim)
    }

    /// `sum(dims:keepDim:)` over the dimensions flagged in `flags`.
    func _sum(_ flags: [Bool], keepDim: Bool) -> Tensor {
        let out = _sumKernel(flags, keepDim: keepDim)
        // Without a graph to record, no closure (and no context for its captures) is made.
        guard GradMode.isEnabled, _requiresGradForRecording else { return out }
        return out._recorded("SumBackward1", self) { g, node in
            let input = node.inputShape(0)
            return (Tensor._unreduce(g, flags, keepDim: keepDim, input: input).expand(input), nil)
        }
    }

    private func _checkMeanDType(_ op: String) {
        if !dtype.isFloatingPoint {
            let name = dtype == .int64 ? "Long" : "Bool"
            _fail("\(op)(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(name)")
        }
    }

    /// The mean of all elements (`MeanBackward0`).
    ///
    /// ```swift
    /// let loss = (preds - targets).pow(2).mean()
    /// ```
    public func mean() -> Tensor {
        _checkMeanDType("mean")
        let n = Double(scalarCount)
        let flags = [Bool]._small(repeating: true, count: rank)
        let input = shape
        return _sumKernel(flags, keepDim: false, divisor: n)._recorded("MeanBackward0", self) { g, _ in
            (g.expand(input) / n, nil)
        }
    }

    /// The mean along `dim` (`MeanBackward1`).
    ///
    /// ```swift
    /// let columnMeans = x.mean(dim: 0)
    /// ```
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }

    /// The mean along several dimensions (`MeanBackward1`).
    public func mean(dims: [Int], keepDim: Bool = false) -> Tensor {
        _checkMeanDType("mean")
        let flags = _reducedFlags(dims)
        var n = 1
        for d in 0..<rank where flags[d] { n *= shape[d] }
        let count = Double(n)
        return _sumKernel(flags, keepDim: keepDim, divisor: count)._recorded("MeanBackward1", self) { g, node in
            let input = node.inputShape(0)
            return (Tensor._unreduce(g, flags, keepDim: keepDim, input: input).expand(input) / count, nil)
        }
    }

    // MARK: variance

    /// The variance (or, with `takeSqrt`, the standard deviation) over the flagged dims, as
    /// ATen computes it: over every element, the float mean first (`self.mean()`) and then the
    /// squared deviations summed in double (`std_var_all_cpu`); along dimensions, Welford's
    /// running mean and sum of squares in double, element by element (`WelfordOps`).
    private func _variance(_ flags: [Bool], correction: Double, keepDim: Bool, takeSqrt: Bool) -> Tensor {
        _checkMeanDType(takeSqrt ? "std" : "var")
        // A unit of a compiled step: the two-pass sums read the mean back.
        return _CaptureTape.opaque([self]) { t in
            [t[0]!._varianceValues(flags, correction: correction, keepDim: keepDim, takeSqrt: takeSqrt)]
        }[0]
    }

    private func _varianceValues(_ flags: [Bool], correction: Double, keepDim: Bool, takeSqrt: Bool) -> Tensor {
        var n = 1
        for d in 0..<rank where flags[d] { n *= shape[d] }
        let outShape = _reducedShape(flags, keepDim: keepDim)
        if scalarCount == 0 { return Tensor.full(outShape, Double.nan, dtype: dtype) }
        // Every dimension that is kept has size one: ATen's whole-tensor path.
        var whole = true
        for d in 0..<rank where !flags[d] && shape[d] != 1 { whole = false }
        func finish(_ m2: Double, _ count: Double) -> Double {
            let v = m2 / Swift.max(0, count - correction)
            return takeSqrt ? v.squareRoot() : v
        }
        func run<T: _FloatElement>(_: T.Type) -> [Double] {
            if whole {
                let mean = noGrad { self.mean() }._double(at: 0)
                return [finish(_squaredDeviations(from: mean, T.self), Double(scalarCount))]
            }
            let accs = Reduce.fold(self, T.self, reduced: flags, initial: (mean: 0.0, m2: 0.0, n: 0)) { acc, x, _ in
                let newN = acc.n + 1
                let delta = x.doubleValue - acc.mean
                let newMean = acc.mean + delta / Double(newN)
                return (newMean, acc.m2 + delta * (x.doubleValue - newMean), newN)
            }
            return accs.map { acc in
                let divisor = Double(acc.n) > correction ? Double(acc.n) - correction : 0
                let v = acc.m2 / divisor
                return takeSqrt ? v.squareRoot() : v
            }
        }
        let values = dtype == .float32 ? run(Float.self) : run(Double.self)
        return Tensor(shape: outShape, scalars: values, dtype: dtype)
    }

    /// `((x - mean) ** 2).sum()` in double as ATen's `std_var_all_cpu` adds it: in
    /// TensorIterator's order of the elements (dimensions sorted by stride, then merged where
    /// they are one run), a running sum per two-dimensional plane of that loop, and the planes'
    /// sums added in turn. (A tensor that merges to two dimensions or fewer is one plane.)
    private func _squaredDeviations<T: _FloatElement>(from mean: Double, _: T.Type) -> Double {
        let perm = CascadeSum._iteratorOrder(shape, [strides], reductionOutput: nil)
        // coalesce_dimensions.
        var sizes = perm.map { shape[$0] }, steps = perm.map { strides[$0] }
        if sizes.isEmpty { sizes = [1]; steps = [0] }
        var last = 0
        for d in 1..<Swift.max(1, sizes.count) {
            if sizes[last] == 1 || sizes[d] == 1 || sizes[last] * steps[last] == steps[d] {
                if sizes[last] == 1 { steps[last] = steps[d] }
                sizes[last] *= sizes[d]
            } else {
                last += 1
                sizes[last] = sizes[d]
                steps[last] = steps[d]
            }
        }
        sizes.removeSubrange((last + 1)...)
        steps.removeSubrange((last + 1)...)
        let p = pointer(T.self)
        let (n0, s0) = (sizes[0], steps[0])
        let (n1, s1) = sizes.count > 1 ? (sizes[1], steps[1]) : (1, 0)
        var total = 0.0
        var outer = [Int](repeating: 0, count: Swift.max(0, sizes.count - 2))
        while true {
            var base = 0
            for (k, i) in outer.enumerated() { base += i * steps[k + 2] }
            var plane = 0.0
            for i in 0..<n1 {
                let row = p + base + i * s1
                for j in 0..<n0 {
                    let dx = row[j * s0].doubleValue - mean
                    plane += dx * dx
                }
            }
            total += plane
            // The next plane, the lowest outer dimension first.
            var k = 0
            while k < outer.count {
                outer[k] += 1
                if outer[k] < sizes[k + 2] { break }
                outer[k] = 0
                k += 1
            }
            if k == outer.count { break }
        }
        return total
    }

    /// ATen's `var_backward`: `(2 / (n - correction)) * grad * (x - x.mean(dims))`; over every
    /// element with no degrees of freedom left, NaN where x equals its mean and infinity elsewhere.
    static func _varianceBackward(
        _ g: Tensor, _ x: Tensor, _ flags: [Bool], allDims: Bool, correction: Double, keepDim: Bool
    ) -> Tensor {
        if allDims || x.rank == 0 {
            let dof = Double(x.scalarCount) - correction
            let mean = x.mean()
            if dof <= 0 {
                return g * Tensor.where(x .== mean, Tensor.full([], Double.nan, dtype: x.dtype), Tensor.full([], Double.infinity, dtype: x.dtype))
            }
            return g * (2 / dof) * (x - mean)
        }
        var n = 1
        for d in 0..<x.rank where flags[d] { n *= x.shape[d] }
        let gk = _unreduce(g, flags, keepDim: keepDim, input: x.shape)
        let dims = (0..<x.rank).filter { flags[$0] }
        return gk * (2 / (Double(n) - correction)) * (x - x.mean(dims: dims, keepDim: true))
    }

    /// The variance of all elements with Bessel's correction by default (`VarBackward0`).
    ///
    /// ```swift
    /// let v = x.var()                  // unbiased, like torch.var
    /// let p = x.var(correction: 0)     // population variance
    /// ```
    public func `var`(correction: Double = 1) -> Tensor { `var`(dims: [], correction: correction) }

    /// The variance along `dim` (`VarBackward0`).
    public func `var`(dim: Int, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        `var`(dims: [dim], correction: correction, keepDim: keepDim)
    }

    /// The variance along several dimensions; an empty list means all (`VarBackward0`).
    public func `var`(dims: [Int], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let flags = _reducedFlags(dims)
        let value = _variance(flags, correction: correction, keepDim: keepDim, takeSqrt: false)
        let allDims = dims.isEmpty
        return value._recorded("VarBackward0", self, saving: self) { g, node in
            (Tensor._varianceBackward(g, node.savedTensor(0), flags, allDims: allDims, correction: correction, keepDim: keepDim), nil)
        }
    }

    /// The standard deviation of all elements (`StdBackward0`).
    ///
    /// ```swift
    /// let s = x.std()
    /// ```
    public func std(correction: Double = 1) -> Tensor { std(dims: [], correction: correction) }

    /// The standard deviation along `dim` (`StdBackward0`).
    public func std(dim: Int, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        std(dims: [dim], correction: correction, keepDim: keepDim)
    }

    /// The standard deviation along several dimensions; an empty list means all. Where the
    /// deviation is 0 the gradient is 0, as in PyTorch (`StdBackward0`).
    public func std(dims: [Int], correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let flags = _reducedFlags(dims)
        let value = _variance(flags, correction: correction, keepDim: keepDim, takeSqrt: true)
        let allDims = dims.isEmpty
        return value._recorded("StdBackward0", self, saving: self, savingOutput: true) { g, node in
            let x = node.savedTensor(0), result = node.savedTensor(1)
            // std_backward: (grad / (result * 2)).masked_fill_(result == 0, 0), then var_backward.
            let gradVar = Tensor.where(result .== 0, Tensor.zeros([], dtype: g.dtype), g / (result * 2))
            return (Tensor._varianceBackward(gradVar, x, flags, allDims: allDims, correction: correction, keepDim: keepDim), nil)
        }
    }

    // MARK: extrema

    private func _checkNonEmpty(_ op: String) {
        if scalarCount == 0 {
            _fail("\(op)(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        }
    }

    /// The largest element (`MaxBackward1`); NaN wins, and ties share the gradient equally.
    ///
    /// ```swift
    /// let top = scores.max()
    /// ```
    public func max() -> Tensor { _extremum(greater: true) }

    /// The smallest element (`MinBackward1`).
    public func min() -> Tensor { _extremum(greater: false) }

    private func _extremum(greater: Bool) -> Tensor {
        _checkNonEmpty(greater ? "max" : "min")
        let flat = reshape([scalarCount])
        // A unit of a compiled step: the position is read back to pick the value.
        let value = _CaptureTape.opaque([flat]) { t in
            let index = t[0]!._argExtremum(dim: 0, greater: greater).item(as: Int.self)
            return [noGrad { t[0]![index].clone() }]
        }[0]
        return value._recorded(greater ? "MaxBackward1" : "MinBackward1", self, saving: self, savingOutput: true) { g, node in
            let x = node.savedTensor(0), y = node.savedTensor(1)
            // Where the extremum is NaN, the NaNs share the gradient; else the elements equal
            // to it (no NaN among them then). A selection, not a branch on the value read back.
            let mask = Tensor.where(y.isnan(), x.isnan(), x .== y)
            // ATen's evenly_distribute_backward on the CPU: zeros with `grad / count` filled in
            // (+0 elsewhere, never -0).
            return (Tensor.where(mask, g / mask.to(g.dtype).sum(), Tensor.zeros([], dtype: g.dtype)), nil)
        }
    }

    /// The largest values along `dim` and where they are (`MaxBackward0`), like
    /// `torch.max(x, dim)`.
    ///
    /// ```swift
    /// let (values, indices) = logits.max(dim: 1)
    /// ```
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        _extremum(dim: dim, keepDim: keepDim, greater: true)
    }

    /// The smallest values along `dim` and where they are (`MinBackward0`).
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        _extremum(dim: dim, keepDim: keepDim, greater: false)
    }

    private func _extremum(dim: Int, keepDim: Bool, greater: Bool) -> (values: Tensor, indices: Tensor) {
        if rank == 0 {
            // PyTorch reduces a 0-d tensor along its one implicit dimension: the element itself.
            _ = Shape.wrap(dim, rank: 1)
            let values = noGrad { clone() }._recorded(greater ? "MaxBackward0" : "MinBackward0", self) { g, _ in (g, nil) }
            return (values, Tensor.zeros([], dtype: .int64))
        }
        let d = Shape.wrap(dim, rank: rank)
        if rank > 0 && shape[d] == 0 {
            _fail("\(greater ? "max" : "min")(): Expected reduction dim \(d) to have non-zero size.")
        }
        let idxKeep = _argExtremum(dim: d, greater: greater)
        let valKeep = noGrad { _gatherAlong(d, idxKeep) }
        var outShape = idxKeep.shape
        if rank > 0 && !keepDim { outShape.remove(at: d) }
        let indices = idxKeep._fresh(shape: outShape)
        let input = shape
        let values = valKeep.reshape(outShape).detach()
        values._recorded(greater ? "MaxBackward0" : "MinBackward0", self, saving: idxKeep) { g, node in
            let idx = node.savedTensor(0)
            return (Tensor._linearBackward(g, "ScatterBackward0", {
                Tensor._scatterAlong(d, idx, g.reshape(idx.shape), shape: input)
            }, adjoint: { $0._gatherAlong(d, idx).reshape(g.shape) }), nil)
        }
        return (values, indices)
    }

    /// The flat index of the largest element, as int64 (`torch.argmax`).
    ///
    /// ```swift
    /// let predicted = probs.argmax()
    /// ```
    public func argmax() -> Tensor { _argIndex(dim: nil, keepDim: false, greater: true) }

    /// The index of the largest element along `dim`.
    ///
    /// ```swift
    /// let classes = logits.argmax(dim: 1)
    /// ```
    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor { _argIndex(dim: dim, keepDim: keepDim, greater: true) }

    /// The flat index of the smallest element.
    public func argmin() -> Tensor { _argIndex(dim: nil, keepDim: false, greater: false) }

    /// The index of the smallest element along `dim`.
    public func argmin(dim: Int, keepDim: Bool = false) -> Tensor { _argIndex(dim: dim, keepDim: keepDim, greater: false) }

    private func _argIndex(dim: Int?, keepDim: Bool, greater: Bool) -> Tensor {
        guard let dim else {
            _checkNonEmpty(greater ? "argmax" : "argmin")
            return reshape([scalarCount])._argExtremum(dim: 0, greater: greater).reshape([])
        }
        let d = Shape.wrap(dim, rank: rank)
        let idx = _argExtremum(dim: d, greater: greater)
        if keepDim || rank == 0 { return idx }
        var outShape = idx.shape
        outShape.remove(at: d)
        return idx.reshape(outShape)
    }

    /// Keep-dim indices of the first extreme element along `d`; the first NaN wins.
    func _argExtremum(dim d: Int, greater: Bool) -> Tensor {
        if rank == 0 { return Tensor.zeros([], dtype: .int64) }
        // `Reduce.scan` takes a closure, so a compiled step runs the whole reduction again.
        return _CaptureTape.opaque([self]) { [$0[0]!._argExtremumKernel(dim: d, greater: greater)] }[0]
    }

    private func _argExtremumKernel(dim d: Int, greater: Bool) -> Tensor {
        func run<T: _Element & Comparable>(_: T.Type) -> Tensor {
            Reduce.scan(self, T.self, dim: d, initial: (best: T?.none, index: 0, nan: false), { s, x, i in
                if s.nan { return }
                if x != x { s = (x, i, true); return }
                if let b = s.best {
                    if greater ? x > b : x < b { s = (x, i, false) }
                } else {
                    s = (x, i, false)
                }
            }, finish: { Int64($0.index) })
        }
        switch dtype {
        case .float32: return run(Float.self)
        case .float64: return run(Double.self)
        case .int64: return run(Int64.self)
        case .bool: return to(.int64)._argExtremum(dim: d, greater: greater)
        }
    }

    /// Whether every element is nonzero, as a 0-d bool tensor (`torch.all`).
    ///
    /// ```swift
    /// (x .>= 0).all().item() != 0
    /// ```
    public func all() -> Tensor {
        let t = to(.bool)
        let acc = Reduce.fold(t, Bool.self, reduced: [Bool]._small(repeating: true, count: rank), initial: true) { a, x, _ in a && x }
        return Tensor(shape: [], scalars: [acc[0]], dtype: .bool)
    }

    /// Whether any element is nonzero, as a 0-d bool tensor (`torch.any`).
    public func any() -> Tensor {
        let t = to(.bool)
        let acc = Reduce.fold(t, Bool.self, reduced: [Bool]._small(repeating: true, count: rank), initial: false) { a, x, _ in a || x }
        return Tensor(shape: [], scalars: [acc[0]], dtype: .bool)
    }
}
