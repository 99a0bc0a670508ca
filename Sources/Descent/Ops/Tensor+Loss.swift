// Loss primitives whose gradients PyTorch names on their own (`NllLossBackward0`).

/// How a loss combines the per-element losses, PyTorch's `reduction` argument.
public enum Reduction: Sendable {
    /// One loss per element.
    case none
    /// Their mean (the default).
    case mean
    /// Their sum.
    case sum
}

extension Tensor {
    /// The negative log-likelihood of class indices `target` under these log-probabilities,
    /// like `F.nll_loss`: `[N, C]` with `[N]` targets (`NllLossBackward0`), `[C]` with a 0-d
    /// target, or `[N, C, d1, …]` with `[N, d1, …]` targets (`NllLoss2DBackward0`).
    ///
    /// Targets equal to `ignoreIndex` add nothing and do not count toward the mean; `weight`
    /// (`[C]`) scales each class's terms, and the mean divides by the summed weights.
    ///
    /// ```swift
    /// let loss = logits.logSoftmax(dim: 1).nllLoss(labels)
    /// ```
    public func nllLoss(_ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) -> Tensor {
        if rank < 1 { _fail("input tensor should be 1D or 2D") }
        if target.dtype != .int64 { _fail("expected scalar type Long but found \(target.dtype.cppName)") }
        let classes = rank == 1 ? shape[0] : shape[1]
        if let weight, weight.scalarCount != classes {
            _fail("weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(_shapeString(weight.shape))")
        }
        // Everything becomes rows of classes: [M, C] and M targets.
        let rows: Tensor, outShape: [Int]
        switch rank {
        case 1:
            if target.rank != 0 { _fail("0D or 1D target tensor expected, multi-target not supported") }
            rows = unsqueeze(0)
            outShape = []
        case 2:
            if target.rank != 1 { _fail("0D or 1D target tensor expected, multi-target not supported") }
            if target.shape[0] != shape[0] {
                _fail("Expected input batch_size (\(shape[0])) to match target batch_size (\(target.shape[0])).")
            }
            rows = self
            outShape = [shape[0]]
        default:
            let expected = [shape[0]] + Array(shape[2...])
            if target.shape != expected {
                _fail("Expected target size \(_shapeString(expected)), got \(_shapeString(target.shape))")
            }
            rows = noGrad { movedim(1, -1).reshape([-1, classes]) }
            outShape = expected
        }
        let n = rows.shape[0]
        let labels = target.contiguous().scalars(as: Int.self)
        for t in labels where t != ignoreIndex && (t < 0 || t >= classes) { _fail("Target \(t) is out of bounds.") }
        let weights = weight.map { $0.to(.float64).contiguous().scalars(as: Double.self) }
        let x = rows.contiguous()
        let (out, totalWeight): (Tensor, Double)
        switch dtype {
        case .float32: (out, totalWeight) = Tensor._nllForward(x, labels, classes: classes, weights, ignoreIndex, Float.self, reduction)
        case .float64: (out, totalWeight) = Tensor._nllForward(x, labels, classes: classes, weights, ignoreIndex, Double.self, reduction)
        default: _fail("\"nll_loss_out_frame\" not implemented for '\(dtype._resultName)'")
        }
        // nll_loss_nd runs other ranks than 4 as a reshaped [N, C, d, 1] problem: an unreduced
        // loss comes back through a view (`ViewBackward0`).
        let viewedBack = reduction == .none && rank != 4 && rank > 2
        let result = reduction == .none && !viewedBack && out.shape != outShape ? out._fresh(shape: outShape) : out
        let inputShape = shape, inputRank = rank, dtype = self.dtype
        // Per row: the class it reads and the factor its gradient gets (0 when ignored).
        let factors = labels.map { t -> Double in
            t == ignoreIndex ? 0 : -(weights?[t] ?? 1) / (reduction == .mean ? totalWeight : 1)
        }
        let name: StaticString = inputRank > 2 ? "NllLoss2DBackward0" : "NllLossBackward0"
        let recorded = result._recorded(name, self) { g, _ in
            let grad = Tensor._linearBackward(g, "NllLossBackward0", {
                let grad = Tensor.zeros([n, classes], dtype: dtype)
                let gv = g.contiguous().to(.float64).scalars(as: Double.self)
                for i in 0..<n where factors[i] != 0 {
                    grad._setRaw(i * classes + labels[i], factors[i] * gv[reduction == .none ? i : 0])
                }
                return grad
            }, adjoint: { gg in
                let picked = Tensor(shape: [n], scalars: labels.enumerated().map { Int64($0.offset * classes + ($0.element == ignoreIndex ? 0 : $0.element)) })
                let values = gg.contiguous().flatten().gather(0, picked) * Tensor(shape: [n], scalars: factors, dtype: gg.dtype)
                return reduction == .none ? values.view(g.shape) : values.sum()
            })
            switch inputRank {
            case 1: return (grad.view(inputShape), nil)
            case 2: return (grad, nil)
            default:
                var moved = inputShape
                moved.remove(at: 1)
                return (grad.view(moved + [classes]).movedim(-1, 1), nil)
            }
        }
        return viewedBack ? recorded.view(outShape) : recorded
    }

