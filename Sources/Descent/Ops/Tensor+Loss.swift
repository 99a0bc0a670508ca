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
    /// The negative log-likelihood of class indices `target` (`[n]`, int64) under these
    /// log-probabilities (`[n, classes]`), like `F.nll_loss` (`NllLossBackward0`).
    ///
    /// ```swift
    /// let loss = logits.logSoftmax(dim: 1).nllLoss(labels)
    /// ```
    public func nllLoss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        guard rank == 2, target.rank == 1 else {
            _fail("nll_loss expects a 2-D input and a 1-D target, got \(rank)D and \(target.rank)D")
        }
        guard target.shape[0] == shape[0] else {
            _fail("Expected input batch_size (\(shape[0])) to match target batch_size (\(target.shape[0])).")
        }
        let n = shape[0], classes = shape[1]
        let labels = target.scalars(as: Int.self)
        for t in labels where t < 0 || t >= classes { _fail("Target \(t) is out of bounds.") }
        let x = contiguous()
        let out: Tensor
        switch dtype {
        case .float32: out = Tensor._nllForward(x, labels, classes: classes, Float.self, reduction)
        case .float64: out = Tensor._nllForward(x, labels, classes: classes, Double.self, reduction)
        default: _fail("\"nll_loss_out_frame\" not implemented for '\(dtype._resultName)'")
        }
        let inputShape = shape, dtype = self.dtype
        return out._recorded("NllLossBackward0", self) { g, _ in
            // nll_loss_backward: one value, -(grad / total_weight) for a mean, in the element type.
            let grad = Tensor.zeros(inputShape, dtype: dtype)
            let gv = noGrad { () -> Tensor in
                let c = g.contiguous()
                return reduction == .mean ? -(c / n) : -c
            }
            for i in 0..<n {
                let v = gv._double(at: gv.storageOffset + (reduction == .none ? i : 0))
                grad._setRaw(i * classes + labels[i], v)
            }
            return (grad, nil)
        }
    }

    /// nll_loss_out_frame's sum: eight levels of partial sums in the element type, each level
    /// flushed into the next every 2^max(4, ceil(log2 n) / 8) rows, as ATen adds them.
    static func _nllForward<T: _FloatElement>(
        _ x: Tensor, _ labels: [Int], classes: Int, _: T.Type, _ reduction: Reduction
    ) -> Tensor {
        let p = x.pointer(T.self), n = labels.count
        if reduction == .none {
            return Tensor(shape: [n], scalars: (0..<n).map { -p[$0 * classes + labels[$0]].doubleValue }, dtype: x.dtype)
        }
        let levels = 8
        var ceilLog2 = 0
        while (1 << ceilLog2) < n { ceilLog2 += 1 }
        let power = Swift.max(4, ceilLog2 / levels)
        let mask = (1 << power) - 1
        var partial = [T](repeating: 0, count: levels)
        for b in 0..<n {
            partial[0] -= p[b * classes + labels[b]]
            for j in 0..<(levels - 1) {
                if b & (mask << (j * power)) != 0 { break }
                partial[j + 1] += partial[j]
                partial[j] = 0
            }
        }
        var total: T = 0
        for v in partial { total += v }
        if reduction == .mean { total /= T(fromDouble: Double(n)) }
        return Tensor(shape: [], scalars: [total.doubleValue], dtype: x.dtype)
    }
}
