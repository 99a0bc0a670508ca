#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// The losses PyTorch computes as one op with a backward of its own (`MseLossBackward0`,
// `HuberLossBackward0`, `SmoothL1LossBackward0`, `BinaryCrossEntropyBackward0`,
// `BinaryCrossEntropyWithLogitsBackward0`), with ATen's formulas in ATen's order of rounding
// (Loss.cpp, BinaryOpsKernel.cpp, PointwiseOpsKernel.cpp). `torch.nn.functional` calls them;
// so does `DescentNN`'s `Functional`.
//
// Several of ATen's backward kernels (`cpu_kernel_vec`) have a vector form and a scalar form
// that round differently: over contiguous operands the vector form takes blocks of two
// vectors (64 bytes) and the scalar form the rest; over other layouts, the scalar form takes
// everything. `_LossLoop` reproduces that split.

extension Tensor {
    /// Mean squared error, like `F.mse_loss` (`MseLossBackward0`).
    ///
    /// ```swift
    /// let loss = Tensor.mseLoss(preds, targets)
    /// ```
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        _warnIfSizesDiffer(input, target)
        let (a, b) = _promote(input, target)
        let losses = noGrad { () -> Tensor in
            let d = a - b
            return d * d
        }
        let out = noGrad { _reduce(losses, reduction) }
        let numel = Double(a.scalarCount)
        return out._recorded("MseLossBackward0", a, b, saving: a, b) { g, node in
            let a = node.savedTensor(0), b = node.savedTensor(1)
            // mse_loss_backward: norm * (input - target) * grad, norm = 2 / numel for a mean.
            let norm = reduction == .mean ? 2 / numel : 2
            let ga = node.needsInputGrad(0) ? noGrad { (a - b) * norm * g } : nil
            let gb = node.needsInputGrad(1) ? noGrad { (b - a) * norm * g } : nil
            return (ga, gb)
        }
    }

    /// Huber loss, quadratic within `delta` and linear outside, like `F.huber_loss`
    /// (`HuberLossBackward0`).
    ///
    /// ```swift
    /// let loss = Tensor.huberLoss(preds, targets, delta: 1)
    /// ```
    public static func huberLoss(_ input: Tensor, _ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        guard delta > 0 else { _fail("huber_loss does not support non-positive values for delta.") }
        _warnIfSizesDiffer(input, target)
        let (a, b) = _promote(input, target)
        let losses = _lossForward(a, b) { (x: Double, y: Double, float: Bool) in
            // Every step rounds in the element type (delta too), in both of ATen's forms.
            if float {
                let z = Swift.abs(Float(x) - Float(y)), d = Float(delta)
                return Double(z < d ? Float(0.5) * z * z : d * (z - Float(0.5) * d))
            }
            let z = Swift.abs(x - y)
            return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta)
        }
        let out = noGrad { _reduce(losses, reduction) }
        return out._recorded("HuberLossBackward0", a, b, saving: a, b) { g, node in
            let a = node.savedTensor(0), b = node.savedTensor(1)
            let norm = reduction == .mean ? 1 / Double(a.scalarCount) : 1
            func grad(_ x: Tensor, _ y: Tensor) -> Tensor {
                _LossLoop.run(x, y, g, vector: { i, t, go, float in
                    // norm * (|x| >= delta ? sign * delta : x) * grad
                    if float {
                        let v = Float(i) - Float(t), d = Float(delta)
                        let o: Float = Swift.abs(v) >= d ? (v > 0 ? d : -d) : v
                        return Double(Float(norm) * o * Float(go))
                    }
                    let v = i - t
                    let o = Swift.abs(v) >= delta ? (v > 0 ? delta : -delta) : v
                    return norm * o * go
                }, scalar: { i, t, go, float in
                    // x <= -delta: -norm * grad * delta, with delta a double; x >= delta:
                    // norm * grad * delta; else norm * x * grad.
                    if float {
                        let v = Float(i) - Float(t), n = Float(norm), gf = Float(go)
                        if Double(v) <= -delta { return Double(Float(Double(-n * gf) * delta)) }
                        if Double(v) >= delta { return Double(Float(Double(n * gf) * delta)) }
                        return Double(n * v * gf)
                    }
                    let v = i - t
                    if v <= -delta { return -norm * go * delta }
                    if v >= delta { return norm * go * delta }
                    return norm * v * go
                })
            }
            return (node.needsInputGrad(0) ? grad(a, b) : nil, node.needsInputGrad(1) ? grad(b, a) : nil)
        }
    }

    /// Smooth L1 loss, Huber divided by `beta`, like `F.smooth_l1_loss`
    /// (`SmoothL1LossBackward0`); `beta` 0 is the L1 loss, as in PyTorch.
    ///
    /// ```swift
    /// let loss = Tensor.smoothL1Loss(preds, targets, beta: 0.5)
    /// ```
    public static func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        guard beta >= 0 else { _fail("smooth_l1_loss does not support negative values for beta.") }
        if beta == 0 { return _reduce((input - target).abs(), reduction) }
        _warnIfSizesDiffer(input, target)
        let (a, b) = _promote(input, target)
        let losses = _lossForward(a, b) { (x: Double, y: Double, float: Bool) in
            if float {
                let z = Swift.abs(Float(x) - Float(y)), be = Float(beta)
                return Double(z < be ? Float(0.5) * z * z / be : z - Float(0.5) * be)
            }
            let z = Swift.abs(x - y)
            return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta
        }
        let out = noGrad { _reduce(losses, reduction) }
        return out._recorded("SmoothL1LossBackward0", a, b, saving: a, b) { g, node in
            let a = node.savedTensor(0), b = node.savedTensor(1)
            let norm = reduction == .mean ? 1 / Double(a.scalarCount) : 1
            func grad(_ x: Tensor, _ y: Tensor) -> Tensor {
                _LossLoop.run(x, y, g, vector: { i, t, go, float in
                    // norm * (|x| >= beta ? sign : x / beta) * grad
                    if float {
                        let v = Float(i) - Float(t), be = Float(beta)
                        let o: Float = Swift.abs(v) >= be ? (v > 0 ? 1 : -1) : v / be
                        return Double(Float(norm) * o * Float(go))
                    }
                    let v = i - t
                    let o = Swift.abs(v) >= beta ? (v > 0 ? 1 : -1) : v / beta
                    return norm * o * go
                }, scalar: { i, t, go, float in
                    // x <= -beta: -norm * grad; x >= beta: norm * grad; else
                    // norm * x * grad / beta, the division by the double beta.
                    if float {
                        let v = Float(i) - Float(t), n = Float(norm), gf = Float(go)
                        if Double(v) <= -beta { return Double(-n * gf) }
                        if Double(v) >= beta { return Double(n * gf) }
                        return Double(Float(Double(n * v * gf) / beta))
                    }
                    let v = i - t
                    if v <= -beta { return -norm * go }
                    if v >= beta { return norm * go }
                    return norm * v * go / beta
                })
            }
            return (node.needsInputGrad(0) ? grad(a, b) : nil, node.needsInputGrad(1) ? grad(b, a) : nil)
        }
    }

    /// Binary cross-entropy of probabilities, like `F.binary_cross_entropy`
    /// (`BinaryCrossEntropyBackward0`). Logarithms are clamped at -100, so a probability of 0
    /// or 1 gives a finite loss; `target` must have `input`'s shape.
    ///
    /// ```swift
    /// let loss = Tensor.binaryCrossEntropy(probs, labels)
    /// ```
    public static func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        guard target.shape == input.shape else {
            _fail("Using a target size (\(_torchSize(target.shape))) that is different to the input size (\(_torchSize(input.shape))) is deprecated. Please ensure they have the same size.")
        }
        let (x, t) = _promote(input, target)
        let losses = _lossForward(x, t) { (p: Double, y: Double, float: Bool) in
            if float {
                let pf = Float(p), yf = Float(y)
                guard pf >= 0 && pf <= 1 else { _fail("all elements of input should be between 0 and 1") }
                guard yf >= 0 && yf <= 1 else { _fail("all elements of target should be between 0 and 1") }
                let logOneMinus: Float = Swift.max(log1pf(-pf), -100)
                let logP: Float = Swift.max(logf(pf), -100)
                return Double((yf - 1) * logOneMinus - yf * logP)
            }
            guard p >= 0 && p <= 1 else { _fail("all elements of input should be between 0 and 1") }
            guard y >= 0 && y <= 1 else { _fail("all elements of target should be between 0 and 1") }
            let logOneMinus: Double = Swift.max(CMath.log1p(-p), -100)
            let logP: Double = Swift.max(CMath.log(p), -100)
            return (y - 1) * logOneMinus - y * logP
        }
        let out = noGrad { _reduce(losses, reduction) }
        let numel = x.scalarCount
        return out._recorded("BinaryCrossEntropyBackward0", x, t, saving: x, t) { g, node in
            let x = node.savedTensor(0), t = node.savedTensor(1)
            var gx: Tensor? = nil, gt: Tensor? = nil
            if node.needsInputGrad(0) {
                // grad * (x - y) / max((1 - x) x, 1e-12), then / numel for a mean; the
                // kernel has no vector form.
                let raw = _LossLoop.run(x, t, g, vectorized: false, vector: { _, _, _, _ in 0 }, scalar: { p, y, go, float in
                    if float {
                        let pf = Float(p)
                        let denominator: Float = Swift.max((1 - pf) * pf, 1e-12)
                        return Double(Float(go) * (pf - Float(y)) / denominator)
                    }
                    return go * (p - y) / Swift.max((1 - p) * p, 1e-12)
                })
                gx = reduction == .mean ? noGrad { raw / numel } : raw
            }
            if node.needsInputGrad(1) {
                // binary_cross_entropy_target_backward: -logit(x) * grad, / numel for a mean.
                let logit = _lossForward(x, x) { (p: Double, _: Double, float: Bool) in
                    float ? Double(logf(Float(p) / (1 - Float(p)))) : CMath.log(p / (1 - p))
                }
                let raw = noGrad { -logit * g }
                gt = reduction == .mean ? noGrad { raw / numel } : raw
            }
            return (gx, gt)
        }
    }

    /// Binary cross-entropy of logits, like `F.binary_cross_entropy_with_logits`
    /// (`BinaryCrossEntropyWithLogitsBackward0`): `(1 - y) x - log σ(x)`, finite for any logit.
    ///
    /// ```swift
    /// let loss = Tensor.binaryCrossEntropyWithLogits(logits, labels)
    /// ```
    public static func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        guard target.shape == input.shape else {
            _fail("Target size (\(_torchSize(target.shape))) must be the same as input size (\(_torchSize(input.shape)))")
        }
        let (x, t) = _promote(input, target)
        let losses = noGrad { () -> Tensor in
            // log_sigmoid: min(x, 0) - log1p(exp(-|x|)); loss = (1 - y) * x - log_sigmoid.
            let logSigmoid = _lossForward(x, x) { (v: Double, _: Double, float: Bool) in
                if float {
                    let f = Float(v)
                    return Double(Swift.min(f, 0) - log1pf(expf(-Swift.abs(f))))
                }
                return Swift.min(v, 0) - CMath.log1p(CMath.exp(-Swift.abs(v)))
            }
            return (1 - t) * x - logSigmoid
        }
        let out = noGrad { _reduce(losses, reduction) }
        let numel = x.scalarCount
        return out._recorded("BinaryCrossEntropyWithLogitsBackward0", x, t, saving: x, t) { g, node in
            let x = node.savedTensor(0), t = node.savedTensor(1)
            // (sigmoid(x) - y) * grad and -x * grad, each / numel for a mean.
            let gx = node.needsInputGrad(0) ? noGrad { (x.sigmoid() - t) * g } : nil
            let gt = node.needsInputGrad(1) ? noGrad { -x * g } : nil
            guard reduction == .mean else { return (gx, gt) }
            return noGrad { (gx.map { $0 / numel }, gt.map { $0 / numel }) }
        }
    }

    /// `apply_loss_reduction`, shared with `DescentNN`'s losses.
    package static func _reduce(_ losses: Tensor, _ reduction: Reduction) -> Tensor {
        switch reduction {
        case .none: losses
        case .mean: losses.mean()
        case .sum: losses.sum()
        }
    }

    private static func _warnIfSizesDiffer(_ input: Tensor, _ target: Tensor) {
        if input.shape != target.shape {
            _warnOnce("Using a target size (\(_torchSize(target.shape))) that is different to the input size (\(_torchSize(input.shape))). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.")
        }
    }

    /// A loss's elementwise forward over the broadcast operands (same dtype), outside autograd;
    /// `f` receives the elements as doubles and whether to compute in float.
    static func _lossForward(_ a: Tensor, _ b: Tensor, _ f: @escaping (Double, Double, Bool) -> Double) -> Tensor {
        let float = a.dtype == .float32
        switch a.dtype {
        case .float32: return Elementwise.zip(a, b, Float.self, Float.self, Float.self) { Float(f(Double($0), Double($1), float)) }
        case .float64: return Elementwise.zip(a, b, Double.self, Double.self, Double.self) { f($0, $1, float) }
        default: _fail("\"loss_cpu\" not implemented for '\(a.dtype._resultName)'")
        }
    }
}

