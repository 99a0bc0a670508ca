import RealModule

// Lookup tables: rows of a weight matrix picked by integer ids (`embedding`), reduced per bag
// (`embeddingBag`), and the ids' one-hot form, as `torch.nn.functional` has them.

/// How `embeddingBag` combines the rows of one bag, PyTorch's `mode` argument.
public enum EmbeddingBagMode: String, Sendable {
    /// The rows' sum (optionally each row scaled by its per-sample weight).
    case sum
    /// Their mean; an empty bag gives zeros.
    case mean
    /// Their elementwise maximum; an empty bag gives zeros.
    case max
}

extension Tensor {
    /// The rows of `weight` (`[numEmbeddings, dim]`) at the ids in `input` (int64, any shape),
    /// shaped `input.shape + [dim]` (`EmbeddingBackward0`), like `F.embedding`.
    ///
    /// `paddingIdx`'s row gets no gradient. With `maxNorm`, every row the ids pick whose
    /// `normType`-norm exceeds it is first scaled down to it, in place in `weight`, as PyTorch
    /// does. `scaleGradByFreq` divides each row's gradient by how often the batch uses it.
    ///
    /// ```swift
    /// let table = Tensor.randn(10, 3)
    /// let rows = Tensor.embedding(Tensor([[1, 2], [4, 9]], dtype: .int64), weight: table)   // [2, 2, 3]
    /// ```
    public static func embedding(_ input: Tensor, weight: Tensor, paddingIdx: Int? = nil, maxNorm: Double? = nil,
                                 normType: Double = 2, scaleGradByFreq: Bool = false) -> Tensor {
        if input.dtype != .int64 {
            _fail("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(input.dtype.legacyTypeName) instead (while checking arguments for embedding)")
        }
        if weight.rank != 2 { _fail("'weight' must be 2-D") }
        let rows = weight.shape[0], dim = weight.shape[1]
        let padding = paddingIdx.map { p -> Int in
            if p >= rows || p < -rows { _fail("Padding_idx must be within num_embeddings") }
            return p < 0 ? p + rows : p
        }
        // The ids are read as numbers, so in a compiled step the lookup and its gradient are
        // units the plan runs again (with that call's ids, kept in a cell between the two).
        let lookup = _EmbeddingLookup()
        let out = _CaptureTape.opaque([input, weight]) { t -> [Tensor] in
            let (input, weight) = (t[0]!, t[1]!)
            let ids = input.contiguous().scalars(as: Int.self)
            for i in ids where i < 0 || i >= rows { _fail("index out of range in self") }
            if let maxNorm { _embeddingRenorm(weight, ids, maxNorm: maxNorm, normType: normType) }
            lookup.ids = ids
            return [noGrad { weight._indexSelect(0, Tensor(shape: [ids.count], scalars: ids.map(Int64.init)), name: "IndexSelectBackward0") }]
        }[0].view(input.shape + [dim])
        guard GradMode.isEnabled, weight._requiresGradForRecording else { return out }
        return out._recorded("EmbeddingBackward0", weight) { g, _ in
            let gradient = _CaptureTape.opaque([g]) { t -> [Tensor] in
                let ids = lookup.ids
                var scales = [Double](repeating: 1, count: ids.count)
                if scaleGradByFreq {
                    var counts = [Int: Int]()
                    for i in ids { counts[i, default: 0] += 1 }
                    scales = ids.map { 1 / Double(counts[$0]!) }
                }
                for (k, i) in ids.enumerated() where i == padding { scales[k] = 0 }
                let plan = _BagPlan(rows: rows, members: ids, scales: scales, starts: Array(0...ids.count))
                return [plan.scatter(t[0]!.reshape([ids.count, dim]), dim: dim)]
            }
            return (gradient[0], nil)
        }
    }

    /// `embedding_renorm_`: each distinct id's row scaled to `maxNorm` when its norm is larger.
    static func _embeddingRenorm(_ weight: Tensor, _ ids: [Int], maxNorm: Double, normType: Double) {
        noGrad {
            var seen = Set<Int>()
            for i in ids where seen.insert(i).inserted {
                let row = weight.select(0, i)
                let n = Double.pow(row.to(.float64).abs().pow(normType).sum().item(), 1 / normType)
                if n > maxNorm { row._copyRaw(row * (maxNorm / (n + 1e-7))) }
            }
            weight._bumpVersion()
        }
    }

