import CDescentKernels

// Subscripts, select, narrow, gathering rows with an index tensor, and their gradients.

extension Tensor {
    /// The sub-tensor at `index` along `dim`, removing that dimension (`SelectBackward0`).
    ///
    /// ```swift
    /// let firstRow = x.select(0, 0)
    /// ```
    public func select(_ dim: Int, _ index: Int) -> Tensor { _select(dim, index, name: "SelectBackward0") }

    /// `select` recorded under `name` (`UnbindBackward0` for `unbind`'s pieces).
    func _select(_ dim: Int, _ index: Int, name: StaticString) -> Tensor {
        if rank == 0 { _fail("select() cannot be applied to a 0-dim tensor.") }
        let d = Shape.wrap(dim, rank: rank)
        let n = shape[d]
        guard index >= -n && index < n else {
            _fail("index \(index) is out of bounds for dimension \(d) with size \(n)")
        }
        let i = index < 0 ? index + n : index
        var s = shape, st = strides
        s.remove(at: d)
        st.remove(at: d)
        let input = shape, dtype = self.dtype
        return _view(shape: s, strides: st, offset: storageOffset + i * strides[d])
            ._recorded(name, self) { g, _ in
                (Tensor._linearBackward(g, "SelectBackwardBackward0", {
                    let full = Tensor.zeros(input, dtype: dtype)
                    full.select(d, i)._copyRaw(g)
                    return full
                }, adjoint: { $0.select(d, i) }), nil)
            }
    }

