// Convolutions and transposed convolutions over one, two or three spatial dimensions, as
// `torch.nn.functional.conv1d/2d/3d` and `conv_transpose1d/2d/3d`, all `ConvolutionBackward0`.

/// A size given for every spatial dimension at once (`2`) or one per dimension (`[2, 1]`), as
/// PyTorch's `int or tuple` arguments (`stride`, `dilation`, `kernel_size`).
///
/// ```swift
/// let y = Tensor.conv2d(x, w, stride: 2, dilation: [1, 2])
/// ```
public struct SpatialSize: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The sizes as given: one value, or one per spatial dimension.
    public let values: [Int]
    /// One size for every spatial dimension.
    public init(integerLiteral value: Int) { values = [value] }
    /// One size per spatial dimension.
    public init(arrayLiteral elements: Int...) { values = elements }
    /// One size per spatial dimension (or a single one for all).
    public init(_ values: [Int]) { self.values = values }

    /// The sizes for `count` spatial dimensions, or PyTorch's message when they do not fit.
    package func expanded(_ count: Int, _ name: String) -> [Int] {
        if values.count == 1 { return Array(repeating: values[0], count: count) }
        if values.count != count {
            _fail("expected \(name) to be a single integer value or a list of \(count) values to match the convolution dimensions, but got \(name)=\(_shapeString(values))")
        }
        return values
    }

    /// See the type's documentation.
    public var description: String { values.count == 1 ? "\(values[0])" : _shapeString(values) }
}

/// A convolution's padding: sizes (one for all spatial dimensions or one each), or PyTorch's
/// `"same"` (output as large as the input, stride 1 only) and `"valid"` (none).
///
/// ```swift
/// let y = Tensor.conv2d(x, w, padding: .same)
/// let z = Tensor.conv2d(x, w, padding: [1, 2])
/// ```
public enum ConvPadding: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    /// Zeros on both sides of each spatial dimension.
    case sizes(SpatialSize)
    /// As much as keeps the output's size the input's (`padding="same"`).
    case same
    /// No padding (`padding="valid"`).
    case valid

    /// The value a literal writes.
    public init(integerLiteral value: Int) { self = .sizes(SpatialSize(integerLiteral: value)) }
    /// The value a literal writes.
    public init(arrayLiteral elements: Int...) { self = .sizes(SpatialSize(elements)) }

    /// PyTorch's strings: `"same"` or `"valid"`; anything else stops with PyTorch's message.
    public init(_ string: String) {
        switch string {
        case "same": self = .same
        case "valid": self = .valid
        default: _fail("Invalid padding string: '\(string)'")
        }
    }
}

