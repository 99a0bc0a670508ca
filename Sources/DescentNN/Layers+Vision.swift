import Descent

// Pooling, normalisation, dropout and resampling layers of vision models, each the module
// form of a `Tensor` op with PyTorch's constructor arguments.

/// Max pooling over `[N, C, L]`, like `torch.nn.MaxPool1d`.
///
/// ```swift
/// let pool = MaxPool1d(kernelSize: 2)
/// ```
public final class MaxPool1d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// Max pooling over `[N, C, H, W]`, like `torch.nn.MaxPool2d`; ``forwardWithIndices(_:)`` also
/// returns where each maximum was (`return_indices=True`), for ``MaxUnpool2d``.
///
/// ```swift
/// let pool = MaxPool2d(kernelSize: 2)
/// let y = pool(Tensor.randn(64, 6, 28, 28))   // [64, 6, 14, 14]
/// ```
public final class MaxPool2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: SpatialSize, stride: SpatialSize, padding: SpatialSize, dilation: SpatialSize, ceilMode: Bool
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0, dilation: SpatialSize = 1, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    /// The pooled values and each maximum's flat position in its plane.
    public func forwardWithIndices(_ input: Tensor) -> (values: Tensor, indices: Tensor) {
        Tensor.maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// Max pooling over `[N, C, D, H, W]`, like `torch.nn.MaxPool3d`.
public final class MaxPool3d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: SpatialSize, stride: SpatialSize, padding: SpatialSize, dilation: SpatialSize, ceilMode: Bool
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0, dilation: SpatialSize = 1, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.maxPool3d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// Puts pooled maxima back in place, like `torch.nn.MaxUnpool2d`.
///
/// ```swift
/// let (y, i) = MaxPool2d(kernelSize: 2).forwardWithIndices(x)
/// let back = MaxUnpool2d(kernelSize: 2).forward(y, indices: i)
/// ```
public final class MaxUnpool2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: SpatialSize, stride: SpatialSize, padding: SpatialSize
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
    }
    /// Unpools `input` with the indices max pooling returned.
    public func forward(_ input: Tensor, indices: Tensor, outputSize: [Int]? = nil) -> Tensor {
        Tensor.maxUnpool2d(input, indices: indices, kernelSize: kernelSize, stride: stride, padding: padding, outputSize: outputSize)
    }
}

/// Average pooling over `[N, C, L]`, like `torch.nn.AvgPool1d`.
public final class AvgPool1d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: Int, stride: Int, padding: Int, ceilMode: Bool, countIncludePad: Bool
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// Average pooling over `[N, C, H, W]`, like `torch.nn.AvgPool2d`.
///
/// ```swift
/// let pool = AvgPool2d(kernelSize: 2)
/// ```
public final class AvgPool2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: SpatialSize, stride: SpatialSize, padding: SpatialSize, ceilMode: Bool, countIncludePad: Bool
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let divisorOverride: Int?
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, ceilMode)
        (self.countIncludePad, self.divisorOverride) = (countIncludePad, divisorOverride)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                         countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
}

/// Average pooling to a fixed length, like `torch.nn.AdaptiveAvgPool1d`.
public final class AdaptiveAvgPool1d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let outputSize: Int
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(outputSize: Int) { self.outputSize = outputSize }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.adaptiveAvgPool1d(input, outputSize: outputSize) }
}

/// Average pooling to a fixed size, like `torch.nn.AdaptiveAvgPool2d` (`1` is global pooling).
///
/// ```swift
/// let pool = AdaptiveAvgPool2d(outputSize: 1)   // [N, C, H, W] -> [N, C, 1, 1]
/// ```
public final class AdaptiveAvgPool2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let outputSize: SpatialSize
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(outputSize: SpatialSize) { self.outputSize = outputSize }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.adaptiveAvgPool2d(input, outputSize: outputSize) }
}

/// Max pooling to a fixed size, like `torch.nn.AdaptiveMaxPool2d`.
public final class AdaptiveMaxPool2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let outputSize: SpatialSize
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(outputSize: SpatialSize) { self.outputSize = outputSize }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.adaptiveMaxPool2d(input, outputSize: outputSize) }
}

// MARK: Normalisation

extension Module {
    /// `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` (0), as PyTorch's
    /// normalisation layers register them.
    func registerRunningStatistics(_ features: Int) {
        registerBuffer("running_mean", Tensor.zeros([features]))
        registerBuffer("running_var", Tensor.ones([features]))
        registerBuffer("num_batches_tracked", Tensor.zeros([], dtype: .int64))
    }
}

