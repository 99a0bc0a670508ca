// In-place operations on views that are part of a graph, as PyTorch records them: the op's
// own node computes the slice's new values from the view's history, and the base takes a
// `CopySlices` node, whose gradient is the incoming one with the slice's part replaced by what
// the op's node gives for its input. The view itself then reads its elements out of the base's
// new history (`AsStridedBackward0`, Tensor+ViewHistory.swift).

extension Tensor {
    /// `self = op(self, other)` for a view `self` while recording.
    func _inPlaceOnView(_ other: Tensor, _ op: (Tensor, Tensor) -> Tensor) {
        let base = self.base!
        _refreshViewHistory()
        // The view's current values with its current history, as the op's first input.
        let snapshot = noGrad { clone() }
        snapshot._gradFn = _gradFn
        snapshot._requiresGrad = _requiresGrad
        let result = op(snapshot, other)
        // The base's history before the write, and the other operand's, are the new node's
        // inputs; the op's node runs inside it.
        let baseEdge = AutogradNode.Edge(base)
        let otherEdge = AutogradNode.Edge(other)
        _copyRaw(result)
        _bumpVersion()
        guard let inner = result._gradFn else { return }
        let view = (shape: shape, strides: strides, offset: storageOffset)
        let whole = (shape: base.shape, strides: base.strides, offset: base.storageOffset)
        let node = AutogradNode(name: "CopySlices", edges: [baseEdge, otherEdge], saved: []) { g, node in
            node.checkNotReleased()
            // The incoming gradient laid out over the memory, so the slice can be cut out
            // and written back whatever the base's and the view's layouts.
            let (memory, lo) = Tensor._memoryImage(g, whole)
            let slice = Tensor(over: memory, shape: view.shape, strides: view.strides, offset: view.offset - lo, base: nil)
            let sliceGrad = slice.contiguous()
            let inputs: [Tensor?]
            if let vjp2 = inner.vjp2 {
                let (a, b) = vjp2(sliceGrad, inner)
                inputs = [a.map { inner.fitToInput($0, 0) }, b.map { inner.fitToInput($0, 1) }]
            } else {
                let all = inner.vjpN!(sliceGrad, inner)
                inputs = all.enumerated().map { i, t in t.map { inner.fitToInput($0, i) } }
            }
            if let selfGrad = inputs.first ?? nil {
                // PyTorch's `grad_slice.copy_(res[0])`: a view with repeated elements (an
                // expanded one, which `copy_` may write when it is the value's own view) stops
                // the backward pass here.
                slice._checkNoInternalOverlap()
                slice._copyRaw(selfGrad)
            } else {
                slice._fillRaw(0)
            }
            let baseGrad = Tensor(over: memory, shape: whole.shape, strides: whole.strides, offset: whole.offset - lo, base: nil).contiguous()
            return [baseGrad, inputs.count > 1 ? inputs[1] : nil]
        }
        node.wrappedNode = inner
        base._takeNode(node)
        base._requiresGrad = true
        // The snapshot's place in the graph is the view's old one; the view now follows the
        // base (its version moved, so its next use rebuilds its history).
    }

    /// `g` (laid out as `geometry` describes a tensor over some memory) written into a zeroed
    /// copy of that memory's span, and the span's first offset.
    static func _memoryImage(_ g: Tensor, _ geometry: (shape: [Int], strides: [Int], offset: Int)) -> (Tensor, Int) {
        let (lo, hi) = _span(geometry.shape, geometry.strides, geometry.offset)
        let memory = Tensor.zeros([hi - lo + 1], dtype: g.dtype)
        Tensor(over: memory, shape: geometry.shape, strides: geometry.strides, offset: geometry.offset - lo, base: nil)._copyRaw(g)
        return (memory, lo)
    }
}
