// Softmax and log-softmax along a dimension, computed stably (the maximum is subtracted
// first), each one primitive with its own gradient as in PyTorch.

extension Tensor {
    /// `exp(x) / sum(exp(x))` along `dim` (`SoftmaxBackward0`), like `torch.softmax`.
    ///
    /// ```swift
    /// let probs = logits.softmax(dim: 1)
    /// ```
    public func softmax(dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: rank)
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let out = noGrad {
            let shifted = x - x.max(dim: d, keepDim: true).values
            let e = shifted.exp()
            return e / e.sum(dim: d, keepDim: true)
        }
        return out._recorded("SoftmaxBackward0", x, savingOutput: true) { g, node in
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
        let d = Shape.wrap(dim, rank: rank)
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let out = noGrad {
            let shifted = x - x.max(dim: d, keepDim: true).values
            return shifted - shifted.exp().sum(dim: d, keepDim: true).log()
        }
        return out._recorded("LogSoftmaxBackward0", x, savingOutput: true) { g, node in
            let y = node.savedTensor(0)
            return (g - y.exp() * g.sum(dim: d, keepDim: true), nil)
        }
    }
}