/// Batch normalisation over channels, like PyTorch's `_BatchNorm`: ``BatchNorm1d``,
/// ``BatchNorm2d`` and ``BatchNorm3d`` are this class with the input ranks they accept.
///
/// Parameters `weight` (ones) and `bias` (zeros) when `affine`; buffers `running_mean`,
/// `running_var` and `num_batches_tracked` when `trackRunningStats`, in PyTorch's state-dict
/// order. With `momentum: nil` the running statistics are a cumulative average.
public class BatchNorm: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let weight: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let bias: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let numFeatures: Int
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let eps: Double
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let momentum: Double?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let trackRunningStats: Bool
    private let ranks: [Int]
    private let rankDescription: String

    init(numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool, ranks: [Int], rankDescription: String) {
        (self.numFeatures, self.eps, self.momentum, self.trackRunningStats) = (numFeatures, eps, momentum, trackRunningStats)
        self.ranks = ranks
        self.rankDescription = rankDescription
        weight = affine ? Parameter(Tensor.ones([numFeatures])) : nil
        bias = affine ? Parameter(Tensor.zeros([numFeatures])) : nil
        super.init()
        if trackRunningStats { registerRunningStatistics(numFeatures) }
    }

    /// `running_mean`, or `nil` without tracked statistics.
    public var runningMean: Tensor? { buffer("running_mean") }
    /// `running_var`, or `nil` without tracked statistics.
    public var runningVar: Tensor? { buffer("running_var") }
    /// `num_batches_tracked`, or `nil` without tracked statistics.
    public var numBatchesTracked: Tensor? { buffer("num_batches_tracked") }

    /// Resets the running statistics to zero mean, unit variance and no batches.
    public func resetRunningStats() {
        noGrad {
            runningMean?.zero()
            runningVar?.fill(1)
            numBatchesTracked?.zero()
        }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        if !ranks.contains(input.rank) { preconditionFailure("expected \(rankDescription) input (got \(input.rank)D input)") }
        var factor = momentum ?? 0
        if isTraining && trackRunningStats, let tracked = numBatchesTracked {
            noGrad { tracked.copy(from: tracked + 1) }
            if momentum == nil { factor = 1 / Double(tracked.item(as: Int64.self)) }
        }
        let useBatch = isTraining || (runningMean == nil && runningVar == nil)
        let useRunning = !isTraining || trackRunningStats
        return Tensor.batchNorm(input, runningMean: useRunning ? runningMean : nil, runningVar: useRunning ? runningVar : nil,
                                weight: weight, bias: bias, training: useBatch, momentum: factor, eps: eps)
    }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]`, like `torch.nn.BatchNorm1d`.
public final class BatchNorm1d: BatchNorm {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats,
                   ranks: [2, 3], rankDescription: "2D or 3D")
    }
}

/// Batch normalisation of `[N, C, H, W]`, like `torch.nn.BatchNorm2d`.
///
/// ```swift
/// let bn = BatchNorm2d(numFeatures: 64)
/// let y = bn(x)                    // training: batch statistics, running ones updated
/// bn.eval(); let z = bn(x)         // evaluation: running statistics
/// ```
public final class BatchNorm2d: BatchNorm {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats,
                   ranks: [4], rankDescription: "4D")
    }
}

/// Batch normalisation of `[N, C, D, H, W]`, like `torch.nn.BatchNorm3d`.
public final class BatchNorm3d: BatchNorm {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats,
                   ranks: [5], rankDescription: "5D")
    }
}

/// Group normalisation, like `torch.nn.GroupNorm`: weight ones and bias zeros when `affine`.
///
/// ```swift
/// let gn = GroupNorm(numGroups: 8, numChannels: 64)
/// ```
public final class GroupNorm: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let weight: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let bias: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let numGroups: Int, numChannels: Int, eps: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numGroups: Int, numChannels: Int, eps: Double = 1e-5, affine: Bool = true) {
        if numChannels % numGroups != 0 { preconditionFailure("num_channels must be divisible by num_groups") }
        (self.numGroups, self.numChannels, self.eps) = (numGroups, numChannels, eps)
        weight = affine ? Parameter(Tensor.ones([numChannels])) : nil
        bias = affine ? Parameter(Tensor.zeros([numChannels])) : nil
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.groupNorm(input, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}

/// Instance normalisation of `[N, C, H, W]` (or `[C, H, W]`), like `torch.nn.InstanceNorm2d`:
/// no affine map and no running statistics unless asked for.
///
/// ```swift
/// let norm = InstanceNorm2d(numFeatures: 64, affine: true)
/// ```
public final class InstanceNorm2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let weight: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let bias: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let numFeatures: Int, eps: Double, momentum: Double, trackRunningStats: Bool
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false, trackRunningStats: Bool = false) {
        (self.numFeatures, self.eps, self.momentum, self.trackRunningStats) = (numFeatures, eps, momentum, trackRunningStats)
        weight = affine ? Parameter(Tensor.ones([numFeatures])) : nil
        bias = affine ? Parameter(Tensor.zeros([numFeatures])) : nil
        super.init()
        if trackRunningStats { registerRunningStatistics(numFeatures) }
    }
    public override func forward(_ input: Tensor) -> Tensor {
        if input.rank != 3 && input.rank != 4 { preconditionFailure("expected 3D or 4D input (got \(input.rank)D input)") }
        let batched = input.rank == 4 ? input : input.unsqueeze(0)
        let y = Tensor.instanceNorm(batched, runningMean: buffer("running_mean"), runningVar: buffer("running_var"), weight: weight, bias: bias,
                                    useInputStats: isTraining || !trackRunningStats, momentum: momentum, eps: eps)
        return input.rank == 4 ? y : y.squeeze(0)
    }
}

