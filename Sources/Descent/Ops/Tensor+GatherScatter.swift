// Gathering and scattering along a dimension, index ops along a dimension, and masked ops.
// The kernels walk the index tensor's shape over the operands' own strides; every op records
// one node under PyTorch's name whose gradient is made of these same ops (so it is
// differentiable again).

/// How `scatter` combines a source value with the value already in place.
public enum ScatterReduction: String, Sendable {
    /// Add (`"sum"`).
    case sum
    /// Multiply (`"prod"`).
    case prod
    /// Average of the values scattered to one place (with the original when `includeSelf`).
    case mean
    /// The largest (`"amax"`).
    case amax
    /// The smallest (`"amin"`).
    case amin
}

extension Tensor {
    /// Checks `index` against `self` for gather/scatter along `d` (PyTorch's messages).
    private func _checkIndex(_ op: String, _ d: Int, _ index: Tensor, _ src: Tensor? = nil) {
        if index.dtype != .int64 { _fail("\(op)(): Expected dtype int64 for index") }
        if index.rank != Swift.max(rank, 1) && !(index.rank == 0 && rank == 0) {
            _fail("Index tensor must have the same number of dimensions as \(op == "gather" ? "input" : "self") tensor")
        }
        for i in 0..<index.rank where i != d {
            if index.shape[i] > (rank == 0 ? 1 : shape[i]) {
                _fail("Size does not match at dimension \(i) expected index \(index.shape) to be no larger than self \(shape) apart from dimension \(d)")
            }
        }
        if let src {
            for i in 0..<index.rank where index.shape[i] > (src.rank == 0 ? 1 : src.shape[i]) {
                _fail("Expected index \(index.shape) to be no larger than src \(src.shape) apart from dimension \(d)")
            }
        }
    }

    /// Visits every position of `index` (row-major), handing the flat offsets into `a` (with
    /// dimension `d` left out) and `b`, and the position's index value.
    private static func _alongIndex(_ index: Tensor, _ d: Int, _ aStrides: [Int], _ bStrides: [Int], _ size: Int, _ body: (Int, Int, Int) -> Void) {
        let idx = index.contiguous()
        let p = idx.pointer(Int64.self)
        var aSt = aStrides, bSt = bStrides
        if !aSt.isEmpty { aSt[d] = 0 }
        if idx.rank == 0 {
            let i = Int(p[0])
            if i < -size || i >= size { _fail("index \(i) is out of bounds for dimension \(d) with size \(size)") }
            body(0, 0, i < 0 ? i + size : i)
            return
        }
        var k = 0
        _forEachRun(idx.shape, [aSt, bSt]) { offsets, count, steps in
            var oa = offsets[0], ob = offsets[1]
            for _ in 0..<count {
                let i = Int(p[k])
                if i < -size || i >= size { _fail("index \(i) is out of bounds for dimension \(d) with size \(size)") }
                body(oa, ob, i < 0 ? i + size : i)
                oa += steps[0]
                ob += steps[1]
                k += 1
            }
        }
        withExtendedLifetime(idx) {}
    }

