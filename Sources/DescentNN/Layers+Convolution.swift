import Descent

/// What a convolution layer reads beyond the input's edges, PyTorch's `padding_mode`.
public enum ConvPaddingMode: String, Sendable {
    /// Zeros (the convolution pads itself).
    case zeros
    /// The input mirrored at its edges, without repeating the edge.
    case reflect
    /// The edge value repeated.
    case replicate
    /// The input wrapped around.
    case circular

    var padMode: PaddingMode? {
        switch self {
        case .zeros: nil
        case .reflect: .reflect
        case .replicate: .replicate
        case .circular: .circular
        }
    }
}

/// PyTorch's `_ConvNd.reset_parameters`: Kaiming-uniform weights with `a = sqrt(5)`, then (for
/// `biasCount` outputs) a uniform bias in `±1/sqrt(fan_in)`, drawn in that order.
private func _convParameters(_ weightShape: [Int], biasCount: Int?, generator: Generator?) -> (Parameter, Parameter?) {
    let w = Tensor.empty(weightShape)
    Init.kaimingUniform(w, a: 5.0.squareRoot(), generator: generator)
    guard let biasCount else { return (Parameter(w), nil) }
    let b = Tensor.empty([biasCount])
    let fanIn = Init.fans(w).fanIn
    if fanIn != 0 {
        let bound = 1 / Double(fanIn).squareRoot()
        Init.uniform(b, a: -bound, b: bound, generator: generator)
    }
    return (Parameter(w), Parameter(b))
}

/// Checks shared by the convolution layers, with PyTorch's messages.
private func _checkConvLayer(inChannels: Int, outChannels: Int, groups: Int, padding: ConvPadding, stride: [Int]) {
    if groups <= 0 { preconditionFailure("groups must be a positive integer") }
    if inChannels % groups != 0 { preconditionFailure("in_channels must be divisible by groups") }
    if outChannels % groups != 0 { preconditionFailure("out_channels must be divisible by groups") }
    if padding == .same && stride.contains(where: { $0 != 1 }) {
        preconditionFailure("padding='same' is not supported for strided convolutions")
    }
}

/// A convolution layer over `spatial` dimensions; `Conv1d`, `Conv2d` and `Conv3d` are this
/// class with their dimension count, like PyTorch's `_ConvNd`.
public class ConvNd: Module {
    /// `[outChannels, inChannels/groups, kernel…]`.
    public let weight: Parameter
    /// `[outChannels]`, or `nil` without bias.
    public let bias: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let inChannels: Int, outChannels: Int, groups: Int
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: [Int], stride: [Int], dilation: [Int]
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let padding: ConvPadding
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let paddingMode: ConvPaddingMode
    let spatial: Int
    /// `F.pad`'s amounts (last dimension first) when a padding mode other than zeros pads.
    private let reversedPadding: [Int]

    init(spatial: Int, inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize, padding: ConvPadding,
         dilation: SpatialSize, groups: Int, bias: Bool, paddingMode: ConvPaddingMode, generator: Generator?) {
        self.spatial = spatial
        let kernel = kernelSize.expanded(spatial, "kernel_size"), step = stride.expanded(spatial, "stride")
        let dil = dilation.expanded(spatial, "dilation")
        _checkConvLayer(inChannels: inChannels, outChannels: outChannels, groups: groups, padding: padding, stride: step)
        (self.inChannels, self.outChannels, self.groups) = (inChannels, outChannels, groups)
        (self.kernelSize, self.stride, self.dilation) = (kernel, step, dil)
        self.padding = padding
        self.paddingMode = paddingMode
        var reversed: [Int] = []
        for d in (0..<spatial).reversed() {
            switch padding {
            case .sizes(let sizes):
                let p = sizes.expanded(spatial, "padding")[d]
                reversed += [p, p]
            case .valid: reversed += [0, 0]
            case .same:
                let total = dil[d] * (kernel[d] - 1)
                reversed += [total / 2, total - total / 2]
            }
        }
        reversedPadding = reversed
        (weight, self.bias) = _convParameters([outChannels, inChannels / groups] + kernel, biasCount: bias ? outChannels : nil, generator: generator)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let conv: (Tensor, Tensor, Tensor?, SpatialSize, ConvPadding, SpatialSize, Int) -> Tensor
        switch spatial {
        case 1: conv = { Tensor.conv1d($0, $1, bias: $2, stride: $3, padding: $4, dilation: $5, groups: $6) }
        case 2: conv = { Tensor.conv2d($0, $1, bias: $2, stride: $3, padding: $4, dilation: $5, groups: $6) }
        default: conv = { Tensor.conv3d($0, $1, bias: $2, stride: $3, padding: $4, dilation: $5, groups: $6) }
        }
        if let mode = paddingMode.padMode {
            return conv(input.pad(reversedPadding, mode: mode), weight, bias, SpatialSize(stride), 0, SpatialSize(dilation), groups)
        }
        return conv(input, weight, bias, SpatialSize(stride), padding, SpatialSize(dilation), groups)
    }
}

