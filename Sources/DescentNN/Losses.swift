import Descent

extension Functional {
    /// Mean absolute error, like `F.l1_loss`.
    ///
    /// ```swift
    /// let loss = Functional.l1Loss(preds, targets)
    /// ```
    public static func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        reduce((input - target).abs(), reduction)
    }

    /// Huber loss, quadratic within `delta` and linear outside, like `F.huber_loss`
    /// (`HuberLossBackward0`).
    public static func huberLoss(_ input: Tensor, _ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        Tensor.huberLoss(input, target, delta: delta, reduction: reduction)
    }

    /// Smooth L1 loss, Huber divided by `beta`, like `F.smooth_l1_loss`
    /// (`SmoothL1LossBackward0`).
    public static func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Tensor {
        Tensor.smoothL1Loss(input, target, beta: beta, reduction: reduction)
    }

    /// Binary cross-entropy of probabilities, like `F.binary_cross_entropy`
    /// (`BinaryCrossEntropyBackward0`): the logarithms are clamped at -100, as PyTorch clamps
    /// them, so a probability of 0 or 1 gives a finite loss.
    public static func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        Tensor.binaryCrossEntropy(input, target, reduction: reduction)
    }

    /// Binary cross-entropy of logits, like `F.binary_cross_entropy_with_logits`
    /// (`BinaryCrossEntropyWithLogitsBackward0`), finite for any logit.
    public static func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        Tensor.binaryCrossEntropyWithLogits(input, target, reduction: reduction)
    }
}

/// Mean absolute error as a module, like `torch.nn.L1Loss`.
public struct L1Loss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// A loss that combines per-element losses by `reduction`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.l1Loss(input, target, reduction: reduction)
    }
}

/// Huber loss as a module, like `torch.nn.HuberLoss`.
public struct HuberLoss: Sendable {
    /// How per-element losses combine, and where the loss turns from quadratic to linear.
    public let reduction: Reduction, delta: Double
    /// A Huber loss with the given reduction and `delta`.
    public init(reduction: Reduction = .mean, delta: Double = 1) {
        self.reduction = reduction
        self.delta = delta
    }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.huberLoss(input, target, delta: delta, reduction: reduction)
    }
}

/// Smooth L1 loss as a module, like `torch.nn.SmoothL1Loss`.
public struct SmoothL1Loss: Sendable {
    /// How per-element losses combine, and the width of the quadratic zone.
    public let reduction: Reduction, beta: Double
    /// A smooth L1 loss with the given reduction and `beta`.
    public init(reduction: Reduction = .mean, beta: Double = 1) {
        self.reduction = reduction
        self.beta = beta
    }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.smoothL1Loss(input, target, beta: beta, reduction: reduction)
    }
}

/// Binary cross-entropy of probabilities as a module, like `torch.nn.BCELoss`.
public struct BCELoss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// A loss that combines per-element losses by `reduction`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.binaryCrossEntropy(input, target, reduction: reduction)
    }
}

/// Binary cross-entropy of logits as a module, like `torch.nn.BCEWithLogitsLoss`.
public struct BCEWithLogitsLoss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// A loss that combines per-element losses by `reduction`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.binaryCrossEntropyWithLogits(input, target, reduction: reduction)
    }
}

/// Negative log-likelihood of class indices as a module, like `torch.nn.NLLLoss`.
public struct NLLLoss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// A loss that combines per-element losses by `reduction`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of log-probabilities against class indices `target`.
    public func callAsFunction(_ logProbs: Tensor, _ target: Tensor) -> Tensor {
        Functional.nllLoss(logProbs, target, reduction: reduction)
    }
}
