/// Where an elementwise result's elements lie in memory, as ATen's TensorIterator decides it:
/// operands all contiguous give a contiguous result; operands of one shape, dense and with the
/// same strides, give those strides (`fast_set_up`); otherwise the dimensions are ordered by the
/// operands' strides, the first operand deciding where it can (`reorder_dimensions`), and the
/// result is dense in that order. PyTorch's `x.t() * 2` is laid out as `x.t()` is, and the
/// order a later reduction adds its elements in follows that layout, so the layout is part of
/// PyTorch's numbers (`(x.t() * 1).sum(1)` differs in the last bits from the contiguous sum).
struct _IteratorLayout {
    /// The result's strides.
    let strides: [Int]
    /// The dimensions from the slowest-moving in the result's memory to the fastest: the
    /// order to walk them in so that the result is written front to back.
    let order: [Int]

    /// The layout of a result of `shape` over `operands` (each broadcast to `shape`), or nil
    /// when it is contiguous.
    init?(_ shape: [Int], _ operands: [Tensor]) {
        let n = shape.count
        guard n >= 2, Shape.count(shape) > 0 else { return nil }
        var sameShape = true, contiguous = true
        for t in operands {
            sameShape = sameShape && Shape.same(t.shape, shape)
            contiguous = contiguous && t.isContiguous
        }
        // (Contiguous operands that broadcast still go through the sort: the strides of their
        // dimensions of size one, which contiguity leaves free, take part in ATen's ties.)
        if contiguous && sameShape { return nil }
        if sameShape, let last = operands.last, operands.allSatisfy({ $0.strides == last.strides && $0._isDense }) {
            strides = last.strides
        } else {
            // The strides `compute_strides` compares: 0 where an operand is broadcast.
            let operandStrides = operands.map { t -> [Int] in
                var s = [Int]._small(repeating: 0, count: n)
                let lead = n - t.rank
                for i in 0..<t.rank where t.shape[i] != 1 || shape[lead + i] == 1 { s[lead + i] = t.strides[i] }
                return s
            }
            let perm = CascadeSum._iteratorOrder(shape, operandStrides, reductionOutput: nil)
            if perm.elementsEqual(stride(from: n - 1, through: 0, by: -1)) { return nil }
            var out = [Int]._small(repeating: 0, count: n)
            var next = 1
            for d in perm {
                out[d] = next
                next *= shape[d]
            }
            strides = out
        }
        let result = strides
        order = (0..<n).sorted { result[$0] > result[$1] }
    }

    /// `values` (one per dimension) in walking order.
    func walking(_ values: [Int]) -> [Int] { order.map { values[$0] } }
}

extension _IteratorLayout {
    /// A new result of `shape` over `operands`, laid out as ATen lays it out, with the shape
    /// to walk and each operand's strides (broadcast) in walking order: a walk in row-major
    /// order over them visits the result's memory front to back.
    static func result(_ shape: [Int], _ operands: [Tensor], _ dtype: DType) -> (Tensor, [Int], [[Int]]) {
        let broadcast = operands.map { Shape.broadcastStrides($0.shape, $0.strides, to: shape) }
        guard let layout = _IteratorLayout(shape, operands) else {
            return (Tensor(uninitializedShape: shape, dtype: dtype), shape, broadcast)
        }
        return (Tensor(freshShape: shape, denseStrides: layout.strides, dtype: dtype),
                layout.walking(shape), broadcast.map(layout.walking))
    }
}