extension Tensor {
    /// A 1-D convolution over `[N, Cin, L]` (or unbatched `[Cin, L]`) with a weight
    /// `[Cout, Cin/groups, k]`, like `F.conv1d` (`ConvolutionBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.conv1d(x, w, bias: b, padding: .same)
    /// ```
    public static func conv1d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                              padding: ConvPadding = 0, dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        _convolution(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, spatial: 1)
    }

    /// A 2-D convolution over `[N, Cin, H, W]` (or unbatched `[Cin, H, W]`) with a weight
    /// `[Cout, Cin/groups, kh, kw]`, like `F.conv2d` (`ConvolutionBackward0`). `groups` equal
    /// to the channel count makes it depthwise.
    ///
    /// ```swift
    /// let w = Tensor.randn(6, 1, 5, 5), b = Tensor.zeros(6)
    /// let y = Tensor.conv2d(Tensor.randn(64, 1, 28, 28), w, bias: b, padding: 2)   // [64, 6, 28, 28]
    /// ```
    public static func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                              padding: ConvPadding = 0, dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        _convolution(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, spatial: 2)
    }

    /// A 3-D convolution over `[N, Cin, D, H, W]` (or unbatched) with a weight
    /// `[Cout, Cin/groups, kd, kh, kw]`, like `F.conv3d` (`ConvolutionBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.conv3d(volumes, w, stride: [1, 2, 2])
    /// ```
    public static func conv3d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                              padding: ConvPadding = 0, dilation: SpatialSize = 1, groups: Int = 1) -> Tensor {
        _convolution(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, spatial: 3)
    }

    /// A 1-D transposed convolution ("deconvolution") with a weight `[Cin, Cout/groups, k]`,
    /// like `F.conv_transpose1d` (`ConvolutionBackward0`): the gradient of `conv1d` with
    /// respect to its input.
    ///
    /// ```swift
    /// let y = Tensor.convTranspose1d(x, w, stride: 2, outputPadding: 1)
    /// ```
    public static func convTranspose1d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                                       padding: SpatialSize = 0, outputPadding: SpatialSize = 0, groups: Int = 1,
                                       dilation: SpatialSize = 1) -> Tensor {
        _convolutionTranspose(input, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                              groups: groups, dilation: dilation, spatial: 1)
    }

    /// A 2-D transposed convolution with a weight `[Cin, Cout/groups, kh, kw]`, like
    /// `F.conv_transpose2d` (`ConvolutionBackward0`); a DCGAN generator's upsampling layer.
    ///
    /// ```swift
    /// let y = Tensor.convTranspose2d(z, w, stride: 2, padding: 1)   // [N, 64, 4, 4] -> [N, 32, 8, 8] for k = 4
    /// ```
    public static func convTranspose2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                                       padding: SpatialSize = 0, outputPadding: SpatialSize = 0, groups: Int = 1,
                                       dilation: SpatialSize = 1) -> Tensor {
        _convolutionTranspose(input, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                              groups: groups, dilation: dilation, spatial: 2)
    }

    /// A 3-D transposed convolution with a weight `[Cin, Cout/groups, kd, kh, kw]`, like
    /// `F.conv_transpose3d` (`ConvolutionBackward0`).
    public static func convTranspose3d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: SpatialSize = 1,
                                       padding: SpatialSize = 0, outputPadding: SpatialSize = 0, groups: Int = 1,
                                       dilation: SpatialSize = 1) -> Tensor {
        _convolutionTranspose(input, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                              groups: groups, dilation: dilation, spatial: 3)
    }

    // MARK: Checks shared by both directions

    /// Adds a batch dimension to an unbatched input, or stops with PyTorch's message.
    private static func _batchedInput(_ input: Tensor, spatial: Int, _ name: String) -> (Tensor, Bool) {
        if input.rank == spatial + 1 { return (input.unsqueeze(0), true) }
        if input.rank != spatial + 2 {
            _fail("Expected \(spatial + 1)D (unbatched) or \(spatial + 2)D (batched) input to \(name), but got input of size: \(_shapeString(input.shape))")
        }
        return (input, false)
    }

    private static func _checkConvArguments(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: [Int], padding: [Int],
                                            dilation: [Int], groups: Int, spatial: Int) {
        if weight.rank != spatial + 2 {
            _fail("Expected \(spatial + 2)-dimensional input for \(spatial + 2)-dimensional weight \(_shapeString(weight.shape)), but got \(weight.rank)-dimensional weight instead")
        }
        if input.dtype != weight.dtype {
            _fail("Input type (\(input.dtype.cppName)) and weight type (\(weight.dtype.cppName)) should be the same")
        }
        if let bias, bias.dtype != weight.dtype {
            _fail("Input type (\(input.dtype.cppName)) and bias type (\(bias.dtype.cppName)) should be the same")
        }
        if stride.contains(where: { $0 <= 0 }) { _fail("non-positive stride is not supported") }
        if padding.contains(where: { $0 < 0 }) { _fail("negative padding is not supported") }
        if dilation.contains(where: { $0 <= 0 }) { _fail("non-positive dilation is not supported") }
        if groups <= 0 { _fail("non-positive groups is not supported") }
    }

    private static func _checkBias(_ bias: Tensor?, _ weight: Tensor, channels: Int) {
        guard let bias else { return }
        if bias.rank != 1 || bias.shape[0] != channels {
            _fail("Given weight of size \(_shapeString(weight.shape)), expected bias to be 1-dimensional with \(channels) elements, but got bias of size \(_shapeString(bias.shape)) instead")
        }
    }

    // MARK: Convolution

    static func _convolution(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride strideArgument: SpatialSize,
                             padding paddingArgument: ConvPadding, dilation dilationArgument: SpatialSize, groups: Int,
                             spatial: Int) -> Tensor {
        let name = "conv\(spatial)d"
        let (batched, unbatched) = _batchedInput(input, spatial: spatial, name)
        let stride = strideArgument.expanded(spatial, "stride")
        let dilation = dilationArgument.expanded(spatial, "dilation")
        var x = batched
        var padding: [Int]
        switch paddingArgument {
        case .sizes(let sizes): padding = sizes.expanded(spatial, "padding")
        case .valid: padding = Array(repeating: 0, count: spatial)
        case .same:
            if stride.contains(where: { $0 != 1 }) { _fail("padding='same' is not supported for strided convolutions") }
            if weight.rank != spatial + 2 { padding = Array(repeating: 0, count: spatial); break }
            // Total padding d·(k-1) per dimension, the odd one extra on the right as F.pad
            // puts it, then symmetric padding for the rest.
            padding = []
            var extra = [Int](repeating: 0, count: 2 * spatial)
            for d in 0..<spatial {
                let total = dilation[d] * (weight.shape[2 + d] - 1)
                padding.append(total / 2)
                extra[2 * (spatial - 1 - d) + 1] = total - 2 * (total / 2)
            }
            if extra.contains(where: { $0 != 0 }) { x = x.pad(extra) }
        }
        _checkConvArguments(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, spatial: spatial)
        let inChannels = x.shape[1], outChannels = weight.shape[0]
        if outChannels % groups != 0 {
            _fail("Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(_shapeString(weight.shape))] instead")
        }
        if weight.shape[1] * groups != inChannels {
            _fail("Given groups=\(groups), weight of size \(_shapeString(weight.shape)), expected input\(_shapeString(x.shape)) to have \(weight.shape[1] * groups) channels, but got \(inChannels) channels instead")
        }
        _checkBias(bias, weight, channels: outChannels)
        let inSizes = Array(x.shape[2...]), kernel = Array(weight.shape[2...])
        var outSizes: [Int] = []
        for d in 0..<spatial {
            let padded = inSizes[d] + 2 * padding[d]
            let effective = dilation[d] * (kernel[d] - 1) + 1
            if padded < effective {
                let p = (0..<spatial).map { String(inSizes[$0] + 2 * padding[$0]) }.joined(separator: " x ")
                let k = (0..<spatial).map { String(dilation[$0] * (kernel[$0] - 1) + 1) }.joined(separator: " x ")
                _fail("Calculated padded input size per channel: (\(p)). Kernel size: (\(k)). Kernel size can't be greater than actual input size")
            }
            outSizes.append(_ConvGeometry.outputSize(input: inSizes[d], kernel: kernel[d], stride: stride[d], padding: padding[d], dilation: dilation[d]))
        }
        let conv = _Conv(geometry: _ConvGeometry(
            batch: x.shape[0], inChannels: inChannels, outChannels: outChannels, groups: groups,
            input: _lead3(inSizes, 1), output: _lead3(outSizes, 1), kernel: _lead3(kernel, 1), stride: _lead3(stride, 1),
            padding: _lead3(padding, 0), dilation: _lead3(dilation, 1)),
            inputShape: x.shape, weightShape: weight.shape, outputShape: [x.shape[0], outChannels] + outSizes)
        let y = conv.forwardValues(x, weight, bias)
        let spatialDims = Array(2..<(spatial + 2))
        y._recorded("ConvolutionBackward0", bias.map { [x, weight, $0] } ?? [x, weight], saving: [x, weight]) { g, node in
            [node.needsInputGrad(0) ? conv.inputGradient(g, node.savedTensor(1)) : nil,
             node.needsInputGrad(1) ? conv.weightGradient(node.savedTensor(0), g) : nil,
             bias != nil && node.needsInputGrad(2) ? g.sum(dims: [0] + spatialDims) : nil]
        }
        return unbatched ? y.squeeze(0) : y
    }

    // MARK: Transposed convolution

    static func _convolutionTranspose(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride strideArgument: SpatialSize,
                                      padding paddingArgument: SpatialSize, outputPadding outputPaddingArgument: SpatialSize,
                                      groups: Int, dilation dilationArgument: SpatialSize, spatial: Int) -> Tensor {
        let name = "conv_transpose\(spatial)d"
        let (x, unbatched) = _batchedInput(input, spatial: spatial, name)
        let stride = strideArgument.expanded(spatial, "stride")
        let padding = paddingArgument.expanded(spatial, "padding")
        let outputPadding = outputPaddingArgument.expanded(spatial, "output_padding")
        let dilation = dilationArgument.expanded(spatial, "dilation")
        _checkConvArguments(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, spatial: spatial)
        if outputPadding.contains(where: { $0 < 0 }) { _fail("negative output_padding is not supported") }
        for d in 0..<spatial where outputPadding[d] >= stride[d] && outputPadding[d] >= dilation[d] {
            let names = spatial == 1 ? [""] : (spatial == 2 ? ["_height", "_width"] : ["_depth", "_height", "_width"])
            let parts = [("output_padding", outputPadding), ("stride", stride), ("dilation", dilation)].flatMap { label, values in
                (0..<spatial).map { "\(label)\(names[$0]): \(values[$0])" }
            }
            _fail("output padding must be smaller than either stride or dilation, but got \(parts.joined(separator: " "))")
        }
        let inChannels = x.shape[1]
        if weight.shape[0] != inChannels {
            _fail("Given transposed=1, weight of size \(_shapeString(weight.shape)), expected input\(_shapeString(x.shape)) to have \(weight.shape[0]) channels, but got \(inChannels) channels instead")
        }
        if inChannels % groups != 0 {
            _fail("Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(_shapeString(weight.shape))] instead")
        }
        let outChannels = weight.shape[1] * groups
        _checkBias(bias, weight, channels: outChannels)
        let inSizes = Array(x.shape[2...]), kernel = Array(weight.shape[2...])
        var outSizes: [Int] = []
        for d in 0..<spatial {
            let size = (inSizes[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel[d] - 1) + outputPadding[d] + 1
            if size <= 0 {
                _fail("Given input size per channel: (\(inSizes.map(String.init).joined(separator: " x "))). Calculated output size per channel: (\(size)). Output size is too small")
            }
            outSizes.append(size)
        }
        // The convolution this one is the input gradient of: from the output back to `x`.
        let conv = _Conv(geometry: _ConvGeometry(
            batch: x.shape[0], inChannels: outChannels, outChannels: inChannels, groups: groups,
            input: _lead3(outSizes, 1), output: _lead3(inSizes, 1), kernel: _lead3(kernel, 1), stride: _lead3(stride, 1),
            padding: _lead3(padding, 0), dilation: _lead3(dilation, 1)),
            inputShape: [x.shape[0], outChannels] + outSizes, weightShape: weight.shape, outputShape: x.shape)
        // Units of a compiled step, as the convolutions above are.
        let y = _CaptureTape.unit([x, weight, bias], outputs: [Tensor(uninitializedShape: conv.inputShape, dtype: x.dtype)]) { t, out in
            conv.rawInputGradient(t[0]!, t[1]!, into: out[0])
            if let bias = t[2] { _addChannelBias(out[0], bias) }
        }[0]
        let spatialDims = Array(2..<(spatial + 2))
        y._recorded("ConvolutionBackward0", bias.map { [x, weight, $0] } ?? [x, weight], saving: [x, weight]) { g, node in
            [node.needsInputGrad(0) ? conv.forward(g, node.savedTensor(1)) : nil,
             node.needsInputGrad(1) ? conv.weightGradient(g, node.savedTensor(0)) : nil,
             bias != nil && node.needsInputGrad(2) ? g.sum(dims: [0] + spatialDims) : nil]
        }
        return unbatched ? y.squeeze(0) : y
    }

    /// `y[n, c, …] += bias[c]` in place, without recording.
    static func _addChannelBias(_ y: Tensor, _ bias: Tensor) {
        let channels = y.shape[1], batch = y.shape[0]
        let inner = y.scalarCount / Swift.max(1, batch * channels)
        let b = bias.contiguous()
        func run<T: _NumericElement>(_: T.Type) {
            let py = y.pointer(T.self), pb = b.pointer(T.self)
            for n in 0..<batch {
                for c in 0..<channels {
                    let row = py + (n * channels + c) * inner
                    let v = pb[c]
                    for i in 0..<inner { row[i] = T._plus(row[i], v) }
                }
            }
        }
        switch y.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: _fail("\"add_bias\" not implemented for '\(y.dtype.cppName)'")
        }
    }
}

