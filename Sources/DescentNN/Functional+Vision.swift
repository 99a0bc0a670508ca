import Descent

// `torch.nn.functional` names for the vision ops, so that `F.conv2d(x, w, b, padding=1)`
// ports as `Functional.conv2d(x, w, bias: b, padding: 1)`; each is the `Tensor` op of the
// same name.

extension Functional {
    /// Like `F.conv1d`.
    public static func conv1d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1, padding: ConvPadding = 0,
                              dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        Tensor.conv1d(input, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    /// Like `F.conv2d`.
    ///
    /// ```swift
    /// let y = Functional.conv2d(x, w, bias: b, padding: .same)
    /// ```
    public static func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1, padding: ConvPadding = 0,
                              dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        Tensor.conv2d(input, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    /// Like `F.conv3d`.
    public static func conv3d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1, padding: ConvPadding = 0,
                              dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        Tensor.conv3d(input, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    /// Like `F.conv_transpose1d`.
    public static func convTranspose1d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1, padding: SpatialSize = 0,
                                       outputPadding: SpatialSize = 0, groups: Int = 1, dilation: SpatialSize = 1) -> Tensor {
        Tensor.convTranspose1d(input, weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups, dilation: dilation)
    }
    /// Like `F.conv_transpose2d`.
    public static func convTranspose2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1, padding: SpatialSize = 0,
                                       outputPadding: SpatialSize = 0, groups: Int = 1, dilation: SpatialSize = 1) -> Tensor {
        Tensor.convTranspose2d(input, weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups, dilation: dilation)
    }
    /// Like `F.max_pool1d`.
    public static func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) -> Tensor {
        Tensor.maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    /// Like `F.max_pool2d`.
    public static func maxPool2d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 dilation: SpatialSize = 1, ceilMode: Bool = false) -> Tensor {
        Tensor.maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    /// Like `F.max_pool3d`.
    public static func maxPool3d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 dilation: SpatialSize = 1, ceilMode: Bool = false) -> Tensor {
        Tensor.maxPool3d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    /// Like `F.avg_pool1d`.
    public static func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                                 countIncludePad: Bool = true) -> Tensor {
        Tensor.avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    /// Like `F.avg_pool2d`.
    public static func avgPool2d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        Tensor.avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                         countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
    /// Like `F.adaptive_avg_pool1d`.
    public static func adaptiveAvgPool1d(_ input: Tensor, outputSize: Int) -> Tensor { Tensor.adaptiveAvgPool1d(input, outputSize: outputSize) }
    /// Like `F.adaptive_avg_pool2d`.
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: SpatialSize) -> Tensor { Tensor.adaptiveAvgPool2d(input, outputSize: outputSize) }
    /// Like `F.adaptive_max_pool2d`.
    public static func adaptiveMaxPool2d(_ input: Tensor, outputSize: SpatialSize) -> Tensor { Tensor.adaptiveMaxPool2d(input, outputSize: outputSize) }
    /// Like `F.max_unpool2d`.
    public static func maxUnpool2d(_ input: Tensor, indices: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                   outputSize: [Int]? = nil) -> Tensor {
        Tensor.maxUnpool2d(input, indices: indices, kernelSize: kernelSize, stride: stride, padding: padding, outputSize: outputSize)
    }
    /// Like `F.batch_norm`.
    public static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                                 training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        Tensor.batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training, momentum: momentum, eps: eps)
    }
    /// Like `F.group_norm`.
    public static func groupNorm(_ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
        Tensor.groupNorm(input, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
    /// Like `F.instance_norm`.
    public static func instanceNorm(_ input: Tensor, runningMean: Tensor? = nil, runningVar: Tensor? = nil, weight: Tensor? = nil, bias: Tensor? = nil,
                                    useInputStats: Bool = true, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        Tensor.instanceNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, useInputStats: useInputStats,
                            momentum: momentum, eps: eps)
    }
    /// Like `F.local_response_norm`.
    public static func localResponseNorm(_ input: Tensor, size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) -> Tensor {
        Tensor.localResponseNorm(input, size: size, alpha: alpha, beta: beta, k: k)
    }
    /// Like `F.dropout1d` (in training mode; pass `training: false` for the identity).
    public static func dropout1d(_ input: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor { training ? input.dropout1d(p: p) : input }
    /// Like `F.dropout2d` (in training mode; pass `training: false` for the identity).
    public static func dropout2d(_ input: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor { training ? input.dropout2d(p: p) : input }
    /// Like `F.interpolate`.
    ///
    /// ```swift
    /// let up = Functional.interpolate(x, scaleFactor: 2, mode: .bilinear, alignCorners: false)
    /// ```
    public static func interpolate(_ input: Tensor, size: SpatialSize? = nil, scaleFactor: SpatialScale? = nil, mode: InterpolationMode = .nearest,
                                   alignCorners: Bool? = nil, antialias: Bool = false) -> Tensor {
        Tensor.interpolate(input, size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners, antialias: antialias)
    }
    /// Like `F.pixel_shuffle`.
    public static func pixelShuffle(_ input: Tensor, upscaleFactor: Int) -> Tensor { Tensor.pixelShuffle(input, upscaleFactor: upscaleFactor) }
    /// Like `F.pixel_unshuffle`.
    public static func pixelUnshuffle(_ input: Tensor, downscaleFactor: Int) -> Tensor { Tensor.pixelUnshuffle(input, downscaleFactor: downscaleFactor) }
    /// Like `F.affine_grid`.
    public static func affineGrid(_ theta: Tensor, size: [Int], alignCorners: Bool = false) -> Tensor {
        Tensor.affineGrid(theta, size: size, alignCorners: alignCorners)
    }
    /// Like `F.grid_sample`.
    public static func gridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode = .bilinear, paddingMode: GridSamplePadding = .zeros,
                                  alignCorners: Bool = false) -> Tensor {
        Tensor.gridSample(input, grid: grid, mode: mode, paddingMode: paddingMode, alignCorners: alignCorners)
    }
    /// Like `F.prelu`.
    public static func prelu(_ input: Tensor, weight: Tensor) -> Tensor { input.prelu(weight) }
}