/// A 1-D convolution, like `torch.nn.Conv1d`, initialised as PyTorch initialises it.
///
/// ```swift
/// let conv = Conv1d(inChannels: 16, outChannels: 33, kernelSize: 3, stride: 2)
/// let y = conv(Tensor.randn(20, 16, 50))   // [20, 33, 24]
/// ```
public final class Conv1d: ConvNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: ConvPadding = 0,
                dilation: SpatialSize = 1, groups: Int = 1, bias: Bool = true, paddingMode: ConvPaddingMode = .zeros,
                generator: Generator? = nil) {
        super.init(spatial: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, generator: generator)
    }
}

/// A 2-D convolution, like `torch.nn.Conv2d`: weights `[out, in/groups, kh, kw]` drawn as
/// PyTorch draws them, so with the same seed they are PyTorch's bit for bit.
///
/// ```swift
/// manualSeed(0)
/// let conv = Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2)   // == nn.Conv2d(1, 6, 5, padding=2)
/// let y = conv(Tensor.randn(64, 1, 28, 28))                                     // [64, 6, 28, 28]
/// ```
public final class Conv2d: ConvNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: ConvPadding = 0,
                dilation: SpatialSize = 1, groups: Int = 1, bias: Bool = true, paddingMode: ConvPaddingMode = .zeros,
                generator: Generator? = nil) {
        super.init(spatial: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, generator: generator)
    }
}

/// A 3-D convolution, like `torch.nn.Conv3d`.
///
/// ```swift
/// let conv = Conv3d(inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1)
/// ```
public final class Conv3d: ConvNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: ConvPadding = 0,
                dilation: SpatialSize = 1, groups: Int = 1, bias: Bool = true, paddingMode: ConvPaddingMode = .zeros,
                generator: Generator? = nil) {
        super.init(spatial: 3, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, generator: generator)
    }
}

/// A transposed convolution layer over `spatial` dimensions, like PyTorch's `_ConvTransposeNd`.
public class ConvTransposeNd: Module {
    /// `[inChannels, outChannels/groups, kernel…]`.
    public let weight: Parameter
    /// `[outChannels]`, or `nil` without bias.
    public let bias: Parameter?
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let inChannels: Int, outChannels: Int, groups: Int
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let kernelSize: [Int], stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int]
    let spatial: Int

    init(spatial: Int, inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize, padding: SpatialSize,
         outputPadding: SpatialSize, groups: Int, bias: Bool, dilation: SpatialSize, generator: Generator?) {
        self.spatial = spatial
        let kernel = kernelSize.expanded(spatial, "kernel_size")
        _checkConvLayer(inChannels: inChannels, outChannels: outChannels, groups: groups, padding: 0, stride: [])
        (self.inChannels, self.outChannels, self.groups) = (inChannels, outChannels, groups)
        self.kernelSize = kernel
        self.stride = stride.expanded(spatial, "stride")
        self.padding = padding.expanded(spatial, "padding")
        self.outputPadding = outputPadding.expanded(spatial, "output_padding")
        self.dilation = dilation.expanded(spatial, "dilation")
        (weight, self.bias) = _convParameters([inChannels, outChannels / groups] + kernel, biasCount: bias ? outChannels : nil, generator: generator)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let (s, p, o, d) = (SpatialSize(stride), SpatialSize(padding), SpatialSize(outputPadding), SpatialSize(dilation))
        switch spatial {
        case 1: return Tensor.convTranspose1d(input, weight, bias: bias, stride: s, padding: p, outputPadding: o, groups: groups, dilation: d)
        case 2: return Tensor.convTranspose2d(input, weight, bias: bias, stride: s, padding: p, outputPadding: o, groups: groups, dilation: d)
        default: return Tensor.convTranspose3d(input, weight, bias: bias, stride: s, padding: p, outputPadding: o, groups: groups, dilation: d)
        }
    }
}

/// A 1-D transposed convolution, like `torch.nn.ConvTranspose1d`.
///
/// ```swift
/// let up = ConvTranspose1d(inChannels: 8, outChannels: 4, kernelSize: 4, stride: 2, padding: 1)
/// ```
public final class ConvTranspose1d: ConvTransposeNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: SpatialSize = 0,
                outputPadding: SpatialSize = 0, groups: Int = 1, bias: Bool = true, dilation: SpatialSize = 1, generator: Generator? = nil) {
        super.init(spatial: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, generator: generator)
    }
}

/// A 2-D transposed convolution, like `torch.nn.ConvTranspose2d`: a DCGAN generator's layer.
///
/// ```swift
/// let up = ConvTranspose2d(inChannels: 100, outChannels: 64, kernelSize: 4, stride: 1, padding: 0, bias: false)
/// let y = up(Tensor.randn(8, 100, 1, 1))   // [8, 64, 4, 4]
/// ```
public final class ConvTranspose2d: ConvTransposeNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: SpatialSize = 0,
                outputPadding: SpatialSize = 0, groups: Int = 1, bias: Bool = true, dilation: SpatialSize = 1, generator: Generator? = nil) {
        super.init(spatial: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, generator: generator)
    }
}

/// A 3-D transposed convolution, like `torch.nn.ConvTranspose3d`.
public final class ConvTranspose3d: ConvTransposeNd {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(inChannels: Int, outChannels: Int, kernelSize: SpatialSize, stride: SpatialSize = 1, padding: SpatialSize = 0,
                outputPadding: SpatialSize = 0, groups: Int = 1, bias: Bool = true, dilation: SpatialSize = 1, generator: Generator? = nil) {
        super.init(spatial: 3, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                   outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation, generator: generator)
    }
}
