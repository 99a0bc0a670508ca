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
    /// one linear position into it (``_IndexSites``, shared with assignment), so the gather and its gradient are `index_select`'s: its
    /// gradient adds into zeros in the order of the positions, as ATen's serial
    /// `index_put_(accumulate=True)` does on the CPU.
    func _gatherAdvanced(_ advanced: [(dim: Int, index: Tensor)]) -> Tensor {
        // The positions as assignment finds them (broadcast, checked, one row-major position
        // into the chosen dimensions); a unit of a compiled step, so that a replay reads the
        // index tensors as they are then.
        let me = shape
        let sitesOf = { (indices: [Tensor]) in
            _IndexSites(shape: me, several: zip(advanced, indices).map { ($0.0.dim, $0.1) })
        }
        let sites = sitesOf(advanced.map(\.index))
        let linear = _CaptureTape.opaque(advanced.map(\.index)) { t in
            let positions = t.count == advanced.count ? sitesOf(t.map { $0! }).positions : []
            return [Tensor(positions.map { Int64($0) }, shape: [positions.count])]
        }[0]
        let dims = sites.dims
        let others = (0..<rank).filter { !dims.contains($0) }
        let otherShape = others.map { shape[$0] }
        let front = dims.reduce(1) { $0 * shape[$1] }
        let gathered = permute(dims + others).reshape([front] + otherShape)._indexSelect(0, linear, name: "IndexBackward0")
        // The broadcast dimensions go where the chosen ones were when those were adjacent
        // (`sites.lead` is then the dimensions before them), else in front.
        let broadcast = Array(sites.resultShape[sites.lead.count..<(sites.resultShape.count - sites.tail.count)])
        let (before, b) = (sites.lead.count, broadcast.count)
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
