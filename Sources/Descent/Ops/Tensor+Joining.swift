// Concatenation and stacking.

extension Tensor {
    /// Joins tensors along an existing dimension (`CatBackward0`), like `torch.cat`.
    ///
    /// ```swift
    /// let both = Tensor.cat([a, b], dim: 0)   // [2, 3] + [4, 3] -> [6, 3]
    /// ```
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first(where: { !($0.rank == 1 && $0.shape[0] == 0) }) ?? tensors.first else {
            _fail("torch.cat(): expected a non-empty list of Tensors")
        }
        // PyTorch skips legacy empty 1-D tensors of shape [0].
        let parts = tensors.filter { !($0.rank == 1 && $0.shape[0] == 0) || $0 === first }
        if first.rank == 0 { _fail("zero-dimensional tensor (at position 0) cannot be concatenated") }
        let d = Shape.wrap(dim, rank: first.rank)
        var dtype = first.dtype
        for t in parts { dtype = DType.promote(dtype, t.dtype) }
        var total = 0
        for (i, t) in parts.enumerated() {
            if t.rank != first.rank {
                _fail("Tensors must have same number of dimensions: got \(first.rank) and \(t.rank)")
            }
            for k in 0..<t.rank where k != d && t.shape[k] != first.shape[k] {
                _fail("Sizes of tensors must match except in dimension \(d). Expected size \(first.shape[k]) but got size \(t.shape[k]) for tensor number \(i) in the list.")
            }
            total += t.shape[d]
        }
        var outShape = first.shape
        outShape[d] = total
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        var offset = 0
        var spans: [(Int, Int)] = []
        for t in parts {
            out.narrow(d, offset, t.shape[d])._copyRaw(t)
            spans.append((offset, t.shape[d]))
            offset += t.shape[d]
        }
        if _CaptureTape.isActive { _CaptureTape.writtenInParts(out) }
        return out._recorded("CatBackward0", parts) { g, _ in
            spans.map { g.narrow(d, $0.0, $0.1) }
        }
    }

    /// Joins tensors of equal shape along a new dimension (`StackBackward0`), like
    /// `torch.stack`.
    ///
    /// ```swift
    /// let pair = Tensor.stack([a, b])   // two [3] -> [2, 3]
    /// ```
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first else { _fail("stack expects a non-empty TensorList") }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            _fail("stack expects each tensor to be equal size, but got \(_shapeString(first.shape)) at entry 0 and \(_shapeString(t.shape)) at entry \(i)")
        }
        let d = Shape.wrap(dim, rank: first.rank + 1)
        let joined = noGrad { cat(tensors.map { $0.unsqueeze(d) }, dim: d) }
        return joined._recorded("StackBackward0", tensors) { g, _ in
            (0..<tensors.count).map { g.select(d, $0) }
        }
    }
}