    /// `length` elements of dimension `dim` starting at `start`, sharing storage.
    ///
    /// ```swift
    /// let firstTwo = x.narrow(0, 0, 2)
    /// ```
    public func narrow(_ dim: Int, _ start: Int, _ length: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: rank)
        let s = start < 0 ? start + shape[d] : start
        guard s >= 0, length >= 0, s + length <= shape[d] else {
            _fail("start (\(start)) + length (\(length)) exceeds dimension size (\(shape[d])).")
        }
        return _slice(d, s, s + length, 1)
    }

    /// Python slice semantics: bounds clamp to the dimension, negative ones count from the end.
    func _slice(_ d: Int, _ start: Int?, _ end: Int?, _ step: Int, skipFull: Bool = false, name: StaticString = "SliceBackward0") -> Tensor {
        guard step > 0 else { _fail("step must be greater than zero") }
        let n = shape[d]
        func clampIndex(_ v: Int?, _ fallback: Int) -> Int {
            guard var v else { return fallback }
            if v < 0 { v += n }
            return Swift.min(Swift.max(v, 0), n)
        }
        let lo = clampIndex(start, 0)
        let hi = Swift.max(clampIndex(end, n), lo)
        // PyTorch skips a slice within a tuple only when it is written from 0 (or left out)
        // to the end or past it: `x[-2:, :]` over two rows still slices.
        if skipFull && (start ?? 0) == 0 && (end ?? n) >= n && step == 1 { return self }
        var s = shape, st = strides
        s[d] = (hi - lo + step - 1) / step
        st[d] = strides[d] * step
        let input = shape, dtype = self.dtype
        return _view(shape: s, strides: st, offset: storageOffset + lo * strides[d])
            ._recorded(name, self) { g, _ in
                (Tensor._linearBackward(g, "SliceBackwardBackward0", {
                    let full = Tensor.zeros(input, dtype: dtype)
                    full._slice(d, lo, hi, step)._copyRaw(g)
                    return full
                }, adjoint: { $0._slice(d, lo, hi, step) }), nil)
            }
    }

    /// Indexes like Python: integers, ranges, `.all`, `.newAxis`, `.ellipsis` and index
    /// tensors (int64 positions or bool masks). Basic indices give views; index tensors gather
    /// a copy (`IndexBackward0`): several broadcast together and pick one element of the
    /// dimensions they index per position, as PyTorch's advanced indexing does. Assigning
    /// copies values into the indexed elements.
    ///
    /// ```swift
    /// let row = x[0]
    /// let tail = x[.all, 1...]
    /// let batch = x[perm[0..<64]]
    /// let picked = logProbs[Tensor.arange(logProbs.size(0)), targets]   // one per row
    /// x[0] = Tensor([1, 2, 3])
    /// ```
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { _index(indices.map(\.tensorIndex)) }
        set { _indexAssign(indices.map(\.tensorIndex), newValue) }
    }

    /// `x[start..<end]`: rows along the first dimension, as a view. The same as the general
    /// subscript; this overload spares a training loop's batch slicing the variadic list.
    ///
    /// ```swift
    /// let batch = x[0..<64]   // the first 64 rows, sharing x's storage
    /// ```
    public subscript(_ range: Range<Int>) -> Tensor {
        get { rank > 0 ? _slice(0, range.lowerBound, range.upperBound, 1) : _index([range.tensorIndex]) }
        set { _indexAssign([range.tensorIndex], newValue) }
    }

    /// `x[index]` with an index tensor: the mini-batch gather `x[perm[i..<j]]` goes straight
    /// to the row-gathering kernel. The same as the general subscript otherwise.
    ///
    /// ```swift
    /// let perm = Tensor.randperm(x.size(0))
    /// let batch = x[perm[0..<64]]   // 64 rows in shuffled order, copied
    /// ```
    public subscript(_ index: Tensor) -> Tensor {
        get {
            if index.dtype == .int64 && index.rank == 1 && rank > 0 { return _indexSelect(0, index, name: "IndexBackward0") }
            return _index([index.tensorIndex])
        }
        set { _indexAssign([index.tensorIndex], newValue) }
    }

    func _index(_ indices: [TensorIndex]) -> Tensor {
        let (result, all) = _basicIndex(indices)
        if all.count > 1 { return result._gatherAdvanced(all) }
        if let (d, idx) = all.first {
            let flat = idx.reshape([idx.scalarCount])
            let gathered = result._indexSelect(d, flat, name: "IndexBackward0")
            if idx.rank == 1 { return gathered }
            let s = Array(result.shape[..<d]) + idx.shape + Array(result.shape[(d + 1)...])
            return noGrad { gathered.reshape(s) }.detach()._recorded("IndexBackward0", gathered) { g, _ in
                (g.reshape(gathered.shape), nil)
            }
        }
        // PyTorch hands out a new tensor for every subscript, never the indexed one itself:
        // an alias (`AliasBackward0`) where nothing but full slices, `...` or nothing applied.
        return result === self ? _alias() : result
    }

    /// The basic part of a subscript applied as views (integers, slices, new axes, the
    /// ellipsis), and the index tensors, each with the dimension of the view it indexes and
    /// its positions: int64 ones, or for a mask its `true` elements' positions over the
    /// mask's flattened dimensions (with `flattenMask`), or the mask itself.
    func _basicIndex(_ indices: [TensorIndex], flattenMask: Bool = true, assigning: Bool = false) -> (view: Tensor, advanced: [(dim: Int, index: Tensor)]) {
        var consumed = 0
        var ellipses = 0
        for i in indices {
            switch i.kind {
            case .index, .slice, .all: consumed += 1
            case .tensor(let t): consumed += t.dtype == .bool ? Swift.max(t.rank, 1) : 1
            case .ellipsis: ellipses += 1
            case .newAxis: break
            }
        }
        if ellipses > 1 { _fail("an index can only have a single ellipsis ('...')") }
        if consumed > rank {
            if rank == 0, case .index = indices.first?.kind {
                _fail("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            }
            _fail("too many indices for tensor of dimension \(rank)")
        }
        // A lone slice is always sliced (`x[:]` is SliceBackward0 in PyTorch); within a tuple,
        // full slices are skipped, as PyTorch's applySlicing does.
        // Assignment skips full slices even alone (`x[0:] = v` copies into `x` itself).
        let lone = indices.count == 1 && !assigning
        var result = self
        var dim = 0
        var advanced: [(dim: Int, index: Tensor)] = []
        for i in indices {
            switch i.kind {
            case .index(let k):
                result = result.select(dim, k)
            case .slice(let a, let b, let step):
                result = result._slice(dim, a, b, step, skipFull: !lone)
                dim += 1
            case .all:
                if lone { result = result._slice(dim, nil, nil, 1, skipFull: false) }
                dim += 1
            case .newAxis:
                result = result.unsqueeze(dim)
                dim += 1
            case .ellipsis:
                dim += rank - consumed
            case .tensor(let t):
                if t.dtype == .bool {
                    let r = Swift.max(t.rank, 1)
                    for k in 0..<t.rank where t.shape[k] != result.shape[dim + k] {
                        _fail("The shape of the mask \(_shapeString(t.shape)) at index \(k) does not match the shape of the indexed tensor \(_shapeString(result.shape)) at index \(dim + k)")
                    }
                    if !flattenMask {
                        // Assignment keeps the mask's shape: flattening a view that is not
                        // contiguous would copy it, and the writes would land in the copy.
                        advanced.append((dim, t.rank == 0 ? t.reshape([1]) : t))
                        dim += r
                        continue
                    }
                    if r > 1 { result = result.flatten(start: dim, end: dim + r - 1) }
                    advanced.append((dim, t.reshape([t.scalarCount]).nonzero().reshape([-1])))
                } else if t.dtype == .int64 {
                    advanced.append((dim, t))
                } else {
                    _fail("tensors used as indices must be long, int, byte or bool tensors")
                }
                dim += 1
            }
        }
        return (result, advanced)
    }

    /// A new tensor over the same elements with the same geometry (`AliasBackward0`).
    func _alias() -> Tensor {
        _view(shape: shape, strides: strides, offset: storageOffset)._recorded("AliasBackward0", self) { g, _ in (g, nil) }
    }

    /// Gathers the entries of `index` (int64) along `dim` into a new tensor
    /// (`IndexSelectBackward0`), like `torch.index_select`.
    ///
    /// ```swift
    /// let rows = x.indexSelect(0, Tensor([2, 0], dtype: .int64))
    /// ```
    public func indexSelect(_ dim: Int, _ index: Tensor) -> Tensor {
        if index.rank > 1 { _fail("index_select(): Index is supposed to be a vector") }
        return _indexSelect(Shape.wrap(dim, rank: rank), index.reshape([index.scalarCount]), name: "IndexSelectBackward0")
    }

    func _indexSelect(_ d: Int, _ index: Tensor, name: StaticString) -> Tensor {
        if index.dtype != .int64 { _fail("index_select(): Expected dtype int64 for index") }
        if _CaptureTape.isActive { return _indexSelectRecorded(d, index, name: name) }
        let n = shape[d]
        // `given` lives to the end of the function: when `index` is not contiguous it is the
        // only reference to the copy that `raw` reads while normalising.
        let given = index.contiguous()
        var positions = given
        let count = positions.scalarCount
        // Negative positions count from the end; they get a normalised copy, the usual
        // in-range ones are used as they are.
        var raw = positions.pointer(Int64.self)
        var negative = false
        for k in 0..<count {
            let i = Int(raw[k])
            guard i >= -n && i < n else { _fail("index \(i) is out of bounds for dimension \(d) with size \(n)") }
            if i < 0 { negative = true }
        }
        if negative {
            positions = Tensor(uninitializedShape: [count], dtype: .int64)
            let normalised = positions.pointer(Int64.self)
            for k in 0..<count { normalised[k] = raw[k] < 0 ? raw[k] + Int64(n) : raw[k] }
            raw = normalised
        }
        var outShape = shape
        outShape[d] = count
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        if d == 0 && isContiguous {
            // Rows are contiguous slabs.
            var rowElements = 1
            for s in shape.dropFirst() { rowElements *= s }
            descent_gather_rows(out.data, data + storageOffset * dtype.itemSize,
                                raw, Int64(count), Int64(rowElements * dtype.itemSize))
        } else {
            for k in 0..<count { out.select(d, k)._copyRaw(select(d, Int(raw[k]))) }
        }
        withExtendedLifetime((given, positions)) {}
        guard GradMode.isEnabled, _requiresGradForRecording else { return out }
        let input = shape
        // The backward pass needs the positions as they are now, whatever the caller later
        // does to its index tensor in place.
        let kept = negative ? positions : noGrad { positions.clone() }
        // Saved through the node, not captured: backward then frees it, and a second backward
        // without `retainGraph` stops with PyTorch's message as IndexBackward0 does.
        return out._recorded(name, self, saving: kept) { g, node in
            let kept = node.savedTensor(0)
            return (Tensor._linearBackward(g, "IndexPutBackward0", { Tensor._indexSelectBackward(g, d, kept, input) },
                                           adjoint: { $0._indexSelect(d, kept, name: "IndexBackward0") }), nil)
        }
    }

    /// `index_select` inside a compiled step. Its kernels read the positions through pointers,
    /// which a replay of recorded kernels would not read again, so the forward pass and the
    /// gradient are units of the plan that run again on every replay, reading the positions
    /// as they are then; the gradient's positions are a recorded copy of the index.
    private func _indexSelectRecorded(_ d: Int, _ index: Tensor, name: StaticString) -> Tensor {
        let out = _CaptureTape.opaque([self, index]) { t in [noGrad { t[0]!._indexSelect(d, t[1]!, name: name) }] }[0]
        guard GradMode.isEnabled, _requiresGradForRecording else { return out }
        let input = shape
        let kept = noGrad { index.clone() }
        return out._recorded(name, self, saving: kept) { g, node in
            let kept = node.savedTensor(0)
            return (Tensor._linearBackward(g, "IndexPutBackward0", {
                _CaptureTape.opaque([g, kept]) { t in [noGrad { Tensor._indexSelectBackward(t[0]!, d, t[1]!, input) }] }[0]
            }, adjoint: { $0._indexSelect(d, kept, name: "IndexBackward0") }), nil)
        }
    }

    /// The gradient of `index_select`: `g`'s slices added into zeros of shape `input` at the
    /// positions (negative ones counted from the end).
    static func _indexSelectBackward(_ g: Tensor, _ d: Int, _ positions: Tensor, _ input: [Int]) -> Tensor {
        let full = Tensor.zeros(input, dtype: g.dtype)
        let p = positions.pointer(Int64.self), n = input[d]
        for k in 0..<positions.scalarCount {
            let i = Int(p[k])
            full.select(d, i < 0 ? i + n : i)._addInPlaceNoGraph(g.select(d, k))
        }
        return full
    }

    /// The positions of nonzero elements, one row of coordinates each (`torch.nonzero`).
    ///
    /// ```swift
    /// Tensor([0, 3, 0, 5]).nonzero()   // tensor([[1], [3]])
    /// ```
    public func nonzero() -> Tensor {
        let flags = to(.bool).contiguous()
        let p = flags.pointer(Bool.self)
        let strides = Shape.contiguousStrides(shape)
        var coords: [Int64] = []
        for i in 0..<scalarCount where p[i] {
            var r = i
            for d in 0..<rank {
                coords.append(Int64(r / strides[d]))
                r %= strides[d]
            }
        }
        let count = rank == 0 ? (p[0] ? 1 : 0) : coords.count / rank
        return Tensor(shape: [count, rank], scalars: coords, dtype: .int64)
    }

    /// Values at keep-dim `index` positions along `d` (the forward of max/min along a dim).
    func _gatherAlong(_ d: Int, _ index: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: index.shape, dtype: dtype)
        _gatherAlong(d, index, into: out)
        if _CaptureTape.isActive {
            let (source, idx, target) = (_CaptureTape.handle(self), _CaptureTape.handle(index), _CaptureTape.handle(out))
            let size = shape[d]
            _CaptureTape.record({
                // The eager op checked the indices before reaching here; a replay's may be new.
                Tensor._checkIndices(idx, below: size)
                source._gatherAlong(d, idx, into: target)
            }, writes: out, reads: self, index)
        }
        return out
    }

    /// Stops with PyTorch's message when an index is outside `0..<size`.
    static func _checkIndices(_ index: Tensor, below size: Int) {
        let c = index.contiguous(), p = c.pointer(Int64.self)
        for i in 0..<c.scalarCount where p[i] < 0 || p[i] >= size {
            _fail("index \(p[i]) is out of bounds for dimension with size \(size)")
        }
    }

    private func _gatherAlong(_ d: Int, _ index: Tensor, into out: Tensor) {
        let indexTensor = index.contiguous()
        let idx = indexTensor.pointer(Int64.self)
        defer { withExtendedLifetime(indexTensor) {} }
        var k = 0
        var sourceStrides = strides
        sourceStrides[d] = 0
        let itemSize = dtype.itemSize
        let src = data + storageOffset * itemSize
        _forEachRun(index.shape, [sourceStrides]) { offsets, count, steps in
            var o = offsets[0]
            for _ in 0..<count {
                let at = o + Int(idx[k]) * strides[d]
                (out.data + k * itemSize).copyMemory(from: src + at * itemSize, byteCount: itemSize)
                o += steps[0]
                k += 1
            }
        }
    }

    /// Zeros of `shape` with `values` written at keep-dim `index` positions along `d`.
    static func _scatterAlong(_ d: Int, _ index: Tensor, _ values: Tensor, shape: [Int]) -> Tensor {
        let out = Tensor.zeros(shape, dtype: values.dtype)
        _scatterAlong(d, index, values, into: out)
        if _CaptureTape.isActive {
            let (idx, v, target) = (_CaptureTape.handle(index), _CaptureTape.handle(values), _CaptureTape.handle(out))
            let size = shape.isEmpty ? 1 : shape[d]
            _CaptureTape.record({
                Tensor._checkIndices(idx, below: size)
                _scatterAlong(d, idx, v, into: target)
            }, writes: out, inPlace: true, reads: index, values)
        }
        return out
    }

    private static func _scatterAlong(_ d: Int, _ index: Tensor, _ values: Tensor, into out: Tensor) {
        let v = values.contiguous()
        let indexTensor = index.contiguous()
        let idx = indexTensor.pointer(Int64.self)
        defer { withExtendedLifetime((indexTensor, v)) {} }
        var k = 0
        var outStrides = out.strides
        outStrides[d] = 0
        let itemSize = v.dtype.itemSize
        let dstride = out.strides.isEmpty ? 0 : out.strides[d]
        _forEachRun(index.shape, [outStrides]) { offsets, count, steps in
            var o = offsets[0]
            for _ in 0..<count {
                let at = o + Int(idx[k]) * dstride
                (out.data + at * itemSize).copyMemory(from: v.data + (v.storageOffset + k) * itemSize, byteCount: itemSize)
                o += steps[0]
                k += 1
            }
        }
    }
}
