// Rearranging ops: flip, roll, repeat, tile, repeatInterleave, splitting, movedim, triangles,
// diagonals, trace, outer and kron. Forwards are computed without recording; each op records
// one node under PyTorch's name whose gradient is made of differentiable ops.

extension Tensor {
    /// Wraps and checks a list of dimensions, stopping on a repeated one as PyTorch does.
    func _dims(_ dims: [Int]) -> [Int] {
        let wrapped = dims.map { Shape.wrap($0, rank: Swift.max(rank, 1)) }
        for (i, d) in wrapped.enumerated() where wrapped[..<i].contains(d) {
            _fail("dim \(d) appears multiple times in the list of dims")
        }
        return wrapped
    }

    /// A computed result that must be a new tensor, never `self` (recording onto `self` would
    /// replace its history).
    private func _ensureNew(_ t: Tensor) -> Tensor { t === self ? noGrad { clone() } : t }

    /// Reverses the order of elements along `dims` (`FlipBackward0`), copying, like `torch.flip`.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).flip(0)   // tensor([3, 2, 1])
    /// ```
    public func flip(_ dims: Int...) -> Tensor { flip(dims: dims) }

    /// Reverses the order of elements along each of `dims`.
    public func flip(dims: [Int]) -> Tensor {
        let ds = _dims(dims)
        // A unit of a compiled step: the selection reads its positions back.
        let out = _CaptureTape.opaque([self]) { t -> [Tensor] in
            let me = t[0]!
            var out = me
            noGrad {
                for d in ds where out.rank > 0 {
                    let n = out.shape[d]
                    out = out.indexSelect(d, Tensor.arange(n - 1, -1, step: -1))
                }
            }
            // ATen flips into `empty_like(self)`: the result keeps `self`'s layout.
            return [out === me ? out : out._laidOut(like: me)]
        }[0]
        return _ensureNew(out)._recorded("FlipBackward0", self) { g, _ in (g.flip(dims: ds), nil) }
    }

    /// Rotates elements along `dims` by `shifts` places (`RollBackward0`); with no dims, over
    /// the flattened tensor, keeping the shape.
    ///
    /// ```swift
    /// Tensor([1, 2, 3, 4]).roll(1)   // tensor([4, 1, 2, 3])
    /// ```
    public func roll(_ shifts: Int, dim: Int? = nil) -> Tensor {
        roll(shifts: [shifts], dims: dim.map { [$0] } ?? [])
    }

    /// Rotates along several dimensions at once.
    public func roll(shifts: [Int], dims: [Int]) -> Tensor {
        if dims.isEmpty && shifts.count != 1 { _fail("shifts and dimensions must align. shifts: \(shifts.count), dims:0") }
        if !dims.isEmpty && shifts.count != dims.count {
            _fail("shifts and dimensions must align. shifts: \(shifts.count), dims:\(dims.count)")
        }
        let ds = dims.isEmpty ? [] : dims.map { Shape.wrap($0, rank: rank) }
        let input = shape
        let out: Tensor = noGrad {
            func rolled(_ t: Tensor, _ shift: Int, _ d: Int) -> Tensor {
                let n = t.shape[d]
                guard n > 0 else { return t }
                let s = ((shift % n) + n) % n
                if s == 0 { return t }
                return Tensor.cat([t.narrow(d, n - s, s), t.narrow(d, 0, n - s)], dim: d)
            }
            if ds.isEmpty { return rolled(self.reshape([scalarCount]), shifts[0], 0).reshape(input) }
            var t = self
            for (s, d) in zip(shifts, ds) { t = rolled(t, s, d) }
            return t.contiguous()
        }
        return _ensureNew(out)._recorded("RollBackward0", self) { g, _ in (g.roll(shifts: shifts.map { -$0 }, dims: ds), nil) }
    }

    /// Repeats the tensor along each dimension (`RepeatBackward0`), like `Tensor.repeat`;
    /// more sizes than dimensions add leading ones.
    ///
    /// ```swift
    /// Tensor([1, 2]).repeat(2, 2)   // tensor([[1, 2, 1, 2], [1, 2, 1, 2]])
    /// ```
    public func `repeat`(_ sizes: Int...) -> Tensor { `repeat`(sizes) }

