// Views that share storage through (shape, strides, offset), and the reshapes that copy only
// when the memory layout leaves no choice.

extension Tensor {
    /// The transpose of a matrix; vectors and scalars come back unchanged (`TBackward0`).
    ///
    /// ```swift
    /// let wt = w.t()   // [2, 3] -> [3, 2], same storage
    /// ```
    public func t() -> Tensor {
        if rank > 2 { _fail("t() expects a tensor with <= 2 dimensions, but self is \(rank)D") }
        let out = rank < 2
            ? _view(shape: shape, strides: strides, offset: storageOffset)
            : _view(shape: Shape.pair(shape[1], shape[0]), strides: Shape.pair(strides[1], strides[0]), offset: storageOffset)
        return out._recorded("TBackward0", self) { g, _ in (g.t(), nil) }
    }

    /// Swaps two dimensions (`TransposeBackward0`).
    ///
    /// ```swift
    /// let y = x.transpose(0, 1)
    /// ```
    public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor {
        let a = Shape.wrap(dim0, rank: rank), b = Shape.wrap(dim1, rank: rank)
        var s = shape, st = strides
        if rank > 0 {
            s.swapAt(a, b)
            st.swapAt(a, b)
        }
        return _view(shape: s, strides: st, offset: storageOffset)._recorded("TransposeBackward0", self) { g, _ in
            (g.transpose(a, b), nil)
        }
    }

    /// Reorders the dimensions (`PermuteBackward0`).
    ///
    /// ```swift
    /// let nhwc = nchw.permute(0, 2, 3, 1)
    /// ```
    public func permute(_ dims: Int...) -> Tensor { permute(dims) }

    /// Reorders the dimensions, given as an array.
    public func permute(_ dims: [Int]) -> Tensor {
        if dims.count != rank {
            _fail("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(dims.count)")
        }
        let wrapped = dims.map { Shape.wrap($0, rank: rank) }
        if Set(wrapped).count != wrapped.count { _fail("permute(): duplicate dims are not allowed.") }
        var inverse = [Int]._small(repeating: 0, count: rank)
        for (i, d) in wrapped.enumerated() { inverse[d] = i }
        return _view(shape: wrapped.map { shape[$0] }, strides: wrapped.map { strides[$0] }, offset: storageOffset)
            ._recorded("PermuteBackward0", self) { g, _ in (g.permute(inverse), nil) }
    }

    /// All dimensions reversed, PyTorch's `x.T` (`PermuteBackward0`).
    ///
    /// ```swift
    /// let wt = w.T
    /// ```
    public var T: Tensor { permute(Array((0..<rank).reversed())) }

    /// Fills in a `-1` entry and checks that `shape` holds exactly this tensor's elements.
    func _inferShape(_ target: [Int]) -> [Int] {
        var out = target
        var inferred: Int? = nil
        var known = 1
        for (i, s) in target.enumerated() {
            if s == -1 {
                if inferred != nil { _fail("only one dimension can be inferred") }
                inferred = i
            } else if s < 0 {
                _fail("invalid shape dimension \(s)")
            } else {
                known *= s
            }
        }
        let n = scalarCount
        if let i = inferred {
            guard known != 0, n % known == 0 else {
                _fail("shape '\(_shapeString(target))' is invalid for input of size \(n)")
            }
            out[i] = n / known
        } else if known != n {
            _fail("shape '\(_shapeString(target))' is invalid for input of size \(n)")
        }
        return out
    }