/// One convolution's geometry and shapes, with its three bilinear maps as differentiable ops:
/// each records (only when a graph is being recorded, as under `createGraph`) with a
/// vector-Jacobian product written with the other two, so convolutions have derivatives of
/// every order.
struct _Conv: @unchecked Sendable {
    let geometry: _ConvGeometry
    let inputShape: [Int], weightShape: [Int], outputShape: [Int]

    /// The convolution with an optional bias, computed without recording, into `y` (fresh,
    /// contiguous, of `outputShape`).
    func rawForward(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, into y: Tensor) {
        _ConvKernels.forward(geometry, x.contiguous(), w.contiguous(), y)
        if let bias { Tensor._addChannelBias(y, bias) }
    }

    /// ``inputGradient(_:_:)``'s values without recording, into `gx` (contiguous, of
    /// `inputShape`): the kernel adds each window's share, so `gx` is cleared first.
    func rawInputGradient(_ gy: Tensor, _ w: Tensor, into gx: Tensor) {
        gx._fillRaw(0)
        _ConvKernels.inputGradient(geometry, gy.contiguous(), w.contiguous(), gx)
    }

    /// ``weightGradient(_:_:)``'s values without recording, into `gw` (contiguous, of
    /// `weightShape`), cleared first as above.
    func rawWeightGradient(_ x: Tensor, _ gy: Tensor, into gw: Tensor) {
        gw._fillRaw(0)
        _ConvKernels.weightGradient(geometry, x.contiguous(), gy.contiguous(), gw)
    }