    /// Cross-entropy between logits and class indices or class probabilities, like
    /// `F.cross_entropy`: a log-softmax over dimension 1 (dimension 0 for an unbatched `[C]`
    /// input) and the negative log-likelihood, with `[N, C, d1, …]` inputs, `ignoreIndex`,
    /// class `weight` and `labelSmoothing` (the target mixed with the uniform distribution).
    ///
    /// ```swift
    /// let loss = Tensor.crossEntropy(logits.view(-1, vocab), targets.view(-1), labelSmoothing: 0.1)
    /// ```
    public static func crossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                                    reduction: Reduction = .mean, labelSmoothing: Double = 0) -> Tensor {
        if labelSmoothing < 0 || labelSmoothing > 1 { _fail("label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)") }
        let classDim = input.rank == 1 ? 0 : 1
        let logProbs = input.logSoftmax(dim: classDim)
        let classes = input.shape[classDim]
        var view = [Int](repeating: 1, count: input.rank)
        view[classDim] = classes
        if target.dtype.isFloatingPoint {
            if target.shape != input.shape {
                _fail("Expected target size \(_shapeString(input.shape)), got \(_shapeString(target.shape))")
            }
            let smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Double(classes) : target
            var terms = logProbs * smoothed
            if let weight { terms = terms * weight.view(view) }
            let perItem = -terms.sum(dim: classDim)
            switch reduction {
            case .none: return perItem
            case .sum: return perItem.sum()
            case .mean: return input.rank == 1 ? perItem : perItem.sum()._dividedByScalarOverload(Double(input.scalarCount / Swift.max(classes, 1)))
            }
        }
        let nll = logProbs.nllLoss(target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
        guard labelSmoothing > 0 else { return nll }
        // ATen's cross_entropy_loss_label_smoothing: the mean of -log q over classes, masked
        // where the target is ignored, reduced as the loss is.
        let ignored = target .== Double(ignoreIndex)
        var smooth = -(weight.map { logProbs * $0.view(view) } ?? logProbs).sum(dim: classDim)
        smooth = smooth.maskedFill(ignored, 0)
        switch reduction {
        case .none: break
        case .sum: smooth = smooth.sum()
        case .mean:
            if let weight {
                let kept = target.maskedSelect(ignored.logicalNot())
                smooth = smooth.sum() / weight.gather(0, kept.flatten()).sum()
            } else {
                smooth = smooth.sum() / ignored.logicalNot().sum().to(input.dtype)
            }
        }
        return nll * (1 - labelSmoothing) + smooth * (labelSmoothing / Double(classes))
    }

    /// nll_loss_out_frame's sums of losses and of weights: eight levels of partial sums in the
    /// element type, each level flushed into the next every 2^max(4, ceil(log2 n) / 8) rows,
    /// as ATen adds them.
    static func _nllForward<T: _FloatElement>(
        _ x: Tensor, _ labels: [Int], classes: Int, _ weights: [Double]?, _ ignoreIndex: Int, _: T.Type, _ reduction: Reduction
    ) -> (Tensor, Double) {
        let p = x.pointer(T.self), n = labels.count
        if reduction == .none {
            let values = (0..<n).map { i -> Double in
                let t = labels[i]
                if t == ignoreIndex { return 0 }
                return weights.map { -(p[i * classes + t] * T($0[t])).doubleValue } ?? -p[i * classes + t].doubleValue
            }
            return (Tensor(shape: [n], scalars: values, dtype: x.dtype), 0)
        }
        let levels = 8
        var ceilLog2 = 0
        while (1 << ceilLog2) < n { ceilLog2 += 1 }
        let power = Swift.max(4, ceilLog2 / levels)
        let mask = (1 << power) - 1
        var partial = [T](repeating: 0, count: levels), weightPartial = partial
        for b in 0..<n {
            let t = labels[b]
            if t != ignoreIndex {
                let w = weights.map { T($0[t]) } ?? 1
                partial[0] -= weights == nil ? p[b * classes + t] : p[b * classes + t] * w
                weightPartial[0] += w
            }
            for j in 0..<(levels - 1) {
                if b & (mask << (j * power)) != 0 { break }
                partial[j + 1] += partial[j]
                partial[j] = 0
                weightPartial[j + 1] += weightPartial[j]
                weightPartial[j] = 0
            }
        }
        var total: T = 0, totalWeight: T = 0
        for v in partial { total += v }
        for v in weightPartial { totalWeight += v }
        if reduction == .mean { total /= totalWeight }
        return (Tensor(shape: [], scalars: [total.doubleValue], dtype: x.dtype), totalWeight.doubleValue)
    }
}
