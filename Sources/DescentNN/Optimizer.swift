import Descent
import RealModule

/// Parameters that share hyper-parameters, like one entry of `optimizer.param_groups`.
///
/// ```swift
/// let opt = SGD([ParamGroup(backbone.parameters(), lr: 0.01), ParamGroup(head.parameters())], lr: 0.1)
/// ```
public struct ParamGroup {
    /// The parameters of the group.
    public var params: [Tensor]
    /// This group's learning rate; `nil` takes the optimizer's.
    public var lr: Double?
    /// This group's weight decay; `nil` takes the optimizer's.
    public var weightDecay: Double?

    /// A group with its own learning rate and weight decay (`nil` takes the optimizer's).
    public init(_ params: [Tensor], lr: Double? = nil, weightDecay: Double? = nil) {
        self.params = params
        self.lr = lr
        self.weightDecay = weightDecay
    }
}

/// What every optimizer shares: parameter groups, `zeroGrad`, `step`.
open class Optimizer {
    /// The parameter groups, with every hyper-parameter filled in.
    public var paramGroups: [ParamGroup]

    init(_ groups: [ParamGroup], lr: Double, weightDecay: Double) {
        paramGroups = groups.map { g in
            var g = g
            g.lr = g.lr ?? lr
            g.weightDecay = g.weightDecay ?? weightDecay
            return g
        }
    }

    /// Clears the gradients of every parameter: `nil` by default, as in PyTorch 2.
    ///
    /// ```swift
    /// optimizer.zeroGrad()
    /// ```
    public func zeroGrad(setToNil: Bool = true) {
        for group in paramGroups {
            for p in group.params {
                if setToNil { p.grad = nil } else { noGrad { p.grad?.zero() } }
            }
        }
    }

    /// Updates every parameter that has a gradient.
    open func step() { fatalError("\(type(of: self)) must override step()") }

    /// Runs a built-in optimizer's update. In a step being compiled, the update runs as it
    /// is and the plan calls `step()` again on every replay, rather than keeping its kernels:
    /// it reads its step count and learning rate as they are then (a scheduler's), and makes
    /// its state on the first call.
    func recordedWhole(_ body: () -> Void) {
        guard _CaptureTape.isActive else { return body() }
        _CaptureTape.suspended(body)
        _CaptureTape.recordCall { [unowned self] in self.step() }
    }

    /// The loop every `step()` shares: `update` runs under `noGrad` for each parameter with a
    /// gradient, with its state key and its group's learning rate and weight decay.
    func forEachGradient(_ update: (_ param: Tensor, _ grad: Tensor, _ id: ObjectIdentifier, _ lr: Double, _ weightDecay: Double) -> Void) {
        noGrad {
            for group in paramGroups {
                let lr = group.lr!, decay = group.weightDecay!
                for p in group.params {
                    guard let g = p.grad else { continue }
                    update(p, g, ObjectIdentifier(p), lr, decay)
                }
            }
        }
    }

    /// Per-parameter state (momentum buffers, moments), keyed by the parameter's identity.
    var state: [ObjectIdentifier: [String: Tensor]] = [:]
    /// Steps taken per parameter, for optimizers whose update depends on it.
    var stepCounts: [ObjectIdentifier: Int] = [:]

    /// Every parameter, group after group: the numbering state dicts use.
    var orderedParameters: [Tensor] { paramGroups.flatMap(\.params) }

    /// The optimizer's state by parameter number, and each group's hyper-parameters, like
    /// `optimizer.state_dict()`. Tensors are copies.
    ///
    /// ```swift
    /// let checkpoint = optimizer.stateDict()
    /// ```
    open func stateDict() -> OptimizerStateDict {
        var entries: [Int: [String: Tensor]] = [:]
        for (i, p) in orderedParameters.enumerated() {
            let id = ObjectIdentifier(p)
            var entry = (state[id] ?? [:]).mapValues { t in noGrad { t.clone() } }
            if let steps = stepCounts[id] { entry["step"] = Tensor(Double(steps)) }
            if !entry.isEmpty { entries[i] = entry }
        }
        let groups = paramGroups.map { ["lr": $0.lr!, "weight_decay": $0.weightDecay!, "params": Double($0.params.count)] }
        return OptimizerStateDict(state: entries, paramGroups: groups)
    }

    /// Restores state saved by ``stateDict()`` from an optimizer over parameters of the same
    /// shapes, like `optimizer.load_state_dict`.
    ///
    /// - Throws: ``OptimizerStateError`` when the groups or shapes do not match; nothing
    ///   changes then.
    open func loadStateDict(_ dict: OptimizerStateDict) throws {
        guard dict.paramGroups.count == paramGroups.count else {
            throw OptimizerStateError("loaded state dict has a different number of parameter groups")
        }
        for (saved, group) in zip(dict.paramGroups, paramGroups) where Int(saved["params"] ?? -1) != group.params.count {
            throw OptimizerStateError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        }
        let params = orderedParameters
        for (i, entry) in dict.state {
            guard i >= 0 && i < params.count else { throw OptimizerStateError("state for parameter \(i), which does not exist") }
            for (key, t) in entry where key != "step" && t.shape != params[i].shape {
                throw OptimizerStateError("state \"\(key)\" of parameter \(i) has shape \(t.shape), the parameter \(params[i].shape)")
            }
        }
        state = [:]
        stepCounts = [:]
        for (i, entry) in dict.state {
            let id = ObjectIdentifier(params[i])
            var tensors = entry.mapValues { t in noGrad { t.clone() } }
            if let step = tensors.removeValue(forKey: "step") { stepCounts[id] = Int(step.item()) }
            if !tensors.isEmpty { state[id] = tensors }
        }
        for (i, saved) in dict.paramGroups.enumerated() {
            paramGroups[i].lr = saved["lr"] ?? paramGroups[i].lr
            paramGroups[i].weightDecay = saved["weight_decay"] ?? paramGroups[i].weightDecay
        }
    }
}