    /// Sums, means or maxima of bags of `weight`'s rows, like `F.embedding_bag`
    /// (`EmbeddingBagBackward0`).
    ///
    /// A 2-D `input` is one bag per row; a 1-D `input` is split into bags where `offsets`
    /// begin (with `includeLastOffset`, the last offset ends the last bag). `perSampleWeights`
    /// (sum only) scale each id's row. `paddingIdx`'s rows are left out of their bags.
    ///
    /// ```swift
    /// let ids = Tensor([1, 2, 4, 5, 4, 3], dtype: .int64)
    /// let bags = Tensor.embeddingBag(ids, weight: table, offsets: Tensor([0, 3], dtype: .int64), mode: .mean)   // [2, dim]
    /// ```
    public static func embeddingBag(_ input: Tensor, weight: Tensor, offsets: Tensor? = nil, mode: EmbeddingBagMode = .mean,
                                    perSampleWeights: Tensor? = nil, includeLastOffset: Bool = false, paddingIdx: Int? = nil,
                                    maxNorm: Double? = nil, normType: Double = 2) -> Tensor {
        if input.dtype != .int64 {
            _fail("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(input.dtype.legacyTypeName) instead (while checking arguments for embedding_bag)")
        }
        if weight.rank != 2 { _fail("'weight' must be 2-D") }
        let rows = weight.shape[0], dim = weight.shape[1]
        let ids = input.contiguous().scalars(as: Int.self)
        var starts: [Int]
        // Where the last bag ends: the input's end, or the last offset with `includeLastOffset`.
        var lastEnd = ids.count
        switch input.rank {
        case 2:
            if offsets != nil { _fail("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type Tensor") }
            starts = (0..<input.shape[0]).map { $0 * input.shape[1] }
        case 1:
            guard let offsets else { _fail("offsets has to be a 1D Tensor but got None") }
            if offsets.rank != 1 { _fail("offsets has to be a 1D Tensor") }
            starts = offsets.contiguous().scalars(as: Int.self)
            lastEnd = ids.count
            if let first = starts.first, first != 0 { _fail("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got \(first)") }
            if let last = starts.last, last > ids.count { _fail("offsets[-1] can not be greater than input's length \(ids.count), but got offsets[-1] of \(last)") }
            if includeLastOffset {
                if starts.isEmpty { _fail("include_last_offset: number of offset should be at least 1") }
                lastEnd = starts.removeLast()
            }
        default:
            _fail("input has to be 1D or 2D Tensor, but got Tensor of dimension \(input.rank)")
        }
        if let perSampleWeights {
            if mode != .sum { _fail("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='\(mode.rawValue)'). Please open a feature request on GitHub.") }
            if perSampleWeights.shape != input.shape { _fail("embedding_bag: If per_sample_weights (\(_shapeString(perSampleWeights.shape))) is not None, then it must have the same shape as the input (\(_shapeString(input.shape)))") }
        }
        for i in ids where i < 0 || i >= rows { _fail("index out of range in self") }
        let padding = paddingIdx.map { $0 < 0 ? $0 + rows : $0 }
        if let maxNorm { _embeddingRenorm(weight, ids, maxNorm: maxNorm, normType: normType) }
        let sampleWeights = perSampleWeights.map { $0.to(.float64).contiguous().scalars(as: Double.self) }
        var bagMembers: [Int] = [], bagScales: [Double] = [], bagStarts = [0]
        for (b, start) in starts.enumerated() {
            let end = b + 1 < starts.count ? starts[b + 1] : lastEnd
            let members = (start..<Swift.max(start, end)).filter { ids[$0] != padding }
            let scale = mode == .mean && !members.isEmpty ? 1 / Double(members.count) : 1
            for k in members {
                bagMembers.append(ids[k])
                bagScales.append(sampleWeights?[k] ?? scale)
            }
            bagStarts.append(bagMembers.count)
        }
        var plan = _BagPlan(rows: rows, members: bagMembers, scales: bagScales, starts: bagStarts)
        let w = weight.contiguous()
        let out: Tensor
        if mode == .max {
            let (values, argmax) = plan.maxima(w, dim: dim)
            plan.argmax = argmax
            out = values
        } else {
            out = plan.gather(w, dim: dim)
        }
        let members = starts.enumerated().flatMap { b, start -> [(bag: Int, position: Int)] in
            let end = b + 1 < starts.count ? starts[b + 1] : lastEnd
            return (start..<Swift.max(start, end)).map { (bag: b, position: $0) }
        }
        let fixedPlan = plan
        var inputs = [weight]
        if let perSampleWeights { inputs.append(perSampleWeights) }
        let rowsOf = Tensor(shape: [members.count], scalars: members.map { Int64(ids[$0.position]) })
        let bagsOf = Tensor(shape: [members.count], scalars: members.map { Int64($0.bag) })
        let kept = members.map { ids[$0.position] == padding ? 0.0 : 1.0 }
        let bagCount = starts.count
        return out._recorded("EmbeddingBagBackward0", inputs, saving: inputs) { g, node in
            guard let perSampleWeights else { return [node.needsInputGrad(0) ? fixedPlan.scatter(g, dim: dim) : nil] }
            // Weighted sums: Σ_k psw_k · weight[id_k] into bag(k), composed so that both inputs
            // (and, recorded, their gradients) are differentiable.
            let grads = _recomputedGradients([node.savedTensor(0), node.savedTensor(1)], g) { t in
                let mask = Tensor(shape: [members.count], scalars: kept, dtype: t[0].dtype)
                let rows = t[0].indexSelect(0, rowsOf) * (t[1].reshape([-1]) * mask).unsqueeze(1)
                return Tensor.zeros([bagCount, dim], dtype: t[0].dtype).indexAdd(0, bagsOf, rows)
            }
            return [node.needsInputGrad(0) ? grads[0] : nil, node.needsInputGrad(1) ? grads[1]?.view(perSampleWeights.shape) : nil]
        }
    }

