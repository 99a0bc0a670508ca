// Assignment through a subscript: `x[index] = v`, `x[mask] = v`, and `x[0, 1...] = v`.
// Basic subscripts copy into a view (`copy_`); an index tensor or a mask writes the chosen
// elements in place, as ATen's `index_put_` (`IndexPutBackward0`).

extension Tensor {
    /// `self[indices] = value`, as Python's `__setitem__`.
    ///
    /// Swift has no way to hand a subscript a bare number, so a 0-d value that needs no
    /// gradient stands for one, as a Python number does in `x[mask] = 0`: it is converted to
    /// this tensor's dtype and fills the elements (`MaskedFillBackward0`, `IndexFillBackward0`).
    func _indexAssign(_ indices: [TensorIndex], _ value: Tensor) {
        let (view, all) = _basicIndex(indices, flattenMask: false, assigning: true)
        let number = value.rank == 0 && !value._requiresGrad
        if all.count > 1 { return view._indexPutSeveral(all, number ? value.to(view.dtype) : value) }
        guard let (d, index) = all.first else {
            if number { return view.fill(value.item()) }
            // ATen's `copy_to`: a value of the view's shape is copied as it is; any other first
            // loses all its leading dimensions of size one (a one-element value becomes 0-d)
            // and is expanded to the view. `copy_` checks overlap against that expanded value,
            // so `t[None] = t` (the same view of the same memory) is allowed, and a one-element
            // value over the same element in another layout (strides 0 against the view's) is
            // a partial overlap.
            var source = value
            if !Shape.same(value.shape, view.shape) {
                while source.rank > 0, source.shape[0] == 1 { source = source.squeeze(0) }
                source = source.expand(view.shape)
            }
            view.copy(from: source)
            return
        }
        view._indexPut(dim: d, index, number ? value.to(view.dtype) : value, fill: number)
    }

    /// Writes `value` (broadcast to the indexing result) into the elements `index` picks along
    /// `dim`: int64 positions, or a bool mask over the dimensions from `dim` on. The last write
    /// wins where positions repeat, as on PyTorch's CPU.
    ///
    /// ```swift
    /// let d = Tensor([-1, 2, -3])
    /// d[d .< 0] = Tensor(0)          // tensor([0., 2., 0.])
    /// let c = Tensor([1, 2, 3])
    /// c[Tensor([0, 2], dtype: .int64)] = Tensor(9)   // tensor([9., 2., 9.])
    /// ```
    func _indexPut(dim d: Int, _ index: Tensor, _ value: Tensor, fill: Bool = false) {
        // A mask with one value is ATen's masked_fill, and a number through int64 positions its
        // index_fill_; anything else is index_put_. All may write an expanded tensor: index_fill_
        // and index_put_ with a deprecation warning, not an error.
        let filled = (index.dtype == .bool && value.scalarCount == 1) || (fill && index.dtype == .int64)
        _checkIndexPut(value, indexFill: fill && index.dtype == .int64, overlapChecked: !filled)
        let name: StaticString = !fill ? "IndexPutBackward0" : index.dtype == .bool ? "MaskedFillBackward0" : "IndexFillBackward0"
        _put(value, at: _IndexSites(self, dim: d, index), name: name)
    }

    /// `self[i, j, ...] = value` through several index tensors (`index_put_` over all of them,
    /// `IndexPutBackward0`): the positions they pick together, as reading `self[i, j]` does.
    func _indexPutSeveral(_ advanced: [(dim: Int, index: Tensor)], _ value: Tensor) {
        _checkIndexPut(value, indexFill: false, overlapChecked: true)
        _put(value, at: _IndexSites(shape: shape, several: advanced), name: "IndexPutBackward0")
    }

    /// `index_put_`'s checks before it writes: in-place rules, the deprecation warning for an
    /// expanded tensor, matching dtypes, and (but for ATen's masked_fill path) no overlap
    /// between the value and this tensor.
    private func _checkIndexPut(_ value: Tensor, indexFill: Bool, overlapChecked: Bool) {
        _checkInPlace(overlap: false)
        let expanded = zip(shape, strides).contains(where: { $0.0 > 1 && $0.1 == 0 })
        if expanded && indexFill {
            _warnOnce("Use of index_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar")
        } else if expanded && overlapChecked {
            _warnOnce("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor")
        }
        if value.dtype != dtype {
            _fail("Index put requires the source and destination dtypes match, got \(dtype._resultName) for the destination and \(value.dtype._resultName) for the source.")
        }
        // One value through a mask is ATen's masked_fill path, which does not check overlap.
        if overlapChecked && Tensor._overlaps(self, value) {
            _fail("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.")
        }
    }