    /// Repeats along each dimension by the counts in `sizes`.
    public func `repeat`(_ sizes: [Int]) -> Tensor {
        if sizes.count < rank {
            _fail("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
        }
        let padded = [Int](repeating: 1, count: sizes.count - rank) + shape
        var unit: [Int] = [], expanded: [Int] = []
        for (r, s) in zip(sizes, padded) {
            unit += [1, s]
            expanded += [r, s]
        }
        let final = zip(sizes, padded).map { $0 * $1 }
        let input = shape
        let out = noGrad { self.reshape(unit).expand(expanded).contiguous().reshape(final) }
        return _ensureNew(out)._recorded("RepeatBackward0", self) { g, _ in
            // ATen's repeat_backward: the added leading dimensions summed away one at a time,
            // then one sum over each repeated dimension (a repeat of 0 gives zeros).
            if sizes.contains(0) { return (Tensor.zeros(input, dtype: g.dtype), nil) }
            var grad = g
            for _ in 0..<(sizes.count - input.count) { grad = grad.sum(dim: 0) }
            let repeats = sizes.suffix(input.count)
            var gradShape: [Int] = [], sumDims: [Int] = []
            for (r, s) in zip(repeats, input) {
                if r != 1 {
                    gradShape.append(r)
                    sumDims.append(gradShape.count - 1)
                }
                gradShape.append(s)
            }
            if sumDims.isEmpty { return (grad, nil) }
            return (grad.reshape(gradShape).sum(dims: sumDims), nil)
        }
    }

    /// `repeat` with fewer counts than dimensions allowed (leading ones are added to the
    /// counts), like `torch.tile` (`RepeatBackward0`).
    public func tile(_ reps: Int...) -> Tensor { tile(reps) }

    /// `tile` with the counts as an array.
    public func tile(_ reps: [Int]) -> Tensor {
        `repeat`([Int](repeating: 1, count: Swift.max(0, rank - reps.count)) + reps)
    }

    /// Repeats each element `repeats` times along `dim` (or over the flattened tensor), like
    /// `torch.repeat_interleave` (`ViewBackward0`).
    ///
    /// ```swift
    /// Tensor([1, 2]).repeatInterleave(2)   // tensor([1, 1, 2, 2])
    /// ```
    public func repeatInterleave(_ repeats: Int, dim: Int? = nil) -> Tensor {
        if repeats < 0 { _fail("repeats can not be negative") }
        let x = dim == nil ? flatten() : self
        let d = Shape.wrap(dim ?? 0, rank: x.rank)
        var expanded = x.shape
        expanded.insert(repeats, at: d + 1)
        var final = x.shape
        final[d] *= repeats
        return x.unsqueeze(d + 1).expand(expanded).contiguous().view(final)
    }

    /// Repeats element `i` along `dim` `repeats[i]` times (`IndexSelectBackward0`).
    public func repeatInterleave(_ repeats: Tensor, dim: Int? = nil) -> Tensor {
        let x = dim == nil ? flatten() : self
        let d = Shape.wrap(dim ?? 0, rank: x.rank)
        let counts = repeats.to(.int64).scalars(as: Int64.self)
        if counts.count != 1 && counts.count != x.shape[d] { _fail("repeats must have the same size as input along dim") }
        if counts.contains(where: { $0 < 0 }) { _fail("repeats can not be negative") }
        var index: [Int64] = []
        for i in 0..<x.shape[d] { index += [Int64](repeating: Int64(i), count: Int(counts.count == 1 ? counts[0] : counts[i])) }
        return x.indexSelect(d, Tensor(index, dtype: .int64))
    }

    /// Pieces of `splitSize` along `dim` (the last may be shorter), views sharing storage
    /// (`SplitBackward0`), like `torch.split` with an integer.
    ///
    /// ```swift
    /// let (a, b) = (x.split(2, dim: 1)[0], x.split(2, dim: 1)[1])
    /// ```
    public func split(_ splitSize: Int, dim: Int = 0) -> [Tensor] {
        let d = Shape.wrap(dim, rank: rank)
        let n = shape[d]
        if splitSize < 0 || (splitSize == 0 && n != 0) { _fail("split_size can only be 0 if dimension size is 0, but got dimension size of \(n)") }
        if n == 0 { return [self._slice(d, 0, 0, 1, name: "SplitBackward0")] }
        return stride(from: 0, to: n, by: splitSize).map { self._slice(d, $0, Swift.min($0 + splitSize, n), 1, name: "SplitBackward0") }
    }

    /// Pieces of the given sizes along `dim` (`SplitWithSizesBackward0`).
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let d = Shape.wrap(dim, rank: rank)
        if sizes.reduce(0, +) != shape[d] || sizes.contains(where: { $0 < 0 }) {
            _fail("split_with_sizes expects split_sizes to sum exactly to \(shape[d]) (input tensor's size at dimension \(d)), but got split_sizes=\(sizes)")
        }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return self._slice(d, start, start + size, 1, name: "SplitWithSizesBackward0")
        }
    }

    /// `chunks` pieces of equal size along `dim` (the last may be smaller, and there may be
    /// fewer), like `torch.chunk` (`SplitBackward0`).
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        if chunks <= 0 { _fail("chunk expects `chunks` to be greater than 0, got: \(chunks)") }
        let d = Shape.wrap(dim, rank: rank)
        let size = (shape[d] + chunks - 1) / chunks
        return split(Swift.max(size, shape[d] == 0 ? 0 : 1), dim: d)
    }

    /// The slices along `dim`, as views (`UnbindBackward0`), like `torch.unbind`.
    public func unbind(_ dim: Int = 0) -> [Tensor] {
        let d = Shape.wrap(dim, rank: rank)
        return (0..<shape[d]).map { _select(d, $0, name: "UnbindBackward0") }
    }

    /// Moves dimension `source` to position `destination`, the others keeping their order
    /// (`PermuteBackward0`), like `torch.movedim`.
    public func movedim(_ source: Int, _ destination: Int) -> Tensor { movedim([source], [destination]) }

    /// Moves several dimensions at once.
    public func movedim(_ source: [Int], _ destination: [Int]) -> Tensor {
        if source.count != destination.count {
            _fail("movedim: Invalid source or destination dims: source (\(source) dims) should contain the same number of dims as destination (\(destination) dims)")
        }
        let src = _dims(source), dst = _dims(destination)
        var order = [Int](repeating: -1, count: rank)
        for (s, t) in zip(src, dst) { order[t] = s }
        var rest = (0..<rank).filter { !src.contains($0) }.makeIterator()
        for i in 0..<rank where order[i] == -1 { order[i] = rest.next()! }
        return permute(order)
    }

    /// Swaps two dimensions (`TransposeBackward0`), like `torch.swapaxes`.
    public func swapaxes(_ axis0: Int, _ axis1: Int) -> Tensor { transpose(axis0, axis1) }

    /// Splits dimension `dim` into `sizes` (one may be -1), as a view (`ViewBackward0`).
    public func unflatten(_ dim: Int, _ sizes: [Int]) -> Tensor {
        let d = Shape.wrap(dim, rank: rank)
        var known = 1, inferred: Int? = nil
        for (i, s) in sizes.enumerated() { if s == -1 { inferred = i } else { known *= s } }
        var resolved = sizes
        if let i = inferred { resolved[i] = known == 0 ? 0 : shape[d] / known }
        if resolved.reduce(1, *) != shape[d] {
            _fail("unflatten: Provided sizes \(sizes) don't multiply up to the size of dim \(dim) (\(shape[d])) in the input tensor")
        }
        return view(Array(shape[..<d]) + resolved + Array(shape[(d + 1)...]))
    }

    /// The lower triangle of the last two dimensions, from diagonal `diagonal` down
    /// (`TrilBackward0`), the rest zero, like `torch.tril`.
    ///
    /// ```swift
    /// let causal = Tensor.ones(4, 4).tril()
    /// ```
    public func tril(_ diagonal: Int = 0) -> Tensor { _triangle(diagonal, lower: true) }

    /// The upper triangle of the last two dimensions, from diagonal `diagonal` up
    /// (`TriuBackward0`), like `torch.triu`.
    public func triu(_ diagonal: Int = 0) -> Tensor { _triangle(diagonal, lower: false) }

    private func _triangle(_ k: Int, lower: Bool) -> Tensor {
        if rank < 2 { _fail("\(lower ? "tril" : "triu"): input tensor must have at least 2 dimensions") }
        let (rows, cols) = (shape[rank - 2], shape[rank - 1])
        var keep = [Bool](repeating: false, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { keep[i * cols + j] = lower ? j - i <= k : j - i >= k } }
        let mask = Tensor(shape: [rows, cols], scalars: keep)
        // A constant of a compiled step: it depends on the shape alone.
        if _CaptureTape.isActive { _CaptureTape.wroteFromSwift(mask) }
        let out = noGrad { Tensor.where(mask, self, Tensor.zeros([], dtype: dtype)) }
        if lower {
            return out._recorded("TrilBackward0", self) { g, _ in (g.tril(k), nil) }
        }
        return out._recorded("TriuBackward0", self) { g, _ in (g.triu(k), nil) }
    }

    /// The diagonal at `offset` of the plane `dim1`, `dim2`, as a view appended as the last
    /// dimension (`DiagonalBackward0`), like `torch.diagonal`.
    ///
    /// ```swift
    /// Tensor.eye(3).diagonal()   // tensor([1., 1., 1.])
    /// ```
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor {
        let d1 = Shape.wrap(dim1, rank: rank), d2 = Shape.wrap(dim2, rank: rank)
        if d1 == d2 { _fail("diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let length = offset >= 0 ? Swift.max(0, Swift.min(shape[d1], shape[d2] - offset)) : Swift.max(0, Swift.min(shape[d1] + offset, shape[d2]))
        var start = storageOffset
        if length > 0 { start += offset >= 0 ? offset * strides[d2] : -offset * strides[d1] }
        var s: [Int] = [], st: [Int] = []
        for i in 0..<rank where i != d1 && i != d2 {
            s.append(shape[i])
            st.append(strides[i])
        }
        s.append(length)
        st.append(strides[d1] + strides[d2])
        let input = shape, dtype = self.dtype
        return _view(shape: s, strides: st, offset: start)._recorded("DiagonalBackward0", self) { g, _ in
            (Tensor._linearBackward(g, "DiagonalBackwardBackward0", {
                let full = Tensor.zeros(input, dtype: dtype)
                full.diagonal(offset: offset, dim1: d1, dim2: d2)._copyRaw(g)
                return full
            }, adjoint: { $0.diagonal(offset: offset, dim1: d1, dim2: d2) }), nil)
        }
    }

    /// Matrices with the last dimension on their diagonal at `offset` (`DiagEmbedBackward0`),
    /// like `torch.diag_embed`.
    public func diagEmbed(offset: Int = 0, dim1: Int = -2, dim2: Int = -1) -> Tensor {
        let outRank = rank + 1
        let d1 = Shape.wrap(dim1, rank: outRank), d2 = Shape.wrap(dim2, rank: outRank)
        if d1 == d2 { _fail("diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let n = (shape.last ?? 1) + Swift.abs(offset)
        var outShape = Array(shape.dropLast())
        for d in [d1, d2].sorted() { outShape.insert(n, at: d) }
        let out = Tensor.zeros(outShape, dtype: dtype)
        noGrad { out.diagonal(offset: offset, dim1: d1, dim2: d2)._copyRaw(self) }
        return out._recorded("DiagEmbedBackward0", self) { g, _ in (g.diagonal(offset: offset, dim1: d1, dim2: d2), nil) }
    }

    /// A 1-D tensor as the diagonal of a square matrix, or a matrix's diagonal as a 1-D copy,
    /// like `torch.diag`.
    public func diag(_ diagonal: Int = 0) -> Tensor {
        switch rank {
        case 1: return diagEmbed(offset: diagonal)
        case 2:
            let out = noGrad { self.diagonal(offset: diagonal).contiguous() }
            let input = shape, dtype = self.dtype
            return _ensureNew(out)._recorded("DiagonalBackward0_copy", self) { g, _ in
                (Tensor._linearBackward(g, "DiagonalBackwardBackward0", {
                    let full = Tensor.zeros(input, dtype: dtype)
                    full.diagonal(offset: diagonal)._copyRaw(g)
                    return full
                }, adjoint: { $0.diagonal(offset: diagonal) }), nil)
            }
        default: _fail("diag(): Supports 1D or 2D tensors. Got \(rank)D")
        }
    }

    /// The sum of a matrix's diagonal (`TraceBackward0`), like `torch.trace`.
    public func trace() -> Tensor {
        if rank != 2 { _fail("trace: expected a matrix, but got tensor with dim \(rank)") }
        // ATen's trace_cpu: the diagonal added in order in `acc_type` (double for floats, so a
        // float32 trace rounds once), a unit of a compiled step.
        let out = _CaptureTape.opaque([self]) { t -> [Tensor] in
            let x = t[0]!
            let count = Swift.min(x.shape[0], x.shape[1]), step = x.strides[0] + x.strides[1]
            switch x.dtype {
            case .float32, .float64:
                var sum = 0.0
                if x.dtype == .float32 {
                    let p = x.pointer(Float.self)
                    for i in 0..<count { sum += Double(p[i * step]) }
                } else {
                    let p = x.pointer(Double.self)
                    for i in 0..<count { sum += p[i * step] }
                }
                return [Tensor.full([], sum, dtype: x.dtype)]
            case .int64, .bool:
                let values = x.to(.int64)
                let p = values.pointer(Int64.self), s = values.strides[0] + values.strides[1]
                var sum: Int64 = 0
                for i in 0..<count { sum &+= p[i * s] }
                return [Tensor.full([], Int(sum), dtype: .int64)]
            }
        }[0]
        let (rows, cols) = (shape[0], shape[1])
        return out._recorded("TraceBackward0", self) { g, _ in
            // `index_fill_` of the diagonal into zeros: +0 elsewhere, never -0.
            let eye = Tensor.eye(rows, cols, dtype: .bool)
            return (Tensor.where(eye, g, Tensor.zeros([], dtype: g.dtype)), nil)
        }
    }

    /// The outer product of two vectors (`MulBackward0`, as PyTorch computes it).
    public func outer(_ other: Tensor) -> Tensor {
        if rank != 1 || other.rank != 1 { _fail("outer: expected 1D tensors") }
        return reshape([-1, 1]) * other
    }

    /// The Kronecker product, like `torch.kron`.
    public func kron(_ other: Tensor) -> Tensor {
        let r = Swift.max(rank, other.rank)
        let a = reshape([Int](repeating: 1, count: r - rank) + shape)
        let b = other.reshape([Int](repeating: 1, count: r - other.rank) + other.shape)
        var aShape: [Int] = [], bShape: [Int] = [], final: [Int] = []
        for i in 0..<r {
            aShape += [a.shape[i], 1]
            bShape += [1, b.shape[i]]
            final.append(a.shape[i] * b.shape[i])
        }
        // ATen reshapes the fresh product with `_unsafe_view` (`UnsafeViewBackward0`).
        let product = a.reshape(aShape) * b.reshape(bShape)
        let productShape = product.shape
        // The product takes its operands' layout (a transposed operand, a transposed product),
        // which views as the final shape, as ATen's `_unsafe_view` needs; should some layout
        // not, a contiguous copy has the same values.
        let dense = product._viewStrides(final) != nil ? product : noGrad { product.contiguous() }
        return dense._fresh(shape: final, strides: dense._viewStrides(final))._recorded("UnsafeViewBackward0", product) { g, _ in (g.reshape(productShape), nil) }
    }
}