    /// Values along `dim` at the positions in `index` (`GatherBackward0`), like `torch.gather`:
    /// `out[i][j] = self[i][index[i][j]]` for `dim` 1.
    ///
    /// ```swift
    /// let picked = logits.gather(1, labels.unsqueeze(1))
    /// ```
    public func gather(_ dim: Int, _ index: Tensor) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        _checkIndex("gather", d, index)
        let out = Tensor(uninitializedShape: index.shape, dtype: dtype)
        Tensor._gatherKernel(self, d, index, into: out)
        if _CaptureTape.isActive {
            // The walk checks every index, so a replay with new indices stops as eager code would.
            let (source, idx, target) = (_CaptureTape.handle(self), _CaptureTape.handle(index), _CaptureTape.handle(out))
            _CaptureTape.record({ Tensor._gatherKernel(source, d, idx, into: target) }, writes: out, reads: self, index)
        }
        let input = shape
        return out._recorded("GatherBackward0", self, saving: index) { g, n in
            let index = n.savedTensor(0)
            return (Tensor.zeros(input, dtype: g.dtype).scatterAdd(d, index, g), nil)
        }
    }

    private static func _gatherKernel(_ source: Tensor, _ d: Int, _ index: Tensor, into out: Tensor) {
        let size = source.rank == 0 ? 1 : source.shape[d], stride = source.rank == 0 ? 0 : source.strides[d]
        let item = source.dtype.itemSize
        let src = source.data + source.storageOffset * item
        let outStrides = Shape.contiguousStrides(index.shape)
        Tensor._alongIndex(index, d, source.rank == 0 ? [] : source.strides, outStrides, size) { oa, ob, i in
            (out.data + ob * item).copyMemory(from: src + (oa + i * stride) * item, byteCount: item)
        }
    }

    /// `gather` with `indices` broadcast against `self` in the other dimensions, or over the
    /// flattened tensor without `dim`, like `torch.take_along_dim` (`GatherBackward0`).
    public func takeAlongDim(_ indices: Tensor, dim: Int? = nil) -> Tensor {
        guard let dim else { return flatten().gather(0, indices.flatten()) }
        let d = Shape.wrap(dim, rank: rank)
        var selfShape = shape, indexShape = indices.shape
        selfShape[d] = 1
        indexShape[d] = 1
        let common = Shape.broadcast(selfShape, indexShape)
        var s = common, i = common
        s[d] = shape[d]
        i[d] = indices.shape[d]
        return expand(s).gather(d, indices.expand(i))
    }

    /// A copy with values of `src` written along `dim` at the positions in `index`
    /// (`ScatterBackward0`), like `torch.scatter`; with `reduce`, combined with what is there
    /// (`scatter_reduce`, `ScatterReduceBackward0`).
    ///
    /// ```swift
    /// let oneHot = Tensor.zeros(3, 5).scatter(1, labels.unsqueeze(1), Tensor.ones(3, 1))
    /// ```
    public func scatter(_ dim: Int, _ index: Tensor, _ src: Tensor) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        _checkIndex("scatter", d, index, src)
        let s = src.dtype == dtype ? src : noGrad { src.to(dtype) }
        let out = noGrad { _contiguousClone() }   // ATen's scatter allocates a contiguous result
        out._scatterRaw(d, index, s, _ScatterMode.copy)
        return out._recorded("ScatterBackward0", self, src, saving: index) { g, n in
            let index = n.savedTensor(0)
            return (n.needsInputGrad(0) ? g.scatter(d, index, 0.0) : nil, n.needsInputGrad(1) ? g.gather(d, index) : nil)
        }
    }

    /// A copy with `value` written along `dim` at the positions in `index` (`ScatterBackward1`).
    public func scatter(_ dim: Int, _ index: Tensor, _ value: Double) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        _checkIndex("scatter", d, index)
        let out = noGrad { _contiguousClone() }   // ATen's scatter allocates a contiguous result
        out._scatterRaw(d, index, Tensor.full([], value, dtype: dtype).expand(index.shape), _ScatterMode.copy)
        return out._recorded("ScatterBackward1", self, saving: index) { g, n in (g.scatter(d, n.savedTensor(0), 0.0), nil) }
    }

    /// A copy with `src` added along `dim` at the positions in `index`; repeated positions
    /// accumulate (`ScatterAddBackward0`), like `torch.scatter_add`.
    public func scatterAdd(_ dim: Int, _ index: Tensor, _ src: Tensor) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        _checkIndex("scatter_add", d, index, src)
        let s = src.dtype == dtype ? src : noGrad { src.to(dtype) }
        let out = noGrad { _contiguousClone() }   // ATen's scatter allocates a contiguous result
        out._scatterRaw(d, index, s, _ScatterMode.sum)
        return out._recorded("ScatterAddBackward0", self, src, saving: index) { g, n in
            (n.needsInputGrad(0) ? g : nil, n.needsInputGrad(1) ? g.gather(d, n.savedTensor(0)) : nil)
        }
    }

    /// `src` combined into a copy along `dim` at the positions in `index` by `reduce`
    /// (`ScatterReduceBackward0`), like `torch.scatter_reduce`; `includeSelf: false` leaves the
    /// original values out of the places scattered to.
    public func scatterReduce(_ dim: Int, _ index: Tensor, _ src: Tensor, reduce: ScatterReduction, includeSelf: Bool = true) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        _checkIndex("scatter_reduce", d, index, src)
        let out = noGrad { () -> Tensor in
            let out = _contiguousClone()
            let s = src.dtype == dtype ? src : src.to(dtype)
            if !includeSelf {
                // The places scattered to start from the reduction's identity.
                let identity: Double
                switch reduce {
                case .sum, .mean: identity = 0
                case .prod: identity = 1
                case .amax: identity = dtype.isFloatingPoint ? -.infinity : Double(Int64.min)
                case .amin: identity = dtype.isFloatingPoint ? .infinity : Double(Int64.max)
                }
                out._scatterRaw(d, index, Tensor.full([], identity, dtype: dtype).expand(index.shape), _ScatterMode.copy)
            }
            let mode: _ScatterMode
            switch reduce {
            case .sum, .mean: mode = .sum
            case .prod: mode = .prod
            case .amax: mode = .amax
            case .amin: mode = .amin
            }
            out._scatterRaw(d, index, s, mode)
            if reduce == .mean {
                let counts = Tensor.full(shape, includeSelf ? 1.0 : 0.0, dtype: dtype)
                counts._scatterRaw(d, index, Tensor.ones(index.shape, dtype: dtype), _ScatterMode.sum)
                let safe = Tensor.where(counts .== 0, Tensor.ones([], dtype: dtype), counts)
                return dtype.isFloatingPoint ? out / safe : (out.to(.float64) / safe.to(.float64)).floor().to(dtype)
            }
            return out
        }
        return out._recorded("ScatterReduceBackward0", [self, src], saving: [self, src, index], savingOutput: true) { g, n in
            let x = n.savedTensor(0), s = n.savedTensor(1), index = n.savedTensor(2), result = n.savedTensor(3)
            switch reduce {
            case .sum:
                return [includeSelf ? g : g.scatter(d, index, 0.0), g.gather(d, index)]
            case .mean:
                let counts = Tensor.full(x.shape, includeSelf ? 1.0 : 0.0, dtype: g.dtype).scatterAdd(d, index, Tensor.ones(index.shape, dtype: g.dtype))
                let share = g / Tensor.where(counts .== 0, Tensor.ones([], dtype: g.dtype), counts)
                return [includeSelf ? share : share.scatter(d, index, 0.0), share.gather(d, index)]
            case .amax, .amin:
                // The gradient is shared evenly among every value equal to the result.
                let selfIsResult = (x .== result).to(g.dtype) * (includeSelf ? 1.0 : 0.0)
                let srcIsResult = (s .== result.gather(d, index)).to(g.dtype)
                let counts = selfIsResult.scatterAdd(d, index, srcIsResult)
                let share = g / Tensor.where(counts .== 0, Tensor.ones([], dtype: g.dtype), counts)
                let selfGrad = includeSelf ? selfIsResult * share : share.scatter(d, index, 0.0) * 0
                return [selfGrad, srcIsResult * share.gather(d, index)]
            case .prod:
                // result / x where x is not zero; with zeros, the product of the others.
                let gr = g * result
                let selfGrad = includeSelf ? Tensor.where(x .== 0, Tensor.zeros([], dtype: g.dtype), gr / x) : g.scatter(d, index, 0.0)
                let srcGrad = Tensor.where(s .== 0, Tensor.zeros([], dtype: g.dtype), gr.gather(d, index) / s)
                return [selfGrad, srcGrad]
            }
        }
    }

    enum _ScatterMode { case copy, sum, prod, amax, amin }

    /// Writes or combines `src` into this tensor in place along `d` at `index` (no recording).
    func _scatterRaw(_ d: Int, _ index: Tensor, _ src: Tensor, _ mode: _ScatterMode) {
        _scatterKernel(d, index, src, mode)
        if _CaptureTape.isActive {
            // The walk checks every index, so a replay with new indices stops as eager code would.
            let (out, idx, s) = (_CaptureTape.handle(self), _CaptureTape.handle(index), _CaptureTape.handle(src))
            _CaptureTape.record({ out._scatterKernel(d, idx, s, mode) }, writes: self, inPlace: true, reads: index, src)
        }
    }

    private func _scatterKernel(_ d: Int, _ index: Tensor, _ src: Tensor, _ mode: _ScatterMode) {
        let size = rank == 0 ? 1 : shape[d], stride = rank == 0 ? 0 : strides[d]
        func run<T: _NumericElement>(_: T.Type) {
            let out = pointer(T.self), s = src.pointer(T.self)
            Tensor._alongIndex(index, d, rank == 0 ? [] : strides, src.rank == 0 ? [] : src.strides, size) { oa, ob, i in
                let at = oa + i * stride
                let v = s[ob]
                switch mode {
                case .copy: out[at] = v
                case .sum: out[at] = T._plus(out[at], v)
                case .prod: out[at] = T._times(out[at], v)
                case .amax: out[at] = out[at] != out[at] ? out[at] : (v != v || v > out[at] ? v : out[at])
                case .amin: out[at] = out[at] != out[at] ? out[at] : (v != v || v < out[at] ? v : out[at])
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .bool:
            let out = pointer(Bool.self), s = src.pointer(Bool.self)
            Tensor._alongIndex(index, d, strides, src.strides, size) { oa, ob, i in
                let at = oa + i * stride
                out[at] = mode == .copy ? s[ob] : (mode == .sum || mode == .amax ? out[at] || s[ob] : out[at] && s[ob])
            }
        }
    }

    /// A copy with `alpha · source[k]` added to slice `index[k]` along `dim`; repeated indices
    /// accumulate (`IndexAddBackward0`), like `torch.index_add`.
    public func indexAdd(_ dim: Int, _ index: Tensor, _ source: Tensor, alpha: Double = 1) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        // A unit of a compiled step: the positions are read back from the index.
        let out = _CaptureTape.opaque([self, index, source]) { t in
            let (me, index, source) = (t[0]!, t[1]!, t[2]!)
            let positions = me._positions(d, index, "index_add_")
            return [noGrad { () -> Tensor in
                let out = me._contiguousClone()   // ATen's result is contiguous, as scatter's
                for (k, i) in positions.enumerated() {
                    let slice = source.rank == 0 ? source : source.select(d, k)
                    out.select(d, i)._addInPlaceNoGraph(alpha == 1 ? slice : slice * alpha)
                }
                return out
            }]
        }[0]
        return out._recorded("IndexAddBackward0", self, source, saving: index) { g, n in
            let index = n.savedTensor(0)
            let gs = n.needsInputGrad(1) ? g.indexSelect(d, index) : nil
            return (n.needsInputGrad(0) ? g : nil, gs.map { alpha == 1 ? $0 : $0 * alpha })
        }
    }

    /// A copy with slice `index[k]` along `dim` replaced by `source[k]` (`IndexCopyBackward0`).
    public func indexCopy(_ dim: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let out = _CaptureTape.opaque([self, index, source]) { t in
            let (me, index, source) = (t[0]!, t[1]!, t[2]!)
            let positions = me._positions(d, index, "index_copy_")
            return [noGrad { () -> Tensor in
                let out = me._contiguousClone()   // ATen's result is contiguous, as scatter's
                for (k, i) in positions.enumerated() { out.select(d, i)._copyRaw(source.select(d, k)) }
                return out
            }]
        }[0]
        return out._recorded("IndexCopyBackward0", self, source, saving: index) { g, n in
            let index = n.savedTensor(0)
            return (n.needsInputGrad(0) ? g.indexFill(d, index, 0) : nil, n.needsInputGrad(1) ? g.indexSelect(d, index) : nil)
        }
    }

    /// A copy with the slices `index` along `dim` filled with `value` (`IndexFillBackward0`).
    public func indexFill(_ dim: Int, _ index: Tensor, _ value: Double) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let out = _CaptureTape.opaque([self, index]) { t in
            let (me, index) = (t[0]!, t[1]!)
            let positions = me._positions(d, index, "index_fill_")
            return [noGrad { () -> Tensor in
                let out = me.clone()
                for i in positions { out.select(d, i).fill(value) }
                return out
            }]
        }[0]
        return out._recorded("IndexFillBackward0", self, saving: index) { g, n in (g.indexFill(d, n.savedTensor(0), 0), nil) }
    }

    /// Checked, normalised positions of a 1-D (or 0-d) index along `d`.
    private func _positions(_ d: Int, _ index: Tensor, _ op: String) -> [Int] {
        if index.dtype != .int64 { _fail("\(op)(): Expected dtype int64 for index") }
        if index.rank > 1 { _fail("\(op)(): Index is supposed to be a vector") }
        let n = rank == 0 ? 1 : shape[d]
        return index.scalars(as: Int64.self).map { v in
            let i = Int(v)
            if i < -n || i >= n { _fail("index out of range in self") }
            return i < 0 ? i + n : i
        }
    }

    /// A copy with `value` where `mask` is true, broadcasting (`MaskedFillBackward0`), like
    /// `torch.masked_fill`.
    ///
    /// ```swift
    /// let scores = attention.maskedFill(causal .== 0, -.infinity)
    /// ```
    public func maskedFill(_ mask: Tensor, _ value: Double) -> Tensor {
        if mask.dtype != .bool { _fail("masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.cppName)") }
        // ATen fills a contiguous copy of `self` expanded to the common shape.
        let out = noGrad { Tensor.where(mask, Tensor.full([], value, dtype: dtype), self).contiguous() }
        return (out === self ? noGrad { _contiguousClone() } : out)._recorded("MaskedFillBackward0", self, saving: mask) { g, n in
            (g.maskedFill(n.savedTensor(0), 0), nil)
        }
    }

    /// The elements where `mask` (broadcast) is true, in row-major order, as a 1-D tensor
    /// (`MaskedSelectBackward0`), like `torch.masked_select`.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        if mask.dtype != .bool { _fail("masked_select: expected BoolTensor for mask") }
        let common = Shape.broadcast(shape, mask.shape)
        let out = noGrad { () -> Tensor in
            let m = mask.expand(common).contiguous().scalars(as: Bool.self)
            let values = self.expand(common).contiguous().flatten()
            let picked = m.enumerated().compactMap { $0.element ? Int64($0.offset) : nil }
            return values.indexSelect(0, Tensor(picked, dtype: .int64))
        }
        return out._recorded("MaskedSelectBackward0", self, saving: mask) { g, n in
            (Tensor.zeros(common, dtype: g.dtype).maskedScatter(n.savedTensor(0), g), nil)
        }
    }

    /// A copy with the elements where `mask` is true replaced, in row-major order, by the
    /// leading elements of `source` (`MaskedScatterBackward0`), like `torch.masked_scatter`.
    public func maskedScatter(_ mask: Tensor, _ source: Tensor) -> Tensor {
        if mask.dtype != .bool { _fail("masked_scatter_ only supports boolean masks, but got mask with dtype \(mask.dtype.cppName)") }
        let common = Shape.broadcast(shape, mask.shape)
        // The mask is read into Swift: inside a compiled step a unit, which reads it again on
        // every replay (the result's size follows the shapes alone).
        let out = _CaptureTape.opaque([self, mask, source]) { t -> [Tensor] in
            let (me, mask, source) = (t[0]!, t[1]!, t[2]!)
            let m = noGrad { mask.expand(common).contiguous().scalars(as: Bool.self) }
            let picked = m.enumerated().compactMap { $0.element ? Int64($0.offset) : nil }
            if picked.count > source.scalarCount { _fail("masked_scatter: expected source to have at least \(picked.count) elements, got \(source.scalarCount)") }
            return [noGrad { () -> Tensor in
                let out = me.expand(common).contiguous().clone()
                let flat = out.reshape([out.scalarCount])
                let src = source.to(me.dtype).flatten()
                for (k, i) in picked.enumerated() { flat.select(0, Int(i))._copyRaw(src.select(0, k)) }
                return out
            }]
        }[0]
        let sourceShape = source.shape, count = source.scalarCount
        return out._recorded("MaskedScatterBackward0", self, source, saving: mask) { g, n in
            let mask = n.savedTensor(0)
            let gs: Tensor? = n.needsInputGrad(1) ? _CaptureTape.opaque([g, mask]) { t in
                let selected = t[0]!.maskedSelect(t[1]!)
                let pad = Tensor.zeros([count - selected.scalarCount], dtype: t[0]!.dtype)
                return [Tensor.cat([selected, pad], dim: 0).reshape(sourceShape)]
            }[0] : nil
            return (n.needsInputGrad(0) ? g.maskedFill(mask, 0) : nil, gs)
        }
    }

    /// A copy with the elements at flat positions `index` (in row-major order) replaced by
    /// `source`, or added to with `accumulate` (`PutBackward0`), like `torch.Tensor.put`.
    public func put(_ index: Tensor, _ source: Tensor, accumulate: Bool = false) -> Tensor {
        if index.dtype != .int64 { _fail("put_(): Expected a long tensor for index, but got \(index.dtype.cppName)") }
        if index.scalarCount != source.scalarCount {
            _fail("put_(): Expected source and index to have the same number of elements, but got source.numel() = \(source.scalarCount), index.numel() = \(index.scalarCount)")
        }
        let n = scalarCount
        // The positions are read into Swift: inside a compiled step a unit, which reads them
        // again on every replay and hands the gradient its normalised positions.
        let results = _CaptureTape.opaque([self, index, source]) { t -> [Tensor] in
            let (me, index, source) = (t[0]!, t[1]!, t[2]!)
            let positions = index.scalars(as: Int64.self).map { v -> Int in
                let i = Int(v)
                if i < -n || i >= n { _fail("out of range: tried to access index \(i) on a tensor of \(n) elements.") }
                return i < 0 ? i + n : i
            }
            let out = noGrad { () -> Tensor in
                // Contiguous, so that the flat reading below is a view of it.
                let out = me._contiguousClone()
                let flat = out.reshape([n])
                let src = source.to(me.dtype).flatten()
                for (k, i) in positions.enumerated() {
                    if accumulate { flat.select(0, i)._addInPlaceNoGraph(src.select(0, k)) } else { flat.select(0, i)._copyRaw(src.select(0, k)) }
                }
                // ATen puts into `clone(preserve_format)`: the result keeps `self`'s layout.
                return out._laidOut(like: me)
            }
            return [out, Tensor(positions.map { Int64($0) }, shape: index.shape)]
        }
        let (out, flatIndex) = (results[0], results[1])
        let shape = self.shape
        return out._recorded("PutBackward0", self, source, saving: flatIndex) { g, n in
            let index = n.savedTensor(0)
            let gSelf: Tensor? = n.needsInputGrad(0)
                ? (accumulate ? g : g.flatten().indexFill(0, index.flatten(), 0).reshape(shape)) : nil
            let gSource: Tensor? = n.needsInputGrad(1) ? g.flatten().indexSelect(0, index.flatten()).reshape(index.shape) : nil
            return (gSelf, gSource)
        }
    }

    /// The elements at flat positions `index`, in its shape, like `torch.take`.
    public func take(_ index: Tensor) -> Tensor { flatten().gather(0, index.flatten()).reshape(index.shape) }
}

extension Tensor {
    /// An int64 tensor of `values` in `shape`.
    convenience init(_ values: [Int64], shape: [Int]) {
        self.init(shape: shape, scalars: values, dtype: .int64)
    }
}