    /// Writes `value` at `sites`, recorded as `name` when a graph needs it.
    private func _put(_ value: Tensor, at sites: _IndexSites, name: StaticString) {
        // Python's __setitem__ drops a value's leading dimensions of size one first.
        var value = value
        while value.rank > sites.resultShape.count, value.shape[0] == 1 { value = value.squeeze(0) }
        if !Shape.canBroadcast(value.shape, to: sites.resultShape) {
            _fail("shape mismatch: value tensor of shape \(_shapeString(value.shape)) cannot be broadcast to indexing result of shape \(_shapeString(sites.resultShape))")
        }
        let recording = GradMode.isEnabled && (_requiresGradForRecording || value._requiresGrad)
        if !recording {
            sites.put(value, into: self)
            _bumpVersion()
            return
        }
        // The out-of-place op, recorded on a snapshot that keeps this tensor's place in the
        // graph; its result is written back and takes that place, as `_inPlace` does.
        let outOfPlace = { (snapshot: Tensor, value: Tensor) -> Tensor in
            let result = noGrad { snapshot.clone() }
            sites.put(value, into: result)
            return result._recorded(name, snapshot, value) { g, node in
                let gSelf = node.needsInputGrad(0) ? noGrad { () -> Tensor in
                    let z = g.clone()
                    sites.put(Tensor.zeros([], dtype: g.dtype), into: z)
                    return z
                } : nil
                let gValue = node.needsInputGrad(1) ? sites.gather(g) : nil
                return (gSelf, gValue)
            }
        }
        _recordInPlace(value, outOfPlace)
    }
}

/// The elements index tensors or a mask pick out of a tensor: each site is the sub-tensor
/// left once the indexed dimensions are fixed. Sites are kept as positions within the indexed
/// dimensions, so that they apply to any tensor of the same shape (the indexed one, and its
/// gradient in backward).
struct _IndexSites: @unchecked Sendable {
    /// Row-major positions within the indexed dimensions, in the order of the result.
    let positions: [Int]
    /// The indexed dimensions: one for an index tensor, the mask's for a mask, one per tensor
    /// for several index tensors.
    let dims: [Int]
    let indexedShape: [Int]
    /// The indexing result's shape: dims before the indexed ones, the index's shape (a mask's
    /// count of `true` elements, several tensors' broadcast shape), the dims after; or, for
    /// indexed dimensions that are not adjacent, the broadcast shape and then the others.
    let resultShape: [Int]
    let lead: [Int], tail: [Int]

    init(_ t: Tensor, dim d: Int, _ index: Tensor) {
        var positions: [Int] = []
        let indexShape: [Int]
        if index.dtype == .bool {
            for k in 0..<index.rank where index.shape[k] != t.shape[d + k] {
                _fail("The shape of the mask \(_shapeString(index.shape)) at index \(k) does not match the shape of the indexed tensor \(_shapeString(t.shape)) at index \(d + k)")
            }
            let mask = index.contiguous()
            let m = mask.pointer(Bool.self)
            for i in 0..<mask.scalarCount where m[i] { positions.append(i) }
            indexShape = [positions.count]
            indexedShape = index.shape
        } else {
            let n = t.shape[d]
            let given = index.contiguous()
            let p = given.pointer(Int64.self)
            positions.reserveCapacity(given.scalarCount)
            for k in 0..<given.scalarCount {
                let i = Int(p[k])
                guard i >= -n && i < n else { _fail("index \(i) is out of bounds for dimension \(d) with size \(n)") }
                positions.append(i < 0 ? i + n : i)
            }
            indexShape = index.shape
            indexedShape = [n]
        }
        self.positions = positions
        dims = Array(d..<(d + indexedShape.count))
        lead = Array(t.shape[..<d])
        tail = Array(t.shape[(d + indexedShape.count)...])
        resultShape = lead + indexShape + tail
    }