    /// Each id as a row of zeros with a one at the id, like `F.one_hot` (int64). With
    /// `numClasses` -1 the count is the largest id plus one.
    ///
    /// ```swift
    /// Tensor.oneHot(Tensor([1, 0, 3], dtype: .int64))   // [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    /// ```
    public static func oneHot(_ input: Tensor, numClasses: Int = -1) -> Tensor {
        if input.dtype != .int64 { _fail("one_hot is only applicable to index tensor of type LongTensor.") }
        // The ids are read into Swift: inside a compiled step a unit, which reads them again on
        // every replay; without a class count the shape itself would follow the values.
        if numClasses == -1 && _CaptureTape.isActive {
            _CaptureTape.refuse("one_hot without numClasses takes its shape from the values")
        }
        return _CaptureTape.opaque([input]) { t in [_oneHot(t[0]!, numClasses: numClasses)] }[0]
    }

    private static func _oneHot(_ input: Tensor, numClasses: Int) -> Tensor {
        let ids = input.contiguous().scalars(as: Int.self)
        var classes = numClasses
        if classes == -1 {
            guard let top = ids.max() else { _fail("Can not infer total number of classes from empty tensor.") }
            classes = top + 1
        }
        if let low = ids.min(), low < 0 { _fail("Class values must be non-negative.") }
        if let top = ids.max(), top >= classes { _fail("Class values must be smaller than num_classes.") }
        let out = Tensor.zeros(input.shape + [classes], dtype: .int64)
        let p = out.pointer(Int64.self)
        for (k, i) in ids.enumerated() { p[k * classes + i] = 1 }
        return out
    }
}

/// Which rows of a table each output row adds up, and with what scale: the one linear map behind
/// `embedding` (one row per output) and `embeddingBag`'s sum and mean. Max bags keep, per output
/// element, the row that won.
struct _BagPlan: Sendable {
    let rows: Int
    /// The table rows of every bag, bag after bag, with their scales; bag `b` is
    /// `starts[b]..<starts[b + 1]` of them (flat: a lookup of a thousand ids builds three arrays,
    /// not a thousand).
    let members: [Int], scales: [Double], starts: [Int]
    /// `[bags, dim]` winning rows of a max bag (-1 for an empty bag).
    var argmax: [Int]? = nil

