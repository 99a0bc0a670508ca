// A view's history after its memory was written in place. PyTorch gives such a view a new
// `grad_fn` (`AsStridedBackward0`) that reads its elements out of the base's current history:
// after `a *= 3`, the view `v = a[0:2]` made before it must send its gradient through the
// multiplication. Its old node would skip the write and give a wrong gradient.

extension Tensor {
    /// Rebuilds this view's `grad_fn` when its memory was written in place since it was
    /// recorded. Cheap when nothing changed: this runs for every input of every recorded op.
    @inline(__always)
    func _refreshViewHistory() {
        if _isView, _viewVersion != header.pointee.version, _viewVersion != Int.min {
            _regenerateViewHistory()
        }
    }

    /// Whether an op recording this tensor as an input makes a graph node: it requires grad,
    /// or it is a view whose base does (PyTorch's views follow their base, even when made
    /// before the base required grad; the node then has no edge to it until its history is
    /// rebuilt).
    @inline(__always)
    var _requiresGradForRecording: Bool {
        if _requiresGrad { return true }
        return _isView && _viewRequiresGradSlow()
    }

    @inline(never)
    private func _viewRequiresGradSlow() -> Bool {
        _refreshViewHistory()
        return _requiresGrad || (base?._requiresGrad ?? false)
    }

    @inline(never)
    private func _regenerateViewHistory() {
        let base = self.base!
        // A view outside any graph whose base needs no gradient keeps its old version, so
        // that it is rebuilt once the base does require grad (VariableHooks::grad_fn).
        guard base._requiresGrad || _gradFn != nil else { return }
        _viewVersion = header.pointee.version
        // A view in a graph whose base needs no gradient (a view of a view made a leaf) takes
        // the node too, with no edge: PyTorch's history then stops there as well.
        _requiresGrad = true
        let viewShape = shape, viewStrides = strides, viewOffset = storageOffset
        let baseShape = base.shape, baseStrides = base.strides, baseOffset = base.storageOffset
        let node = AutogradNode(name: "AsStridedBackward0", edges: [AutogradNode.Edge(base)], saved: []) { g, _ in
            [Tensor._asStridedBackward(g, view: (viewShape, viewStrides, viewOffset), base: (baseShape, baseStrides, baseOffset))]
        }
        _takeNode(node)
    }

    /// The gradient of the base from the gradient of a view over the same memory: the view's
    /// elements are added into a zeroed copy of the memory (elements the view reads twice, as
    /// an expanded one does, add up) and the base's elements read back out.
    static func _asStridedBackward(
        _ g: Tensor, view: (shape: [Int], strides: [Int], offset: Int), base: (shape: [Int], strides: [Int], offset: Int)
    ) -> Tensor {
        let (vlo, vhi) = _span(view.shape, view.strides, view.offset)
        let (blo, bhi) = _span(base.shape, base.strides, base.offset)
        let lo = Swift.min(vlo, blo), hi = Swift.max(vhi, bhi)
        let memory = Tensor.zeros([hi - lo + 1], dtype: g.dtype)
        let viewed = Tensor(over: memory, shape: view.shape, strides: view.strides, offset: view.offset - lo, base: nil)
        // Element by element (the general update), so that repeated elements accumulate.
        viewed._addInPlaceNoGraph(g)
        let based = Tensor(over: memory, shape: base.shape, strides: base.strides, offset: base.offset - lo, base: nil)
        return based.contiguous()
    }

    /// The first and last storage offsets a geometry reads.
    static func _span(_ shape: [Int], _ strides: [Int], _ offset: Int) -> (lo: Int, hi: Int) {
        var lo = offset, hi = offset
        for (n, s) in zip(shape, strides) where n > 1 {
            if s > 0 { hi += (n - 1) * s } else { lo += (n - 1) * s }
        }
        return (lo, hi)
    }
}