    /// The sites several index tensors (int64, or masks standing for their `true` elements'
    /// coordinates) pick together in a tensor of `shape`, broadcast as reading `t[i, j]`
    /// broadcasts them.
    init(shape: [Int], several advanced: [(dim: Int, index: Tensor)]) {
        var pairs: [(dim: Int, index: Tensor)] = []
        for (d, index) in advanced {
            if index.dtype == .bool {
                for k in 0..<index.rank where index.shape[k] != shape[d + k] {
                    _fail("The shape of the mask \(_shapeString(index.shape)) at index \(k) does not match the shape of the indexed tensor \(_shapeString(shape)) at index \(d + k)")
                }
                let coordinates = noGrad { index.nonzero() }
                for k in 0..<index.rank { pairs.append((d + k, coordinates.select(1, k))) }
            } else {
                pairs.append((d, index))
            }
        }
        var broadcast: [Int] = pairs[0].index.shape
        for (_, index) in pairs.dropFirst() {
            guard zip(broadcast.reversed(), index.shape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 || $1 == 1 }) else {
                let shapes = pairs.map { _shapeString($0.index.shape) }.joined(separator: ", ")
                _fail("shape mismatch: indexing tensors could not be broadcast together with shapes \(shapes)")
            }
            broadcast = Shape.broadcast(broadcast, index.shape)
        }
        let count = Shape.count(broadcast)
        var positions = [Int](repeating: 0, count: count)
        var scale = 1
        for (d, index) in pairs.reversed() {
            let n = shape[d]
            let given = noGrad { index.expand(broadcast).contiguous() }
            let p = given.pointer(Int64.self)
            for q in 0..<count {
                let i = Int(p[q])
                guard i >= -n && i < n else { _fail("index \(i) is out of bounds for dimension \(d) with size \(n)") }
                positions[q] += (i < 0 ? i + n : i) * scale
            }
            scale *= n
        }
        self.positions = positions
        let ds = pairs.map(\.dim)
        dims = ds
        indexedShape = ds.map { shape[$0] }
        let others = (0..<shape.count).filter { !ds.contains($0) }.map { shape[$0] }
        if zip(ds, ds.dropFirst()).allSatisfy({ $1 == $0 + 1 }) {
            lead = Array(shape[..<ds[0]])
            tail = Array(shape[(ds[ds.count - 1] + 1)...])
        } else {
            lead = []
            tail = others
        }
        resultShape = lead + broadcast + tail
    }

    /// Storage offsets (from the tensor's own) of each site's first element, for a tensor of
    /// the indexed shape with these strides.
    private func offsets(_ strides: [Int]) -> [Int] {
        let inner = Shape.contiguousStrides(indexedShape)
        return positions.map { i in
            var rest = i, offset = 0
            for k in 0..<indexedShape.count {
                let c = rest / inner[k]
                rest -= c * inner[k]
                offset += c * strides[dims[k]]
            }
            return offset
        }
    }

    /// A site of `t` as a tensor over its memory (the dimensions not indexed, in order).
    private func site(_ t: Tensor, _ offset: Int) -> Tensor {
        let strides = (0..<t.rank).filter { !dims.contains($0) }.map { t.strides[$0] }
        return Tensor(over: t, shape: lead + tail, strides: strides, offset: t.storageOffset + offset, base: nil)
    }

    /// Writes `value` (broadcastable to `resultShape`, same dtype) into `t`'s sites.
    func put(_ value: Tensor, into t: Tensor) {
        guard !positions.isEmpty else { return }
        let v = noGrad { value.expand(resultShape).reshape(lead + [positions.count] + tail) }
        let offsets = offsets(t.strides)
        if lead.isEmpty && tail.isEmpty {
            // One element per site: written through pointers, not a tensor per element.
            let src = v.contiguous()
            func run<T: _Element>(_: T.Type) {
                let dst = t.pointer(T.self), s = src.pointer(T.self)
                for (k, o) in offsets.enumerated() { dst[o] = s[k] }
            }
            switch t.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            case .int64: run(Int64.self)
            case .bool: run(Bool.self)
            }
            return
        }
        for (k, o) in offsets.enumerated() { site(t, o)._copyRaw(v.select(lead.count, k)) }
    }

    /// The values of `g` (shaped like the indexed tensor) at the sites, shaped as the result.
    func gather(_ g: Tensor) -> Tensor {
        noGrad {
            let out = Tensor(uninitializedShape: lead + [positions.count] + tail, dtype: g.dtype)
            for (k, o) in offsets(g.strides).enumerated() { out.select(lead.count, k)._copyRaw(site(g, o)) }
            return out.reshape(resultShape)
        }
    }
}

extension Tensor {
    enum _Overlap { case none, full, partial }

    /// ATen's `get_overlap_status`: two dense tensors (no gaps, no repeats, in any order of
    /// dimensions) over the same memory overlap fully when they cover the same range with the
    /// same strides, partially when their ranges otherwise intersect. Other layouts are "too
    /// hard" there, and pass.
    static func _overlap(_ a: Tensor, _ b: Tensor) -> _Overlap {
        if a === b { return .full }
        guard a._sharesMemory(with: b), a.scalarCount > 0, b.scalarCount > 0, a._isDense, b._isDense else { return .none }
        let aEnd = a.storageOffset + a.scalarCount, bEnd = b.storageOffset + b.scalarCount
        if a.storageOffset == b.storageOffset && aEnd == bEnd { return a.strides == b.strides ? .full : .partial }
        return a.storageOffset < bEnd && b.storageOffset < aEnd ? .partial : .none
    }

    /// `assert_no_overlap`: any shared element.
    static func _overlaps(_ a: Tensor, _ b: Tensor) -> Bool { _overlap(a, b) != .none }

    /// `is_non_overlapping_and_dense`: the elements fill a block of memory exactly, in some
    /// order of the dimensions.
    var _isDense: Bool {
        if isContiguous { return true }
        let dims = (0..<rank).filter { shape[$0] != 1 }.sorted { strides[$0] < strides[$1] }
        var expected = 1
        for d in dims {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }
}
