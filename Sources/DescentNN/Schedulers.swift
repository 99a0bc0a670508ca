import Descent
import RealModule

/// Changes an optimizer's learning rates as epochs pass, like `torch.optim.lr_scheduler`.
///
/// Call ``step()`` once per epoch after `optimizer.step()`. Each scheduler updates the rates
/// with PyTorch's own recursive formulas, so the rates match PyTorch's to the last bit.
///
/// ```swift
/// let scheduler = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<100 {
///     train(epoch)
///     scheduler.step()
/// }
/// ```
open class LRScheduler {
    /// The optimizer whose rates change.
    public let optimizer: Optimizer
    /// The learning rates the optimizer started with.
    public let baseLRs: [Double]
    /// The number of `step()` calls so far (PyTorch's `last_epoch`).
    public private(set) var lastEpoch = 0

    init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        baseLRs = optimizer.paramGroups.map { $0.lr! }
        // PyTorch's constructor takes a first step that sets epoch 0's rates.
        let initial = rates(epoch: 0)
        for (i, lr) in initial.enumerated() { optimizer.paramGroups[i].lr = lr }
    }

    /// The rates as last set.
    public var lastLRs: [Double] { optimizer.paramGroups.map { $0.lr! } }

    /// Advances one epoch and sets the new rates.
    public func step() {
        lastEpoch += 1
        let next = rates(epoch: lastEpoch)
        for (i, lr) in next.enumerated() { optimizer.paramGroups[i].lr = lr }
    }

    /// The rates for `epoch`, from the current ones (`get_lr`).
    open func rates(epoch: Int) -> [Double] { lastLRs }
}

/// Multiplies the rate by `gamma` every `stepSize` epochs, like `StepLR`.
public final class StepLR: LRScheduler {
    /// Epochs between cuts, and the factor.
    public let stepSize: Int, gamma: Double
    /// A scheduler for `optimizer`.
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func rates(epoch: Int) -> [Double] {
        if epoch == 0 || epoch % stepSize != 0 { return lastLRs }
        return lastLRs.map { $0 * gamma }
    }
}

/// Multiplies the rate by `gamma` at each milestone epoch, like `MultiStepLR`.
public final class MultiStepLR: LRScheduler {
    /// Epochs at which the rate is cut, and the factor.
    public let milestones: [Int], gamma: Double
    /// A scheduler for `optimizer`.
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func rates(epoch: Int) -> [Double] {
        let hits = milestones.filter { $0 == epoch }.count
        if hits == 0 { return lastLRs }
        return lastLRs.map { $0 * Double.pow(gamma, Double(hits)) }
    }
}

/// Multiplies the rate by `gamma` every epoch, like `ExponentialLR`.
public final class ExponentialLR: LRScheduler {
    /// The factor applied every epoch.
    public let gamma: Double
    /// A scheduler for `optimizer`.
    public init(_ optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func rates(epoch: Int) -> [Double] {
        epoch == 0 ? lastLRs : lastLRs.map { $0 * gamma }
    }
}

/// Cosine annealing from the base rate to `etaMin` over `tMax` epochs, like
/// `CosineAnnealingLR` (its recursive form).
public final class CosineAnnealingLR: LRScheduler {
    /// Epochs of half a cosine period, and the lowest rate.
    public let tMax: Int, etaMin: Double
    /// A scheduler for `optimizer`.
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0) {
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer)
    }
    public override func rates(epoch: Int) -> [Double] {
        if epoch == 0 { return lastLRs }
        let t = Double(tMax)
        if (epoch - 1 - tMax) % (2 * tMax) == 0 {
            return zip(lastLRs, baseLRs).map { lr, base in
                lr + (base - etaMin) * (1 - Double.cos(Double.pi / t)) / 2
            }
        }
        return lastLRs.map { lr in
            (1 + Double.cos(Double.pi * Double(epoch) / t)) / (1 + Double.cos(Double.pi * Double(epoch - 1) / t))
                * (lr - etaMin) + etaMin
        }
    }
}

/// A linear ramp of the rate's factor from `startFactor` to `endFactor` over `totalIters`
/// epochs, like `LinearLR`.
public final class LinearLR: LRScheduler {
    /// The factors at the start and end of the ramp, and its length in epochs.
    public let startFactor: Double, endFactor: Double, totalIters: Int
    /// A scheduler for `optimizer`.
    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) {
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer)
    }
    public override func rates(epoch: Int) -> [Double] {
        if epoch == 0 { return lastLRs.map { $0 * startFactor } }
        if epoch > totalIters { return lastLRs }
        let ratio = 1.0 + (endFactor - startFactor)
            / (Double(totalIters) * startFactor + Double(epoch - 1) * (endFactor - startFactor))
        return lastLRs.map { $0 * ratio }
    }
}

/// Cuts the rate by `factor` when a metric stops improving for `patience` epochs, like
/// `ReduceLROnPlateau` (mode "min", relative threshold).
///
/// ```swift
/// let plateau = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 3)
/// plateau.step(validationLoss)
/// ```
public final class ReduceLROnPlateau {
    /// The optimizer whose rates change.
    public let optimizer: Optimizer
    /// The cut factor, epochs to wait, improvement threshold, cooldown, lowest rate and smallest change.
    public let factor: Double, patience: Int, threshold: Double, cooldown: Int, minLR: Double, eps: Double
    private var best = Double.infinity
    private var badEpochs = 0
    private var cooldownLeft = 0

    /// Watches the metric passed to `step(_:)` and cuts the rates of `optimizer`.
    public init(
        _ optimizer: Optimizer, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
        cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8
    ) {
        self.optimizer = optimizer
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minLR = minLR
        self.eps = eps
    }

    /// Records this epoch's metric and lowers the rates if it has not improved for long enough.
    public func step(_ metric: Double) {
        if metric < best * (1 - threshold) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            for i in optimizer.paramGroups.indices {
                let old = optimizer.paramGroups[i].lr!
                let new = Swift.max(old * factor, minLR)
                if old - new > eps { optimizer.paramGroups[i].lr = new }
            }
            cooldownLeft = cooldown
            badEpochs = 0
        }
    }
}
