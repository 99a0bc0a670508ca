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
            // A 0-d tensor is a dimension of one (1, or NaN from NaN or infinity); an empty
            // one stays empty.
            if x.rank == 0 { return x.reshape([1]).softmax(dim: 0)._fresh(shape: []) }
            if x.scalarCount == 0 { return x.clone() }
            // ATen's kernel runs on `input.contiguous()`: the result is contiguous, and its
            // sums add in that layout's order, whatever the input's layout.
            let x = x.contiguous()
            let shifted = x - x.max(dim: d, keepDim: true).values
            let e = shifted.exp()
            return e / e.sum(dim: d, keepDim: true)
        }
        return out._recorded("SoftmaxBackward0", x, savingOutput: true) { g, node in
            if g.scalarCount == 0 { return (Tensor.zeros(like: g), nil) }
            // `_softmax_backward_data` works on contiguous tensors too.
            let y = node.savedTensor(0), g = g.contiguous()
            if g.rank == 0 {
                let y1 = y.reshape([1]), g1 = g.reshape([1])
                return ((y1 * (g1 - (g1 * y1).sum(dim: 0, keepDim: true))).reshape([]), nil)
            }
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
            if x.rank == 0 { return x.reshape([1]).logSoftmax(dim: 0)._fresh(shape: []) }
            if x.scalarCount == 0 { return x.clone() }
            let x = x.contiguous()   // as in `softmax(dim:)`
            let shifted = x - x.max(dim: d, keepDim: true).values
            return shifted - shifted.exp().sum(dim: d, keepDim: true).log()
        }
        return out._recorded("LogSoftmaxBackward0", x, savingOutput: true) { g, node in
            if g.scalarCount == 0 { return (Tensor.zeros(like: g), nil) }
            // `_softmax_backward_data` works on contiguous tensors too.
            let y = node.savedTensor(0), g = g.contiguous()
            if g.rank == 0 { return (g - y.exp() * g, nil) }
            return (g - y.exp() * g.sum(dim: d, keepDim: true), nil)
        }
    }
}
