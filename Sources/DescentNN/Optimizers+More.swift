import Descent
import RealModule

/// Adam with decoupled weight decay, computed as `torch.optim.AdamW` computes it: the
/// parameter shrinks by `lr * weightDecay` before the Adam step.
///
/// ```swift
/// let opt = AdamW(model.parameters(), lr: 1e-3, weightDecay: 1e-2)
/// ```
public final class AdamW: Optimizer {
    private let adam: Adam

    /// An optimizer over one group of parameters.
    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) {
        self.init([ParamGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// AdamW over parameter groups, each with its own learning rate and weight decay.
    public init(
        _ groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) {
        adam = Adam(groups.map { ParamGroup($0.params, lr: $0.lr, weightDecay: 0) }, lr: lr, betas: betas, eps: eps,
                    weightDecay: 0, amsgrad: amsgrad)
        super.init(groups, lr: lr, weightDecay: weightDecay)
    }

    public override func stateDict() -> OptimizerStateDict {
        var dict = adam.stateDict()
        dict.paramGroups = zip(dict.paramGroups, paramGroups).map { saved, group in
            var g = saved
            g["weight_decay"] = group.weightDecay!
            return g
        }
        return dict
    }

    public override func loadStateDict(_ dict: OptimizerStateDict) throws {
        var inner = dict
        inner.paramGroups = dict.paramGroups.map { var g = $0; g["weight_decay"] = 0; return g }
        try adam.loadStateDict(inner)
        for (i, saved) in dict.paramGroups.enumerated() {
            paramGroups[i].lr = saved["lr"] ?? paramGroups[i].lr
            paramGroups[i].weightDecay = saved["weight_decay"] ?? paramGroups[i].weightDecay
        }
    }

    public override func step() {
        recordedWhole {
            noGrad {
                for (i, group) in paramGroups.enumerated() {
                    for p in group.params where p.grad != nil { p *= 1 - group.lr! * group.weightDecay! }
                    adam.paramGroups[i].lr = group.lr
                }
            }
            adam.step()
        }
    }
}

/// RMSprop with optional momentum and centring, computed as `torch.optim.RMSprop` computes it.
///
/// ```swift
/// let opt = RMSprop(model.parameters(), lr: 1e-2, momentum: 0.9)
/// ```
public final class RMSprop: Optimizer {
    /// The square-average decay, epsilon, momentum, and whether the variance is centred.
    public let alpha: Double, eps: Double, momentum: Double, centered: Bool

    /// An optimizer over one group of parameters.
    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
        weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
    ) {
        self.init([ParamGroup(parameters)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay,
                  momentum: momentum, centered: centered)
    }

    /// RMSprop over parameter groups, each with its own learning rate and weight decay.
    public init(
        _ groups: [ParamGroup], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
        weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
    ) {
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.centered = centered
        super.init(groups, lr: lr, weightDecay: weightDecay)
    }

    public override func step() {
        recordedWhole {
            forEachGradient { p, grad, id, lr, decay in
                var g = grad
                if state[id] == nil {
                    var s = ["square_avg": Tensor.zeros(like: p)]
                    if momentum > 0 { s["momentum_buffer"] = Tensor.zeros(like: p) }
                    if centered { s["grad_avg"] = Tensor.zeros(like: p) }
                    state[id] = s
                }
                let s = state[id]!
                if decay != 0 { g = g + p * decay }
                let squareAvg = s["square_avg"]!
                squareAvg *= alpha
                squareAvg += g * (1 - alpha) * g
                var avg: Tensor
                if centered {
                    let gradAvg = s["grad_avg"]!
                    gradAvg += (g - gradAvg) * (1 - alpha)
                    avg = (squareAvg - gradAvg * gradAvg).sqrt()
                } else {
                    avg = squareAvg.sqrt()
                }
                avg = avg + eps
                if momentum > 0 {
                    let buf = s["momentum_buffer"]!
                    buf *= momentum
                    buf += g / avg
                    p -= buf * lr
                } else {
                    p -= g / avg * lr
                }
            }
        }
    }
}

/// Adagrad, computed as `torch.optim.Adagrad` computes it.
///
/// ```swift
/// let opt = Adagrad(model.parameters(), lr: 1e-2)
/// ```
public final class Adagrad: Optimizer {
    /// The learning-rate decay, epsilon and initial accumulator value.
    public let lrDecay: Double, eps: Double, initialAccumulatorValue: Double
    /// An optimizer over one group of parameters.
    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
        initialAccumulatorValue: Double = 0, eps: Double = 1e-10
    ) {
        self.init([ParamGroup(parameters)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps)
    }

    /// Adagrad over parameter groups, each with its own learning rate and weight decay.
    public init(
        _ groups: [ParamGroup], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
        initialAccumulatorValue: Double = 0, eps: Double = 1e-10
    ) {
        self.lrDecay = lrDecay
        self.eps = eps
        self.initialAccumulatorValue = initialAccumulatorValue
        super.init(groups, lr: lr, weightDecay: weightDecay)
        for p in groups.flatMap(\.params) {
            state[ObjectIdentifier(p)] = ["sum": Tensor.full(like: p, initialAccumulatorValue)]
        }
    }

    public override func step() {
        recordedWhole {
            forEachGradient { p, grad, id, lr, decay in
                var g = grad
                let step = (stepCounts[id] ?? 0) + 1
                stepCounts[id] = step
                if decay != 0 { g = g + p * decay }
                let clr = lr / (1 + Double(step - 1) * lrDecay)
                let sum = state[id]!["sum"]!
                sum += g * 1.0 * g
                let std = sum.sqrt() + eps
                p -= g / std * clr
            }
        }
    }
}

/// Scales all gradients together so that their joint 2-norm is at most `maxNorm`, like
/// `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
///
/// ```swift
/// loss.backward()
/// clipGradNorm(model.parameters(), maxNorm: 1.0)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    // In a step being compiled, the whole clipping runs again on every replay (it reads the
    // norm back to decide): its kernels are not recorded one by one.
    guard !_CaptureTape.isActive else {
        _CaptureTape.recordCall { _ = clipGradNorm(parameters, maxNorm: maxNorm) }
        return _CaptureTape.suspended { clipGradNorm(parameters, maxNorm: maxNorm) }
    }
    let grads = parameters.compactMap(\.grad)
    guard !grads.isEmpty else { return 0 }
    let total = noGrad {
        grads.map { g -> Double in
            let n = (g * g).sum().item().squareRoot()
            return n * n
        }.reduce(0, +).squareRoot()
    }
    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 { noGrad { for g in grads { g *= coefficient } } }
    return total
}

/// Clamps every gradient element into `[-clipValue, clipValue]`, like
/// `torch.nn.utils.clip_grad_value_`.
///
/// ```swift
/// clipGradValue(model.parameters(), clipValue: 0.5)
/// ```
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    noGrad {
        for g in parameters.compactMap(\.grad) { g.copy(from: g.clamp(min: -clipValue, max: clipValue)) }
    }
}