/// ATen's `cpu_kernel_vec` over (input, target, grad_output) for the loss backward kernels:
/// the vector formula for whole blocks of two vectors when every operand is contiguous or a
/// single value, the scalar formula for the rest and for any other layout.
enum _LossLoop {
    static func run(
        _ input: Tensor, _ target: Tensor, _ grad: Tensor, vectorized: Bool = true,
        vector: (Double, Double, Double, Bool) -> Double, scalar: (Double, Double, Double, Bool) -> Double
    ) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(input.shape, target.shape), grad.shape)
        let float = input.dtype == .float32
        let operands = [input, target, grad]
        // The vector form runs when each operand is the full shape and contiguous, or one
        // value (ATen checks one broadcast operand at a time; two single values go scalar).
        var singles = 0, inline = true
        for t in operands {
            if t._isSingleValue && t.scalarCount == 1 && Shape.count(shape) > 1 { singles += 1; continue }
            if !(t.isContiguous && t.shape == shape) { inline = false }
        }
        let useVector = vectorized && inline && singles <= 1
        let i = noGrad { input.expand(shape).contiguous().to(.float64) }
        let t = noGrad { target.expand(shape).contiguous().to(.float64) }
        let g = noGrad { grad.to(input.dtype).expand(shape).contiguous().to(.float64) }
        let n = Shape.count(shape)
        let block = 64 / input.dtype.itemSize
        let vectorEnd = useVector ? n - n % block : 0
        let out = Tensor(uninitializedShape: shape, dtype: .float64)
        let pi = i.pointer(Double.self), pt = t.pointer(Double.self), pg = g.pointer(Double.self), po = out.pointer(Double.self)
        for k in 0..<vectorEnd { po[k] = vector(pi[k], pt[k], pg[k], float) }
        for k in vectorEnd..<n { po[k] = scalar(pi[k], pt[k], pg[k], float) }
        return noGrad { out.to(input.dtype) }
    }
}