/// Local response normalisation across channels, like `torch.nn.LocalResponseNorm`.
public final class LocalResponseNorm: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let size: Int, alpha: Double, beta: Double, k: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) {
        (self.size, self.alpha, self.beta, self.k) = (size, alpha, beta, k)
    }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.localResponseNorm(input, size: size, alpha: alpha, beta: beta, k: k) }
}

// MARK: Dropout and resampling

/// Zeroes whole channels of `[N, C, L]` while training, like `torch.nn.Dropout1d`.
public final class Dropout1d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let p: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(p: Double = 0.5) { self.p = p }
    public override func forward(_ input: Tensor) -> Tensor { isTraining ? input.dropout1d(p: p) : input }
}

/// Zeroes whole channels of `[N, C, H, W]` while training, like `torch.nn.Dropout2d`.
///
/// ```swift
/// let drop = Dropout2d(p: 0.25)
/// ```
public final class Dropout2d: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let p: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(p: Double = 0.5) { self.p = p }
    public override func forward(_ input: Tensor) -> Tensor { isTraining ? input.dropout2d(p: p) : input }
}

/// Resizes by a size or a scale factor, like `torch.nn.Upsample`.
///
/// ```swift
/// let up = Upsample(scaleFactor: 2, mode: .bilinear, alignCorners: false)
/// ```
public final class Upsample: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let size: SpatialSize?, scaleFactor: SpatialScale?, mode: InterpolationMode, alignCorners: Bool?
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(size: SpatialSize? = nil, scaleFactor: SpatialScale? = nil, mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) {
        (self.size, self.scaleFactor, self.mode, self.alignCorners) = (size, scaleFactor, mode, alignCorners)
    }
    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.interpolate(input, size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)
    }
}

/// `[*, C·r², H, W]` to `[*, C, H·r, W·r]`, like `torch.nn.PixelShuffle`.
public final class PixelShuffle: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let upscaleFactor: Int
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(upscaleFactor: Int) { self.upscaleFactor = upscaleFactor }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.pixelShuffle(input, upscaleFactor: upscaleFactor) }
}

/// `[*, C, H·r, W·r]` to `[*, C·r², H, W]`, like `torch.nn.PixelUnshuffle`.
public final class PixelUnshuffle: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let downscaleFactor: Int
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(downscaleFactor: Int) { self.downscaleFactor = downscaleFactor }
    public override func forward(_ input: Tensor) -> Tensor { Tensor.pixelUnshuffle(input, downscaleFactor: downscaleFactor) }
}

// MARK: Activations

/// Leaky ReLU, like `torch.nn.LeakyReLU`.
///
/// ```swift
/// let act = LeakyReLU(negativeSlope: 0.2)   // a DCGAN discriminator's
/// ```
public final class LeakyReLU: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let negativeSlope: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public override func forward(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

/// The exponential linear unit, like `torch.nn.ELU`.
public final class ELU: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let alpha: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(alpha: Double = 1) { self.alpha = alpha }
    public override func forward(_ input: Tensor) -> Tensor { input.elu(alpha: alpha) }
}

/// `x · sigmoid(x)`, like `torch.nn.SiLU`.
public final class SiLU: Module {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public override init() {}
    public override func forward(_ input: Tensor) -> Tensor { input.silu() }
}

/// The hard swish, like `torch.nn.Hardswish`.
public final class Hardswish: Module {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public override init() {}
    public override func forward(_ input: Tensor) -> Tensor { input.hardswish() }
}

/// Leaky ReLU with a learned slope, one for all channels or one each, like `torch.nn.PReLU`
/// (`weight` filled with `init`, 0.25 by default).
///
/// ```swift
/// let act = PReLU(numParameters: 64)
/// ```
public final class PReLU: Module {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let weight: Parameter
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(numParameters: Int = 1, init value: Double = 0.25) {
        weight = Parameter(Tensor.full([numParameters], value))
    }
    public override func forward(_ input: Tensor) -> Tensor { input.prelu(weight) }
}
