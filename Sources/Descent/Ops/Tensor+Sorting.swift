// Sorting and selection: sort, argsort, topk, unique, searchsorted, bucketize.

extension Tensor {
    /// The sorted permutation of each line along `d` (stable; NaN after every number when
    /// ascending, before when descending, as PyTorch orders it).
    func _sortIndices(_ d: Int, descending: Bool) -> Tensor {
        let x = noGrad { dtype == .bool ? to(.int64) : self }
        func run<T: _NumericElement>(_: T.Type) -> Tensor {
            x._lines(d, T.self, Int64.self, outDType: .int64) { i, o, n in
                let order = (0..<n).sorted { a, b in
                    let (va, vb) = (i[a], i[b])
                    let (na, nb) = (va != va, vb != vb)
                    if na || nb { return descending ? (na && !nb) : (!na && nb) }
                    if va == vb { return a < b }
                    return descending ? va > vb : va < vb
                }
                for k in 0..<n { o[k] = Int64(order[k]) }
            }
        }
        switch x.dtype {
        case .float32: return run(Float.self)
        case .float64: return run(Double.self)
        default: return run(Int64.self)
        }
    }

    /// The values along `dim` in order and where each came from (`SortBackward0`), like
    /// `torch.sort`; equal values keep their order.
    ///
    /// ```swift
    /// let (values, indices) = scores.sort(dim: 1, descending: true)
    /// ```
    public func sort(dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let order = _sortIndices(d, descending: descending)
        // ATen's sort writes both results laid out as `self` (`empty_like`'s strides).
        let indices = order._laidOut(like: self)
        let values = noGrad { gather(d, order)._laidOut(like: self) }
        let input = shape
        let recorded = values._recorded("SortBackward0", self, saving: indices) { g, n in
            (Tensor.zeros(input, dtype: g.dtype).scatter(d, n.savedTensor(0), g), nil)
        }
        return (recorded, indices)
    }

    /// The permutation that sorts along `dim`, like `torch.argsort`.
    public func argsort(dim: Int = -1, descending: Bool = false) -> Tensor {
        _sortIndices(Shape.wrap(dim, rank: Swift.max(rank, 1)), descending: descending)._laidOut(like: self)
    }

    /// The `k` largest (or smallest) values along `dim`, in order, and where they are
    /// (`TopkBackward0`), like `torch.topk`.
    ///
    /// ```swift
    /// let (top5, classes) = probabilities.topk(5)
    /// ```
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let n = rank == 0 ? 1 : shape[d]
        if k < 0 || k > n { _fail("selected index k out of range") }
        let indices = noGrad { _sortIndices(d, descending: largest).narrow(d, 0, k).contiguous() }
        let values = noGrad { gather(d, indices) }
        let input = shape
        let recorded = values._recorded("TopkBackward0", self, saving: indices) { g, n in
            (Tensor.zeros(input, dtype: g.dtype).scatter(d, n.savedTensor(0), g), nil)
        }
        return (recorded, indices)
    }

    /// The distinct values, sorted, with optionally where each element went (`inverse`) and
    /// how often each value occurs (`counts`), like `torch.unique`.
    ///
    /// ```swift
    /// let (values, inverse, counts) = labels.unique(returnInverse: true, returnCounts: true)
    /// ```
    public func unique(sorted: Bool = true, returnInverse: Bool = false, returnCounts: Bool = false)
        -> (values: Tensor, inverse: Tensor?, counts: Tensor?) {
        let flat = noGrad { flatten() }
        let order = flat._sortIndices(0, descending: false).scalars(as: Int64.self).map { Int($0) }
        let values = noGrad { flat.to(.float64) }.scalars(as: Double.self)
        var uniqueIndex: [Int64] = [], counts: [Int64] = []
        var inverse = [Int64](repeating: 0, count: values.count)
        for (k, i) in order.enumerated() {
            let v = values[i]
            let isNew = k == 0 || !(v == values[order[k - 1]])
            if isNew {
                uniqueIndex.append(Int64(i))
                counts.append(0)
            }
            counts[counts.count - 1] += 1
            inverse[i] = Int64(uniqueIndex.count - 1)
        }
        let out = noGrad { flat.indexSelect(0, Tensor(uniqueIndex, dtype: .int64)) }.detach()
        return (out, returnInverse ? Tensor(inverse, shape: shape) : nil, returnCounts ? Tensor(counts, dtype: .int64) : nil)
    }

    /// For each of `values`, the index in `sortedSequence` (sorted along its last dimension)
    /// where it would be inserted to keep the order: before equal entries, or after them with
    /// `right`, like `torch.searchsorted`.
    public static func searchsorted(_ sortedSequence: Tensor, _ values: Tensor, right: Bool = false) -> Tensor {
        let seq = noGrad { sortedSequence.to(.float64).contiguous() }
        let v = noGrad { values.to(.float64).contiguous() }
        let n = seq.shape.last ?? 1
        if seq.rank > 1 && Array(seq.shape.dropLast()) != Array(v.shape.dropLast()) {
            _fail("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor \(sortedSequence.shape) and input value tensor \(values.shape)")
        }
        let ps = seq.pointer(Double.self), pv = v.pointer(Double.self)
        let perLine = v.rank == 0 ? 1 : (v.shape.last ?? 1)
        var out = [Int64](repeating: 0, count: v.scalarCount)
        for k in 0..<v.scalarCount {
            let line = seq.rank > 1 ? k / Swift.max(perLine, 1) : 0
            let base = ps + line * n
            let x = pv[k]
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                let m = base[mid]
                if right ? !(x < m) : m < x { lo = mid + 1 } else { hi = mid }
            }
            out[k] = Int64(lo)
        }
        return Tensor(out, shape: values.shape)
    }

    /// The bucket of each element among sorted `boundaries` (1-D), like `torch.bucketize`.
    public func bucketize(_ boundaries: Tensor, right: Bool = false) -> Tensor {
        if boundaries.rank != 1 { _fail("boundaries tensor must be 1 dimension, but got dim(\(boundaries.rank))") }
        return Tensor.searchsorted(boundaries, self.flatten(), right: right).reshape(shape)
    }
}
