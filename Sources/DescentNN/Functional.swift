import Descent

/// Functional forms of layers and losses, like `torch.nn.functional`.
///
/// ```swift
/// let loss = Functional.crossEntropy(logits, labels)
/// ```
public enum Functional {
    /// `x W^T + b`; a 2-D input with a bias is one `addmm`, as in PyTorch.
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        Tensor.linear(input, weight: weight, bias: bias)
    }

    static func reduce(_ losses: Tensor, _ reduction: Reduction) -> Tensor { Tensor._reduce(losses, reduction) }

    /// Mean squared error, like `F.mse_loss` (`MseLossBackward0`).
    ///
    /// ```swift
    /// let loss = Functional.mseLoss(preds, targets)
    /// ```
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        Tensor.mseLoss(input, target, reduction: reduction)
    }

    /// Negative log-likelihood of class indices given log-probabilities `[n, classes]` (or
    /// `[n, classes, d1, …]`), like `F.nll_loss` (`NllLossBackward0`).
    public static func nllLoss(_ logProbs: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                               reduction: Reduction = .mean) -> Tensor {
        logProbs.nllLoss(target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }

    /// Cross-entropy of logits `[n, classes]` (or `[n, classes, d1, …]`) and class indices or
    /// probabilities, like `F.cross_entropy`: a stable log-softmax followed by the negative
    /// log-likelihood, with `ignoreIndex`, class `weight` and `labelSmoothing`.
    ///
    /// ```swift
    /// let loss = Functional.crossEntropy(net(x), labels)
    /// ```
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                                    reduction: Reduction = .mean, labelSmoothing: Double = 0) -> Tensor {
        Tensor.crossEntropy(logits, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
    }

    /// `max(x, 0)`, like `F.relu`.
    public static func relu(_ input: Tensor) -> Tensor { input.relu() }

    /// The logistic function, like `F.sigmoid`.
    public static func sigmoid(_ input: Tensor) -> Tensor { input.sigmoid() }

    /// The hyperbolic tangent, like `F.tanh`.
    public static func tanh(_ input: Tensor) -> Tensor { input.tanh() }

    /// Softmax along `dim`, like `F.softmax`.
    public static func softmax(_ input: Tensor, dim: Int) -> Tensor { input.softmax(dim: dim) }

    /// Log-softmax along `dim`, like `F.log_softmax`.
    public static func logSoftmax(_ input: Tensor, dim: Int) -> Tensor { input.logSoftmax(dim: dim) }

    /// Flattens dimensions `startDim...endDim`, like `torch.flatten`.
    public static func flatten(_ input: Tensor, startDim: Int = 0, endDim: Int = -1) -> Tensor {
        input.flatten(start: startDim, end: endDim)
    }

    /// GELU, like `F.gelu`.
    public static func gelu(_ input: Tensor, approximateTanh: Bool = false) -> Tensor {
        input.gelu(approximateTanh: approximateTanh)
    }

    /// Dropout, like `F.dropout`: active only when `training`.
    public static func dropout(_ input: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
        training ? input.dropout(p: p) : input
    }
}

/// Mean squared error as a module, like `torch.nn.MSELoss`.
///
/// ```swift
/// let criterion = MSELoss()
/// let loss = criterion(preds, targets)
/// ```
public struct MSELoss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// A loss that combines per-element losses by `reduction`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        Functional.mseLoss(input, target, reduction: reduction)
    }
}

/// Cross-entropy over class indices as a module, like `torch.nn.CrossEntropyLoss`.
///
/// ```swift
/// let loss = CrossEntropyLoss()(logits, labels)
/// ```
public struct CrossEntropyLoss: Sendable {
    /// How per-element losses combine.
    public let reduction: Reduction
    /// Per-class weights, or `nil`.
    public let weight: Tensor?
    /// The target value that contributes nothing.
    public let ignoreIndex: Int
    /// How much of the target is mixed with the uniform distribution.
    public let labelSmoothing: Double
    /// A loss that combines per-element losses by `reduction`.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }
    /// The loss of `logits` against class indices or probabilities `target`.
    public func callAsFunction(_ logits: Tensor, _ target: Tensor) -> Tensor {
        Functional.crossEntropy(logits, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
    }
}
