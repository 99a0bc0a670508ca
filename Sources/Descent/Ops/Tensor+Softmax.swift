// Softmax and log-softmax along a dimension, computed stably (the maximum is subtracted
// first), each one primitive with its own gradient as in PyTorch.

extension Tensor {
    /// `exp(x) / sum(exp(x))` along `dim` (`SoftmaxBackward0`), like `torch.softmax`.
    ///
    /// ```swift
    /// let probs = logits.softmax(dim: 1)
    /// ```
    public func softmax(dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let out = noGrad { () -> Tensor in
            // A 0-d tensor is its own dimension of one (softmax 1), an empty one stays empty.
            if x.rank == 0 { return Tensor.ones(like: x) }
            if x.scalarCount == 0 { return x.clone() }
            let shifted = x - x.max(dim: d, keepDim: true).values
            let e = shifted.exp()
            return e / e.sum(dim: d, keepDim: true)
        }
        return out._recorded("SoftmaxBackward0", x, savingOutput: true) { g, node in
            if g.rank == 0 || g.scalarCount == 0 { return (Tensor.zeros(like: g), nil) }
            let y = node.savedTensor(0)
            return (y * (g - (g * y).sum(dim: d, keepDim: true)), nil)
        }
    }

    /// `log(softmax(x))` along `dim`, without overflow for large logits
    /// (`LogSoftmaxBackward0`), like `torch.log_softmax`.
    ///
    /// ```swift
    /// let logProbs = logits.logSoftmax(dim: 1)
    /// ```
    public func logSoftmax(dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let out = noGrad { () -> Tensor in
            if x.rank == 0 { return Tensor.zeros(like: x) }
            if x.scalarCount == 0 { return x.clone() }
            let shifted = x - x.max(dim: d, keepDim: true).values
            return shifted - shifted.exp().sum(dim: d, keepDim: true).log()
        }
        return out._recorded("LogSoftmaxBackward0", x, savingOutput: true) { g, node in
            if g.rank == 0 || g.scalarCount == 0 { return (Tensor.zeros(like: g), nil) }
            let y = node.savedTensor(0)
            return (g - y.exp() * g.sum(dim: d, keepDim: true), nil)
        }
    }
}
