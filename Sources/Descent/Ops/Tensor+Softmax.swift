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

    /// `x @ weight^T + bias` for a matrix `x`, the forward of `nn.Linear` (`AddmmBackward0`, as
    /// PyTorch names it). The weight's gradient is computed as `g^T @ x`, already in the
    /// weight's layout, so nothing is transposed or copied on the way back.
    ///
    /// ```swift
    /// let y = Tensor.linear(x, weight: w, bias: b)   // [n, in] -> [n, out]
    /// ```
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        guard x.rank == 2 else {
            let out = x.matmul(weight.t())
            return bias.map { out + $0 } ?? out
        }
        if weight.rank != 2 || x.shape[1] != weight.shape[1] {
            _fail("mat1 and mat2 shapes cannot be multiplied (\(x.shape[0])x\(x.shape[1]) and \(weight.shape.last ?? 0)x\(weight.shape.first ?? 0))")
        }
        let product = _mm(x, weight, transposeB: true)
        guard let bias else {
            return product._recorded("MmBackward0", x, weight, saving: x, weight) { g, node in
                (node.needsInputGrad(0) ? Tensor._mm(g, node.savedTensor(1)) : nil,
                 node.needsInputGrad(1) ? Tensor._mm(g, node.savedTensor(0), transposeA: true) : nil)
            }
        }
        let out = noGrad { product + bias }
        return out._recorded("AddmmBackward0", [bias, x, weight], saving: [x, weight]) { g, node in
            [g,
             node.needsInputGrad(1) ? Tensor._mm(g, node.savedTensor(1)) : nil,
             node.needsInputGrad(2) ? Tensor._mm(g, node.savedTensor(0), transposeA: true) : nil]
        }
    }

    /// `bias + a @ b` in one primitive (`AddmmBackward0`), as `torch.addmm` and `nn.Linear`
    /// compute it.
    ///
    /// ```swift
    /// let y = Tensor.addmm(b, x, w.t())
    /// ```
    public static func addmm(_ bias: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        if a.rank != 2 { _fail("self must be a matrix") }
        if b.rank != 2 { _fail("mat2 must be a matrix") }
        if a.shape[1] != b.shape[0] {
            _fail("mat1 and mat2 shapes cannot be multiplied (\(a.shape[0])x\(a.shape[1]) and \(b.shape[0])x\(b.shape[1]))")
        }
        let product = MatmulKernel.batched(a, b, batch: 0, m: a.shape[0], k: a.shape[1], n: b.shape[1])
        let out = noGrad { product + bias }
        return out._recorded("AddmmBackward0", [bias, a, b], saving: [a, b]) { g, node in
            [g,
             node.needsInputGrad(1) ? Tensor._mm(g, node.savedTensor(1), transposeB: true) : nil,
             node.needsInputGrad(2) ? Tensor._mm(node.savedTensor(0), g, transposeA: true) : nil]
        }
    }
}
