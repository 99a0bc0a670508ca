// Subscripts with several index tensors (`x[rows, cols]`, `logProbs[Tensor.arange(n), targets]`),
// as PyTorch's advanced indexing reads them: the index tensors broadcast together, pick one
// element of the dimensions they index for each of their positions, and the broadcast shape
// takes the place of those dimensions when they are adjacent, or leads the result when they
// are not (a slice between them).

extension Tensor {
    /// `self[...]` after the basic part of the subscript, for the int64 index tensors
    /// `advanced` (two or more) over the dimensions they name (`IndexBackward0`).
    ///
    /// The chosen dimensions are moved to the front and read as one, and the positions become
    /// one linear position into it, so the gather and its gradient are `index_select`'s: its
    /// gradient adds into zeros in the order of the positions, as ATen's serial
    /// `index_put_(accumulate=True)` does on the CPU.
    func _gatherAdvanced(_ advanced: [(dim: Int, index: Tensor)]) -> Tensor {
        var broadcast: [Int] = []
        for (k, (_, t)) in advanced.enumerated() {
            if k == 0 {
                broadcast = t.shape
            } else if zip(broadcast.reversed(), t.shape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 || $1 == 1 }) {
                broadcast = Shape.broadcast(broadcast, t.shape)
            } else {
                let shapes = advanced.map { _shapeString($0.index.shape) }.joined(separator: ", ")
                _fail("shape mismatch: indexing tensors could not be broadcast together with shapes \(shapes)")
            }
        }
        let dims = advanced.map(\.dim)
        let others = (0..<rank).filter { !dims.contains($0) }
        let otherShape = others.map { shape[$0] }
        let count = Shape.count(broadcast)
        // One position into the chosen dimensions read as one, row-major in their order.
        let linear = noGrad { () -> Tensor in
            var linear = Tensor.zeros(broadcast, dtype: .int64)
            var scale = 1
            for (d, t) in advanced.reversed() {
                let n = shape[d]
                let p = t.contiguous()
                let raw = p.pointer(Int64.self)
                for q in 0..<p.scalarCount where raw[q] < -Int64(n) || raw[q] >= Int64(n) {
                    _fail("index \(raw[q]) is out of bounds for dimension \(d) with size \(n)")
                }
                let wrapped = Tensor.where(t .< 0, t + n, t)
                linear = linear + wrapped * scale
                scale *= n
            }
            return linear.reshape([count])
        }
        let front = dims.reduce(1) { $0 * shape[$1] }
        let gathered = permute(dims + others).reshape([front] + otherShape)._indexSelect(0, linear, name: "IndexBackward0")
        let adjacent = zip(dims, dims.dropFirst()).allSatisfy { $1 == $0 + 1 }
        // The broadcast dimensions go where the chosen ones were when those were adjacent.
        let before = adjacent ? dims[0] : 0
        let b = broadcast.count
        let order = Array(b..<(b + before)) + Array(0..<b) + Array((b + before)..<(b + otherShape.count))
        let gatheredShape = gathered.shape
        let result = noGrad { gathered.reshape(broadcast + otherShape).permute(order).contiguous() }.detach()
        var inverse = order
        for (k, o) in order.enumerated() { inverse[o] = k }
        return result._recorded("IndexBackward0", gathered) { g, _ in
            (g.permute(inverse).reshape(gatheredShape), nil)
        }
    }
}
