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
        if dtype != .float32 && dtype != .float64 { _fail("\"nll_loss_out_frame\" not implemented for '\(dtype._resultName)'") }
        // The labels and the class weights are read where they lie, by the forward kernel
        // itself (also when a compiled step replays it with new labels or new weights).
        let labels = target.contiguous()
        let weightValues = weight.map { w in noGrad { w.to(.float64).contiguous() } }
        let x = rows.contiguous()
        let out = Tensor(uninitializedShape: reduction == .none ? [n] : [], dtype: self.dtype)
        // The forward pass's class weights and total weight, which the gradient reads: a cell
        // both passes share, so that a replay's backward reads the replayed forward's.
        let totalWeight = _NLLTotalWeight()
        func forward(_ x: Tensor, _ labels: Tensor, _ weights: Tensor?, _ out: Tensor) {
            // Read as numbers by the kernel on every run, which a capture need not refuse.
            let weights = weights.map { w in _CaptureTape.suspended { w.scalars(as: Double.self) } }
            totalWeight.weights = weights
            totalWeight.value = x.dtype == .float32
                ? Tensor._nllForward(x, labels, classes: classes, weights, ignoreIndex, Float.self, reduction, into: out)
                : Tensor._nllForward(x, labels, classes: classes, weights, ignoreIndex, Double.self, reduction, into: out)
        }
        forward(x, labels, weightValues, out)
        if _CaptureTape.isActive {
            let (hx, hl, ho) = (_CaptureTape.handle(x), _CaptureTape.handle(labels), _CaptureTape.handle(out))
            let hw = weightValues.map(_CaptureTape.handle)
            _CaptureTape.record({ forward(hx, hl, hw, ho) }, writes: out, reads: [x, labels] + (weightValues.map { [$0] } ?? []))
        }
        // nll_loss_nd runs other ranks than 4 as a reshaped [N, C, d, 1] problem: an unreduced
        // loss comes back through a view (`ViewBackward0`).
        let viewedBack = reduction == .none && rank != 4 && rank > 2
        let result = reduction == .none && !viewedBack && out.shape != outShape ? out._fresh(shape: outShape) : out
        let inputShape = shape, inputRank = rank, dtype = self.dtype
        // Per row: the factor its gradient gets (0 when ignored), with the class it reads.
        func factor(_ t: Int) -> Double {
            t == ignoreIndex ? 0 : -(totalWeight.weights?[t] ?? 1) / (reduction == .mean ? totalWeight.value : 1)
        }
        /// `grad[i, label i] = factor · g` over zeroed `grad`.
        func scatter(_ labels: Tensor, _ g: Tensor, into grad: Tensor) {
            let pl = labels.pointer(Int64.self)
            func run<T: _FloatElement>(_: T.Type) {
                let pg = g.pointer(T.self), po = grad.pointer(T.self)
                for i in 0..<n {
                    let f = factor(Int(pl[i]))
                    if f != 0 { po[i * classes + Int(pl[i])] = T(f * pg[reduction == .none ? i : 0].doubleValue) }
                }
            }
            if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        let name: StaticString = inputRank > 2 ? "NllLoss2DBackward0" : "NllLossBackward0"
        let recorded = result._recorded(name, self) { g, _ in
            let grad = Tensor._linearBackward(g, "NllLossBackward0", {
                let grad = Tensor.zeros([n, classes], dtype: dtype)
                let gc = g.contiguous().to(dtype)
                scatter(labels, gc, into: grad)
                if _CaptureTape.isActive {
                    let (hl, hg, ho) = (_CaptureTape.handle(labels), _CaptureTape.handle(gc), _CaptureTape.handle(grad))
                    _CaptureTape.record({ scatter(hl, hg, into: ho) }, writes: grad, inPlace: true, reads: labels, gc)
                }
                return grad
            }, adjoint: { gg in
                let labels = labels.scalars(as: Int.self), factors = labels.map(factor)
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
                // The weights of the targets kept, summed: a unit inside a compiled step (the
                // selection's size follows the targets; the sum's does not). A unit has no
                // gradient, so weights that require one keep their graph (and the step eager).
                let keptWeight = { (w: Tensor, t: Tensor, ignored: Tensor) in w.gather(0, t.maskedSelect(ignored.logicalNot()).flatten()).sum() }
                let total = weight.requiresGrad ? keptWeight(weight, target, ignored)
                    : _CaptureTape.opaque([weight, target, ignored]) { t in [keptWeight(t[0]!, t[1]!, t[2]!)] }[0]
                smooth = smooth.sum() / total
            } else {
                smooth = smooth.sum() / ignored.logicalNot().sum().to(input.dtype)
            }
        }
        return nll * (1 - labelSmoothing) + smooth * (labelSmoothing / Double(classes))
    }

    /// nll_loss_out_frame's sums of losses and of weights: eight levels of partial sums in the
    /// element type, each level flushed into the next every 2^max(4, ceil(log2 n) / 8) rows,
    /// as ATen adds them.
    /// Writes the loss into `out` (`[n]` unreduced, else one value) and returns the total
    /// weight. Stops with PyTorch's message at a label out of bounds.
    static func _nllForward<T: _FloatElement>(
        _ x: Tensor, _ target: Tensor, classes: Int, _ weights: [Double]?, _ ignoreIndex: Int, _: T.Type, _ reduction: Reduction,
        into out: Tensor
    ) -> Double {
        let p = x.pointer(T.self), n = target.scalarCount, pt = target.pointer(Int64.self)
        for i in 0..<n where Int(pt[i]) != ignoreIndex && (pt[i] < 0 || pt[i] >= classes) { _fail("Target \(pt[i]) is out of bounds.") }
        let labels = UnsafeBufferPointer(start: pt, count: n).lazy.map(Int.init)
        let po = out.pointer(T.self)
        if reduction == .none {
            for i in 0..<n {
                let t = labels[i]
                let value: Double = t == ignoreIndex ? 0
                    : weights.map { -(p[i * classes + t] * T($0[t])).doubleValue } ?? -p[i * classes + t].doubleValue
                po[i] = T(value)
            }
            return 0
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
        po[0] = total
        return totalWeight.doubleValue
    }
}

/// The total weight an NLL loss's forward pass found, for its gradient.
final class _NLLTotalWeight: @unchecked Sendable {
    var value = 0.0
    var weights: [Double]?
}