    init(rows: Int, members: [Int], scales: [Double], starts: [Int]) {
        (self.rows, self.members, self.scales, self.starts) = (rows, members, scales, starts)
    }

    var bagCount: Int { starts.count - 1 }

    /// `out[b] = Σ scale · table[row]` (sum and mean bags), the forward map.
    func gather(_ table: Tensor, dim: Int) -> Tensor {
        let out = Tensor.zeros([bagCount, dim], dtype: table.dtype)
        func run<T: _FloatElement>(_: T.Type) {
            let src = table.pointer(T.self), dst = out.pointer(T.self)
            for b in 0..<bagCount {
                for m in starts[b]..<starts[b + 1] { Self.addRow(src + members[m] * dim, into: dst + b * dim, dim, T(scales[m])) }
            }
        }
        if table.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        return out
    }

    /// `o += s · k` over a row, without the multiply when `k` is 1.
    @inline(__always)
    static func addRow<T: _FloatElement>(_ s: UnsafeMutablePointer<T>, into o: UnsafeMutablePointer<T>, _ dim: Int, _ k: T) {
        if k == 1 {
            for j in 0..<dim { o[j] += s[j] }
        } else {
            for j in 0..<dim { o[j] += s[j] * k }
        }
    }

    /// Elementwise maxima of each bag's rows and the row each came from.
    func maxima(_ table: Tensor, dim: Int) -> (Tensor, [Int]) {
        let out = Tensor.zeros([bagCount, dim], dtype: table.dtype)
        var argmax = [Int](repeating: -1, count: bagCount * dim)
        func run<T: _FloatElement>(_: T.Type) {
            let src = table.pointer(T.self), dst = out.pointer(T.self)
            for b in 0..<bagCount {
                for m in starts[b]..<starts[b + 1] {
                    let row = members[m]
                    for j in 0..<dim {
                        let v = src[row * dim + j]
                        if m == starts[b] || v > dst[b * dim + j] {
                            dst[b * dim + j] = v
                            argmax[b * dim + j] = row
                        }
                    }
                }
            }
        }
        if table.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        return (out, argmax)
    }

    /// The adjoint: each output row's gradient added, scaled, into its rows of a zero table,
    /// in order of the ids (index_add's order). Recorded, with the forward map as its own
    /// adjoint, when the backward pass is.
    func scatter(_ g: Tensor, dim: Int) -> Tensor {
        Tensor._linearBackward(g, "EmbeddingBackward0", {
            let grad = Tensor.zeros([rows, dim], dtype: g.dtype)
            let c = g.contiguous()
            func run<T: _FloatElement>(_: T.Type) {
                let src = c.pointer(T.self), dst = grad.pointer(T.self)
                if let argmax {
                    for (k, row) in argmax.enumerated() where row >= 0 { dst[row * dim + k % dim] += src[k] }
                    return
                }
                for b in 0..<bagCount {
                    for m in starts[b]..<starts[b + 1] where scales[m] != 0 {
                        Self.addRow(src + b * dim, into: dst + members[m] * dim, dim, T(scales[m]))
                    }
                }
            }
            if g.dtype == .float64 { run(Double.self) } else { run(Float.self) }
            return grad
        }, adjoint: { gg in
            guard let argmax else { return gather(gg.contiguous(), dim: dim) }
            let columns = Tensor(shape: [bagCount, dim], scalars: argmax.enumerated().map { Int64($0.element < 0 ? 0 : $0.element * dim + $0.offset % dim) })
            let mask = Tensor(shape: [bagCount, dim], scalars: argmax.map { $0 < 0 ? 0.0 : 1.0 }, dtype: gg.dtype)
            return gg.flatten().gather(0, columns.flatten()).view([bagCount, dim]) * mask
        })
    }
}

/// The ids an embedding's forward pass looked up, for its backward pass.
final class _EmbeddingLookup: @unchecked Sendable {
    var ids: [Int] = []
}
