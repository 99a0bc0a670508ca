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
        let picked = (0..<n).map { -x._double(at: x.storageOffset + $0 * classes + labels[$0]) }
        let out: Tensor
        switch reduction {
        case .none: out = Tensor(shape: [n], scalars: picked, dtype: dtype)
        case .sum: out = Tensor(shape: [], scalars: [picked.reduce(0, +)], dtype: dtype)
        case .mean: out = Tensor(shape: [], scalars: [picked.reduce(0, +) / Double(n)], dtype: dtype)
        }
        let inputShape = shape, dtype = self.dtype
        return out._recorded("NllLossBackward0", self) { g, _ in
            let grad = Tensor.zeros(inputShape, dtype: dtype)
            let gv = g.scalars(as: Double.self)
            for i in 0..<n {
                let scale: Double
                switch reduction {
                case .none: scale = gv[i]
                case .sum: scale = gv[0]
                case .mean: scale = gv[0] / Double(n)
                }
                grad._setRaw(i * classes + labels[i], -scale)
            }
            return (grad, nil)
        }
    }
}