    // In a compiled step each map is a unit (``_CaptureTape/unit(_:outputs:_:)``): its
    // packing and im2col kernels do not record themselves, so every replay runs them again,
    // straight into the plan's memory.

    /// The convolution with an optional bias, with no autograd node (its caller records one).
    func forwardValues(_ x: Tensor, _ w: Tensor, _ bias: Tensor?) -> Tensor {
        _CaptureTape.unit([x, w, bias], outputs: [Tensor(uninitializedShape: outputShape, dtype: x.dtype)]) { t, out in
            rawForward(t[0]!, t[1]!, t[2], into: out[0])
        }[0]
    }

    /// `conv(x, w)`.
    func forward(_ x: Tensor, _ w: Tensor) -> Tensor {
        forwardValues(x, w, nil)._recorded("ConvolutionBackward0", x, w, saving: x, w) { g, node in
            (node.needsInputGrad(0) ? inputGradient(g, node.savedTensor(1)) : nil,
             node.needsInputGrad(1) ? weightGradient(node.savedTensor(0), g) : nil)
        }
    }

    /// The gradient of `conv(·, w)` with respect to its input, for output gradient `gy`.
    func inputGradient(_ gy: Tensor, _ w: Tensor) -> Tensor {
        let gx = _CaptureTape.unit([gy, w], outputs: [Tensor(uninitializedShape: inputShape, dtype: gy.dtype)]) { t, out in
            rawInputGradient(t[0]!, t[1]!, into: out[0])
        }[0]
        return gx._recorded("ConvolutionBackwardBackward0", gy, w, saving: gy, w) { gg, node in
            (node.needsInputGrad(0) ? forward(gg, node.savedTensor(1)) : nil,
             node.needsInputGrad(1) ? weightGradient(gg, node.savedTensor(0)) : nil)
        }
    }

    /// The gradient of `conv(x, ·)` with respect to its weight, for output gradient `gy`.
    func weightGradient(_ x: Tensor, _ gy: Tensor) -> Tensor {
        let gw = _CaptureTape.unit([x, gy], outputs: [Tensor(uninitializedShape: weightShape, dtype: x.dtype)]) { t, out in
            rawWeightGradient(t[0]!, t[1]!, into: out[0])
        }[0]
        return gw._recorded("ConvolutionBackwardBackward0", x, gy, saving: x, gy) { gg, node in
            (node.needsInputGrad(0) ? inputGradient(node.savedTensor(1), gg) : nil,
             node.needsInputGrad(1) ? forward(node.savedTensor(0), gg) : nil)
        }
    }
}