    /// Strides that let `newShape` view this tensor's memory without copying, if any exist
    /// (a port of ATen's `computeStride`).
    func _viewStrides(_ newShape: [Int]) -> [Int]? {
        if rank == 0 { return [Int]._small(repeating: 1, count: newShape.count) }
        if scalarCount == 0 { return Shape.contiguousStrides(newShape) }
        var newStrides = [Int]._small(repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBase = strides[rank - 1]
        var tensorNumel = 1, viewNumel = 1
        for tensorD in stride(from: rank - 1, through: 0, by: -1) {
            tensorNumel *= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBase) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBase
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBase = strides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    /// The same elements with another shape, sharing storage (`ViewBackward0`); one entry may
    /// be -1. Fails when the layout cannot be viewed that way; ``reshape(_:)-([Int])`` copies then.
    ///
    /// ```swift
    /// let flat = x.view(-1)
    /// ```
    public func view(_ shape: Int...) -> Tensor { view(shape) }

    /// The same elements with another shape given as an array, sharing storage.
    public func view(_ newShape: [Int]) -> Tensor {
        let target = _inferShape(newShape)
        guard let st = _viewStrides(target) else {
            _fail("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        }
        let input = shape
        return _view(shape: target, strides: st, offset: storageOffset)._recorded("ViewBackward0", self) { g, _ in
            (g.reshape(input), nil)
        }
    }

    /// The same elements with another shape: a view when the layout allows
    /// (`ViewBackward0`), otherwise a contiguous copy (`UnsafeViewBackward0`).
    ///
    /// ```swift
    /// let m = Tensor.arange(6).reshape(2, 3)
    /// ```
    public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }

    /// Reshape with the shape given as an array.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let target = _inferShape(newShape)
        if _viewStrides(target) != nil {
            // A view either way; PyTorch names the one over a non-contiguous tensor
            // `_reshape_alias` (ReshapeAliasBackward0).
            return isContiguous ? view(target) : _view(shape: target, strides: _viewStrides(target)!, offset: storageOffset)
                ._recorded("ReshapeAliasBackward0", self) { [shape] g, _ in (g.reshape(shape), nil) }
        }
        return noGrad { clone() }._unsafeView(target, source: self)
    }

    /// Views a fresh contiguous result with another shape under one `UnsafeViewBackward0`
    /// node, as ATen's `_unsafe_view` does for results it just computed.
    func _unsafeView(_ target: [Int], source: Tensor? = nil) -> Tensor {
        let base = contiguous()
        let input = (source ?? self).shape
        let out = base._fresh(shape: target)
        return out._recorded("UnsafeViewBackward0", source ?? self) { g, _ in (g.reshape(input), nil) }
    }

    /// Flattens dimensions `start...end` into one.
    ///
    /// ```swift
    /// let rows = images.flatten(start: 1)   // [n, c, h, w] -> [n, c*h*w]
    /// ```
    public func flatten(start: Int = 0, end: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let s = Shape.wrap(start, rank: rank), e = Shape.wrap(end, rank: rank)
        if s > e { _fail("flatten() has invalid args: start_dim cannot come after end_dim") }
        if s == e { return self }
        let merged = Shape.count(Array(shape[s...e]))
        return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Broadcasts size-one dimensions to `shape` without copying (`ExpandBackward0`); -1 keeps
    /// a size.
    ///
    /// ```swift
    /// let rows = b.expand(5, 2)   // [2] -> [5, 2], stride 0 on the new dimension
    /// ```
    public func expand(_ shape: Int...) -> Tensor { expand(shape) }

    /// Broadcasts to a shape given as an array.
    public func expand(_ target: [Int]) -> Tensor {
        if target.count < rank {
            _fail("expand(\(dtype.legacyTypeName){\(_shapeString(shape))}, size=\(_shapeString(target))): the number of sizes provided (\(target.count)) must be greater or equal to the number of dimensions in the tensor (\(rank))")
        }
        let lead = target.count - rank
        var outShape = target, outStrides = target.count == 2 ? Shape.pair(0, 0) : [Int]._small(repeating: 0, count: target.count)
        for i in 0..<target.count {
            let j = i - lead
            if j < 0 {
                if target[i] < 0 {
                    _fail("The expanded size of the tensor (\(target[i])) isn't allowed in a leading, non-existing dimension \(i)")
                }
                continue
            }
            let want = target[i] == -1 ? shape[j] : target[i]
            if shape[j] == want {
                outShape[i] = want
                outStrides[i] = strides[j]
            } else if shape[j] == 1 {
                outShape[i] = want
                outStrides[i] = 0
            } else {
                _fail("The expanded size of the tensor (\(want)) must match the existing size (\(shape[j])) at non-singleton dimension \(i).  Target sizes: \(_shapeString(target)).  Tensor sizes: \(_shapeString(shape))")
            }
        }
        // ATen's inferExpandGeometry: a new leading dimension of size one takes the stride it
        // would have in a dense tensor (the next size times the next stride), not 0, so that
        // `x[None]` and `x.expand(1, n)` keep dense strides (memory-overlap checks read them).
        // A 0-d tensor's expansion has strides 0 throughout, size one or not.
        if lead > 0 && rank > 0 {
            for i in stride(from: lead - 1, through: 0, by: -1) where outShape[i] == 1 {
                outStrides[i] = outShape[i + 1] * outStrides[i + 1]
            }
        }
        let input = shape
        return _view(shape: outShape, strides: outStrides, offset: storageOffset)._recorded("ExpandBackward0", self) { g, _ in
            (g._sumTo(input), nil)
        }
    }

    /// Broadcasts to `other`'s shape (`expand_as`).
    public func expand(as other: Tensor) -> Tensor { expand(other.shape) }

    /// Removes every dimension of size one (`SqueezeBackward0`).
    ///
    /// ```swift
    /// Tensor.zeros(1, 3, 1).squeeze().shape   // [3]
    /// ```
    public func squeeze() -> Tensor {
        var s: [Int] = [], st: [Int] = []
        for d in 0..<rank where shape[d] != 1 {
            s.append(shape[d])
            st.append(strides[d])
        }
        let input = shape
        return _view(shape: s, strides: st, offset: storageOffset)._recorded("SqueezeBackward0", self) { g, _ in
            (g.reshape(input), nil)
        }
    }

    /// Removes dimension `dim` if its size is one (`SqueezeBackward1`).
    public func squeeze(_ dim: Int) -> Tensor { _squeezed(dim, name: "SqueezeBackward1") }

    func _squeezed(_ dim: Int, name: StaticString) -> Tensor {
        let d = Shape.wrap(dim, rank: rank)
        var s = shape, st = strides
        if rank > 0 && shape[d] == 1 {
            s.remove(at: d)
            st.remove(at: d)
        }
        let input = shape
        return _view(shape: s, strides: st, offset: storageOffset)._recorded(name, self) { g, _ in
            (g.reshape(input), nil)
        }
    }

    /// Inserts a dimension of size one at `dim` (`UnsqueezeBackward0`).
    ///
    /// ```swift
    /// let row = v.unsqueeze(0)   // [3] -> [1, 3]
    /// ```
    public func unsqueeze(_ dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: rank + 1)
        var s = shape, st = strides
        let stride = d < rank ? shape[d] * strides[d] : 1
        s.insert(1, at: d)
        st.insert(stride, at: d)
        return _view(shape: s, strides: st, offset: storageOffset)._recorded("UnsqueezeBackward0", self) { g, _ in
            (g.squeeze(d), nil)
        }
    }

    /// A contiguous tensor with the same values: `self` when already contiguous, otherwise a
    /// copy (`CloneBackward0`).
    ///
    /// ```swift
    /// let packed = x.t().contiguous()
    /// ```
    public func contiguous() -> Tensor { isContiguous ? self : _contiguousClone() }

    /// A copy with its own storage (`CloneBackward0`), laid out as this tensor is when its
    /// elements fill a block of memory (a transposed matrix stays transposed), else
    /// contiguous: PyTorch's `clone()` (`memory_format=torch.preserve_format`).
    ///
    /// ```swift
    /// let snapshot = w.clone()
    /// ```
    public func clone() -> Tensor { _cloned(into: _freshInLayout(dtype)) }

    /// A copy in contiguous storage (`CloneBackward0`), whatever this tensor's layout.
    func _contiguousClone() -> Tensor { _cloned(into: Tensor(uninitializedShape: shape, dtype: dtype)) }

    private func _cloned(into out: Tensor) -> Tensor {
        CopyKernel.copy(self, into: out)
        return out._recorded("CloneBackward0", self) { g, _ in (g, nil) }
    }

    /// New memory of `dtype` laid out as `empty_like` (`preserve_format`) lays it out, as
    /// `clone()`, `to()` and the `like:` creators use: this tensor's strides when its elements
    /// fill a block of memory, else dense in the order of its strides (`infer_dense_strides`,
    /// so a slice of a transposed matrix gives a transposed copy).
    func _freshInLayout(_ dtype: DType) -> Tensor {
        guard !isContiguous, let layout = _IteratorLayout(shape, [self]) else {
            return Tensor(uninitializedShape: shape, dtype: dtype)
        }
        return Tensor(freshShape: shape, denseStrides: layout.strides, dtype: dtype)
    }

    /// This (contiguous, unrecorded) result moved into memory laid out as `_freshInLayout`
    /// lays out `other`: for ATen kernels that write into `empty_like(other)` where Descent
    /// computes contiguously.
    func _laidOut(like other: Tensor) -> Tensor {
        guard !other.isContiguous, let layout = _IteratorLayout(other.shape, [other]) else { return self }
        let kept = Tensor(freshShape: shape, denseStrides: layout.strides, dtype: dtype)
        CopyKernel.copy(self, into: kept)
        return kept
    }
}