/// An optimizer's state: tensors by parameter number, and hyper-parameters per group.
public struct OptimizerStateDict: Sendable {
    /// A state dict of the given parts.
    public init(state: [Int: [String: Tensor]], paramGroups: [[String: Double]]) {
        self.state = state
        self.paramGroups = paramGroups
    }
    /// Tensors by parameter number (group after group), such as `exp_avg` and `step`.
    public var state: [Int: [String: Tensor]]
    /// Each group's `lr`, `weight_decay` and parameter count.
    public var paramGroups: [[String: Double]]
}

/// Why an optimizer state dict could not be loaded.
public struct OptimizerStateError: Error, CustomStringConvertible {
    /// What does not match.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
/// computed as `torch.optim.SGD` computes it.
///
/// ```swift
/// let opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9, nesterov: true)
/// loss.backward()
/// opt.step()
/// opt.zeroGrad()
/// ```
public final class SGD: Optimizer {
    /// The momentum factor, its dampening, and whether momentum is Nesterov's.
    public let momentum: Double, dampening: Double, nesterov: Bool

    /// An optimizer over one group of parameters.
    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        self.init([ParamGroup(parameters)], lr: lr, momentum: momentum, dampening: dampening,
                  weightDecay: weightDecay, nesterov: nesterov)
    }

    /// An optimizer over parameter groups, each with its own learning rate and weight decay.
    public init(
        _ groups: [ParamGroup], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        if nesterov && (momentum <= 0 || dampening != 0) {
            fatalError("Nesterov momentum requires a momentum and zero dampening")
        }
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        super.init(groups, lr: lr, weightDecay: weightDecay)
    }

    public override func step() {
        recordedWhole {
            forEachGradient { p, grad, id, lr, decay in
                var g = grad
                let existing = state[id]?["momentum_buffer"]
                let buffer = momentum == 0 ? nil : existing ?? Tensor.zeros(like: p)
                if _FusedOptimizers.sgdStep(
                    param: p, grad: g, momentumBuffer: buffer, initializeBuffer: existing == nil, lr: lr,
                    momentum: momentum, dampening: dampening, weightDecay: decay, nesterov: nesterov
                ) {
                    if let buffer, existing == nil { state[id] = ["momentum_buffer": buffer] }
                    return
                }
                if decay != 0 { g = g + p * decay }
                if momentum != 0 {
                    if let buf = state[id]?["momentum_buffer"] {
                        buf *= momentum
                        buf += g * (1 - dampening)
                        g = nesterov ? g + buf * momentum : buf
                    } else {
                        let buf = g.clone()
                        state[id] = ["momentum_buffer": buf]
                        g = nesterov ? g + buf * momentum : buf
                    }
                }
                p -= g * lr
            }
        }
    }
}

/// Adam and AMSGrad, computed as `torch.optim.Adam` computes them.
///
/// ```swift
/// let opt = Adam(net.parameters(), lr: 1e-3)
/// ```
public final class Adam: Optimizer {
    /// The moment decay rates, the denominator's epsilon, and whether AMSGrad is used.
    public let beta1: Double, beta2: Double, eps: Double, amsgrad: Bool

    /// An optimizer over one group of parameters.
    public convenience init(
        _ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, amsgrad: Bool = false
    ) {
        self.init([ParamGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// An optimizer over parameter groups, each with its own learning rate and weight decay.
    public init(
        _ groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, amsgrad: Bool = false
    ) {
        beta1 = betas.0
        beta2 = betas.1
        self.eps = eps
        self.amsgrad = amsgrad
        super.init(groups, lr: lr, weightDecay: weightDecay)
    }

    public override func step() {
        recordedWhole {
            forEachGradient { p, grad, id, lr, decay in
                var g = grad
                if state[id] == nil {
                    state[id] = ["exp_avg": Tensor.zeros(like: p), "exp_avg_sq": Tensor.zeros(like: p)]
                    if amsgrad { state[id]!["max_exp_avg_sq"] = Tensor.zeros(like: p) }
                }
                let t = (stepCounts[id] ?? 0) + 1
                stepCounts[id] = t
                let correction1 = 1 - Double.pow(beta1, Double(t))
                let correction2 = 1 - Double.pow(beta2, Double(t))
                if _FusedOptimizers.adamStep(
                    param: p, grad: g, expAvg: state[id]!["exp_avg"]!, expAvgSq: state[id]!["exp_avg_sq"]!,
                    maxExpAvgSq: state[id]!["max_exp_avg_sq"], beta1: beta1, beta2: beta2, eps: eps,
                    weightDecay: decay, stepSize: lr / correction1, correction2Sqrt: Double.pow(correction2, 0.5)
                ) { return }
                if decay != 0 { g = g + p * decay }
                let m = state[id]!["exp_avg"]!, v = state[id]!["exp_avg_sq"]!
                // exp_avg.lerp_(grad, 1 - beta1): self + w * (end - self) for w < 0.5.
                m += (g - m) * (1 - beta1)
                v *= beta2
                // addcmul_(grad, grad, value): (value * grad) * grad, in that order.
                v += g * (1 - beta2) * g
                let stepSize = lr / correction1
                var second = v
                if amsgrad {
                    let vmax = state[id]!["max_exp_avg_sq"]!
                    vmax.copy(from: Tensor.maximum(vmax, v))
                    second = vmax
                }
                let denom = second.sqrt() / Double.pow(correction2, 0.5) + eps
                p -= m / denom * stepSize
            }
        }
    }
}
