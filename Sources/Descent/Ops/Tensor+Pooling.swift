// Pooling: max, average and adaptive pooling over one, two or three spatial dimensions, and
// max unpooling, as `torch.nn.functional` has them. The 1-D forms run the 2-D op on an
// unsqueezed input, as PyTorch does (their `grad_fn` is `SqueezeBackward1`).

extension Tensor {
    // MARK: Max pooling

    /// Max pooling over `[N, C, L]` (or `[C, L]`), like `F.max_pool1d`; `stride` defaults to
    /// the kernel size.
    ///
    /// ```swift
    /// let y = Tensor.maxPool1d(x, kernelSize: 2)
    /// ```
    public static func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                 ceilMode: Bool = false) -> Tensor {
        _maxPool1dValues(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)`` with the position of each
    /// maximum (`return_indices=True`).
    public static func maxPool1dWithIndices(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                            ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
        if kernelSize <= 0 { _fail("max_pool1d() kernel_size must be greater than zero, but got \(kernelSize)") }
        if input.rank != 2 && input.rank != 3 { _fail("max_pool1d() Expected 2D or 3D input tensor, but got \(_shapeString(input.shape))") }
        let (v, i) = _maxPool(input.unsqueeze(-2), kernel: [1, kernelSize], stride: [1, stride ?? kernelSize], padding: [0, padding],
                              dilation: [1, dilation], ceilMode: ceilMode, spatial: 2)
        return (v.squeeze(-2), i.squeeze(-2))
    }

    /// `max_pool1d` without indices: with no gradient to keep, ATen runs its own 1-D loop into
    /// a contiguous result; otherwise the 2-D kernel, whose result follows the input's layout.
    private static func _maxPool1dValues(_ input: Tensor, kernelSize: Int, stride: Int?, padding: Int, dilation: Int,
                                         ceilMode: Bool) -> Tensor {
        let values = maxPool1dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                          ceilMode: ceilMode).values
        return input.requiresGrad && GradMode.isEnabled ? values : values.contiguous()
    }

    /// Max pooling over `[N, C, H, W]` (or `[C, H, W]`), like `F.max_pool2d`
    /// (`MaxPool2DWithIndicesBackward0`); `stride` defaults to the kernel size.
    ///
    /// ```swift
    /// let y = Tensor.maxPool2d(x, kernelSize: 2)   // [64, 6, 28, 28] -> [64, 6, 14, 14]
    /// ```
    public static func maxPool2d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 dilation: SpatialSize = 1, ceilMode: Bool = false) -> Tensor {
        maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).values
    }

    /// ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)`` with each maximum's flat
    /// position in its plane (`return_indices=True`), as ``maxUnpool2d(_:indices:kernelSize:stride:padding:outputSize:)`` takes them.
    public static func maxPool2dWithIndices(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                            dilation: SpatialSize = 1, ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
        _maxPool(input, kernel: kernelSize.expanded(2, "kernel_size"), stride: (stride ?? kernelSize).expanded(2, "stride"),
                 padding: padding.expanded(2, "padding"), dilation: dilation.expanded(2, "dilation"), ceilMode: ceilMode, spatial: 2)
    }

    /// Max pooling over `[N, C, D, H, W]` (or unbatched), like `F.max_pool3d`
    /// (`MaxPool3DWithIndicesBackward0`).
    public static func maxPool3d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 dilation: SpatialSize = 1, ceilMode: Bool = false) -> Tensor {
        maxPool3dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).values
    }

    /// ``maxPool3d(_:kernelSize:stride:padding:dilation:ceilMode:)`` with each maximum's flat position in its volume.
    public static func maxPool3dWithIndices(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                            dilation: SpatialSize = 1, ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
        _maxPool(input, kernel: kernelSize.expanded(3, "kernel_size"), stride: (stride ?? kernelSize).expanded(3, "stride"),
                 padding: padding.expanded(3, "padding"), dilation: dilation.expanded(3, "dilation"), ceilMode: ceilMode, spatial: 3)
    }

    /// Checks a pooling input, `[N, C, spatial…]` or unbatched `[C, spatial…]`; PyTorch pools
    /// both as planes, without adding a batch dimension.
    private static func _checkPoolInput(_ input: Tensor, spatial: Int) {
        if (input.rank == spatial + 1 || input.rank == spatial + 2) && input.scalarCount > 0 { return }
        _fail("non-empty \(spatial + 1)D or \(spatial + 2)D (batch mode) tensor expected for input")
    }

    private static func _checkFloat(_ input: Tensor, _ op: String) {
        if !input.dtype.isFloatingPoint { _fail("\"\(op)\" not implemented for '\(input.dtype.cppName)'") }
    }

    /// Output sizes of a pooling op, or PyTorch's messages for arguments that do not fit.
    private static func _poolOutput(_ x: Tensor, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
                                    spatial: Int) -> [Int] {
        if stride.contains(0) { _fail("stride should not be zero") }
        if kernel.contains(where: { $0 <= 0 }) {
            _fail("kernel size should be greater than zero, but got \(kernel.map(String.init).joined(separator: " "))")
        }
        if dilation.contains(where: { $0 <= 0 }) {
            let names = spatial == 2 ? ["H", "W"] : ["T", "H", "W"]
            _fail("dilation should be greater than zero, but got \(zip(names, dilation).map { "dilation\($0): \($1)" }.joined(separator: " "))")
        }
        for d in 0..<spatial where padding[d] > (dilation[d] * (kernel[d] - 1) + 1) / 2 {
            _fail("pad should be at most half of effective kernel size, but got pad=\(padding[d]), kernel_size=\(kernel[d]) and dilation=\(dilation[d])")
        }
        let inSizes = Array(x.shape.suffix(spatial))
        let out = (0..<spatial).map {
            _PoolWindows.outputSize(input: inSizes[$0], kernel: kernel[$0], stride: stride[$0], padding: padding[$0],
                                    dilation: dilation[$0], ceilMode: ceilMode)
        }
        if out.contains(where: { $0 < 1 }) {
            let lead = x.shape[x.rank - spatial - 1]
            _fail("Given input size: (\(([lead] + inSizes).map(String.init).joined(separator: "x"))). Calculated output size: (\(([lead] + out).map(String.init).joined(separator: "x"))). Output size is too small")
        }
        return out
    }

    static func _maxPool(_ input: Tensor, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
                         spatial: Int) -> (values: Tensor, indices: Tensor) {
        _checkPoolInput(input, spatial: spatial)
        let x = input
        _checkFloat(input, "max_pool\(spatial)d")
        let out = _poolOutput(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, spatial: spatial)
        let windows = _PoolWindows(input: _lead3(Array(x.shape.suffix(spatial))), output: _lead3(out), kernel: _lead3(kernel), stride: _lead3(stride),
                                   padding: _lead3(padding, 0), dilation: _lead3(dilation), countIncludePad: nil)
        let planes = Shape.count(Array(x.shape.dropLast(spatial)))
        let shape = Array(x.shape.dropLast(spatial)) + out
        var results = _windowMaxUnit(x, windows, outputShape: shape, planes: planes)
        // A channels-last input gives channels-last results (ATen's `suggest_memory_format`).
        if x._suggestsChannelsLast { results = results.map { $0._channelsLastCopy() } }
        let (values, indices) = (results[0], results[1])
        let name: StaticString = spatial == 2 ? "MaxPool2DWithIndicesBackward0" : "MaxPool3DWithIndicesBackward0"
        let inputShape = x.shape
        values._recorded(name, x) { g, _ in (Tensor._gradientAtIndices(g, indices, inputShape: inputShape, spatial: spatial), nil) }
        return (values, indices)
    }

    /// Each window's maximum and its flat position in the plane, `[values, indices]`: a unit
    /// of a compiled step (``_CaptureTape/unit(_:outputs:_:)``), whose window walk does not
    /// record itself.
    private static func _windowMaxUnit(_ x: Tensor, _ windows: _PoolWindows, outputShape: [Int], planes: Int) -> [Tensor] {
        let outputs = [Tensor(uninitializedShape: outputShape, dtype: x.dtype), Tensor(uninitializedShape: outputShape, dtype: .int64)]
        return _CaptureTape.unit([x], outputs: outputs) { t, out in
            let src = t[0]!.contiguous(), (values, indices) = (out[0], out[1])
            switch src.dtype {
            case .float32: windows.max(src.pointer(Float.self), planes: planes, values.pointer(Float.self), indices.pointer(Int64.self))
            default: windows.max(src.pointer(Double.self), planes: planes, values.pointer(Double.self), indices.pointer(Int64.self))
            }
        }
    }

    /// Zeros of `inputShape` with `g[…, o]` added at `indices[…, o]` of each plane: the
    /// gradient of max pooling. Its own gradient gathers at the same indices.
    static func _gradientAtIndices(_ g: Tensor, _ indices: Tensor, inputShape: [Int], spatial: Int) -> Tensor {
        let outputShape = g.shape
        let lead = inputShape.count - spatial
        return _linearBackward(g, "MaxPoolWithIndicesBackwardBackward0", {
            _CaptureTape.unit([g, indices], outputs: [Tensor(uninitializedShape: inputShape, dtype: g.dtype)]) { t, out in
                _scatterAtIndices(t[0]!, t[1]!, into: out[0], spatial: spatial)
            }[0]
        }, adjoint: { gg in
            gg.flatten(start: lead).gather(lead, indices.flatten(start: lead)).view(outputShape)
        })
    }

    /// The work of ``_gradientAtIndices(_:_:inputShape:spatial:)``, into `gx` (contiguous,
    /// of the input's shape; cleared first, as the windows' shares are added).
    private static func _scatterAtIndices(_ g: Tensor, _ indices: Tensor, into gx: Tensor, spatial: Int) {
        let outputShape = g.shape, inputShape = gx.shape
        let lead = inputShape.count - spatial
        gx._fillRaw(0)
        let gc = g.contiguous(), indices = indices.contiguous()   // (channels-last results)
        let planes = Shape.count(Array(inputShape.prefix(lead)))
        let inVolume = Shape.count(Array(inputShape.suffix(spatial))), outVolume = Shape.count(Array(outputShape.suffix(spatial)))
        switch g.dtype {
        case .float32: _scatterToPlanes(gc.pointer(Float.self), indices.pointer(Int64.self), planes: planes, outputVolume: outVolume,
                                        gx.pointer(Float.self), inputVolume: inVolume, accumulate: true)
        default: _scatterToPlanes(gc.pointer(Double.self), indices.pointer(Int64.self), planes: planes, outputVolume: outVolume,
                                  gx.pointer(Double.self), inputVolume: inVolume, accumulate: true)
        }
        withExtendedLifetime((gc, indices)) {}
    }

    // MARK: Average pooling

    /// Average pooling over `[N, C, L]` (or `[C, L]`), like `F.avg_pool1d`.
    ///
    /// ```swift
    /// let y = Tensor.avgPool1d(x, kernelSize: 3, stride: 2, padding: 1)
    /// ```
    public static func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                                 countIncludePad: Bool = true) -> Tensor {
        if input.rank != 2 && input.rank != 3 { _fail("avg_pool1d() Expected 2D or 3D input tensor, but got \(_shapeString(input.shape))") }
        return _avgPool(input.unsqueeze(-2), kernel: [1, kernelSize], stride: [1, stride ?? kernelSize], padding: [0, padding],
                        ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: nil, spatial: 2).squeeze(-2)
    }

    /// Average pooling over `[N, C, H, W]` (or `[C, H, W]`), like `F.avg_pool2d`
    /// (`AvgPool2DBackward0`). Windows that run into the padding divide by the whole window
    /// unless `countIncludePad` is false; `divisorOverride` replaces the divisor.
    ///
    /// ```swift
    /// let y = Tensor.avgPool2d(x, kernelSize: 2)
    /// ```
    public static func avgPool2d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        _avgPool(input, kernel: kernelSize.expanded(2, "kernel_size"), stride: (stride ?? kernelSize).expanded(2, "stride"),
                 padding: padding.expanded(2, "padding"), ceilMode: ceilMode, countIncludePad: countIncludePad,
                 divisorOverride: divisorOverride, spatial: 2)
    }

    /// Average pooling over `[N, C, D, H, W]` (or unbatched), like `F.avg_pool3d` (`AvgPool3DBackward0`).
    public static func avgPool3d(_ input: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil, padding: SpatialSize = 0,
                                 ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        _avgPool(input, kernel: kernelSize.expanded(3, "kernel_size"), stride: (stride ?? kernelSize).expanded(3, "stride"),
                 padding: padding.expanded(3, "padding"), ceilMode: ceilMode, countIncludePad: countIncludePad,
                 divisorOverride: divisorOverride, spatial: 3)
    }

    static func _avgPool(_ input: Tensor, kernel: [Int], stride: [Int], padding: [Int], ceilMode: Bool, countIncludePad: Bool,
                         divisorOverride: Int?, spatial: Int) -> Tensor {
        _checkPoolInput(input, spatial: spatial)
        let x = input
        _checkFloat(input, "avg_pool\(spatial)d")
        if let divisorOverride, divisorOverride == 0 { _fail("divisor must be not zero") }
        let ones = [Int](repeating: 1, count: spatial)
        let out = _poolOutput(x, kernel: kernel, stride: stride, padding: padding, dilation: ones, ceilMode: ceilMode, spatial: spatial)
        let windows = _PoolWindows(input: _lead3(Array(x.shape.suffix(spatial))), output: _lead3(out), kernel: _lead3(kernel), stride: _lead3(stride),
                                   padding: _lead3(padding, 0), dilation: [1, 1, 1], countIncludePad: countIncludePad)
        let name: StaticString = spatial == 2 ? "AvgPool2DBackward0" : "AvgPool3DBackward0"
        return _windowAverage(x, windows, outputShape: Array(x.shape.dropLast(spatial)) + out, spatial: spatial, divisorOverride: divisorOverride, name: name)
    }

    /// Averages over `windows`, recorded as `name`; its gradient spreads each output's share
    /// back over the window, and that map's own gradient is the average again.
    private static func _windowAverage(_ x: Tensor, _ windows: _PoolWindows, outputShape: [Int], spatial: Int, divisorOverride: Int?,
                                       name: StaticString) -> Tensor {
        let y = Tensor(uninitializedShape: outputShape, dtype: x.dtype)
        let src = x.contiguous()
        let planes = Shape.count(Array(outputShape.dropLast(spatial)))
        let forward: () -> Void
        switch x.dtype {
        case .float32:
            let (ps, py) = (src.pointer(Float.self), y.pointer(Float.self))
            forward = { windows.average(ps, planes: planes, py, divisorOverride: divisorOverride) }
        default:
            let (ps, py) = (src.pointer(Double.self), y.pointer(Double.self))
            forward = { windows.average(ps, planes: planes, py, divisorOverride: divisorOverride) }
        }
        forward()
        if _CaptureTape.isActive { _CaptureTape.record(forward, writes: y, reads: src) }
        let inputShape = x.shape
        // A channels-last input gives a channels-last result (ATen's `suggest_memory_format`).
        return (x._suggestsChannelsLast ? y._channelsLastCopy() : y)._recorded(name, x) { g, _ in
            (_linearBackward(g, "AvgPoolBackwardBackward0", {
                let gx = Tensor.zeros(inputShape, dtype: g.dtype)
                let gc = g.contiguous()
                let backward: () -> Void
                switch g.dtype {
                case .float32:
                    let (pg, px) = (gc.pointer(Float.self), gx.pointer(Float.self))
                    backward = { windows.averageBackward(pg, planes: planes, px, divisorOverride: divisorOverride) }
                default:
                    let (pg, px) = (gc.pointer(Double.self), gx.pointer(Double.self))
                    backward = { windows.averageBackward(pg, planes: planes, px, divisorOverride: divisorOverride) }
                }
                backward()
                // Adds into the zeros, which a replay clears again first.
                if _CaptureTape.isActive { _CaptureTape.record(backward, writes: gx, inPlace: true, reads: [gc]) }
                return gx
            }, adjoint: { gg in _windowAverage(gg, windows, outputShape: outputShape, spatial: spatial, divisorOverride: divisorOverride, name: name) }), nil)
        }
    }

    // MARK: Adaptive pooling

    /// Average pooling to a fixed output length, like `F.adaptive_avg_pool1d`.
    public static func adaptiveAvgPool1d(_ input: Tensor, outputSize: Int) -> Tensor {
        if input.rank != 2 && input.rank != 3 { _fail("adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got \(_shapeString(input.shape))") }
        return adaptiveAvgPool2d(input.unsqueeze(-2), outputSize: [1, outputSize]).squeeze(-2)
    }

    /// Average pooling to a fixed output size, like `F.adaptive_avg_pool2d`
    /// (`AdaptiveAvgPool2DBackward0`; a 1x1 output is a mean, `MeanBackward1`, as in PyTorch):
    /// output `o` of `out` averages inputs `floor(o·in/out) ..< ceil((o+1)·in/out)`.
    ///
    /// ```swift
    /// let features = Tensor.adaptiveAvgPool2d(x, outputSize: 1)   // global average pooling
    /// ```
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: SpatialSize) -> Tensor {
        if input.rank != 3 && input.rank != 4 { _fail("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got \(_shapeString(input.shape))") }
        _checkFloat(input, "adaptive_avg_pool2d")
        let out = outputSize.expanded(2, "output_size")
        if out == [1, 1] { return input.mean(dims: [-1, -2], keepDim: true) }
        let x = input
        let windows = _PoolWindows(adaptiveInput: _lead3(Array(x.shape.suffix(2))), output: _lead3(out))
        return _windowAverage(x, windows, outputShape: Array(x.shape.dropLast(2)) + out, spatial: 2, divisorOverride: nil, name: "AdaptiveAvgPool2DBackward0")
    }

    /// Max pooling to a fixed output size, like `F.adaptive_max_pool2d` (`AdaptiveMaxPool2DBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.adaptiveMaxPool2d(x, outputSize: [2, 2])
    /// ```
    public static func adaptiveMaxPool2d(_ input: Tensor, outputSize: SpatialSize) -> Tensor {
        adaptiveMaxPool2dWithIndices(input, outputSize: outputSize).values
    }

    /// ``adaptiveMaxPool2d(_:outputSize:)`` with each maximum's flat position in its plane.
    public static func adaptiveMaxPool2dWithIndices(_ input: Tensor, outputSize: SpatialSize) -> (values: Tensor, indices: Tensor) {
        if input.rank != 3 && input.rank != 4 { _fail("adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: \(_shapeString(input.shape))") }
        _checkFloat(input, "adaptive_max_pool2d")
        let out = outputSize.expanded(2, "output_size")
        let x = input
        let windows = _PoolWindows(adaptiveInput: _lead3(Array(x.shape.suffix(2))), output: _lead3(out))
        let shape = Array(x.shape.dropLast(2)) + out
        let planes = Shape.count(Array(x.shape.dropLast(2)))
        var results = _windowMaxUnit(x, windows, outputShape: shape, planes: planes)
        if x._suggestsChannelsLast { results = results.map { $0._channelsLastCopy() } }
        let (values, indices) = (results[0], results[1])
        let inputShape = x.shape
        values._recorded("AdaptiveMaxPool2DBackward0", x) { g, _ in (Tensor._gradientAtIndices(g, indices, inputShape: inputShape, spatial: 2), nil) }
        return (values, indices)
    }

    // MARK: Unpooling

    /// Puts each value back where ``maxPool2dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)``
    /// found it, zeros elsewhere, like `F.max_unpool2d` (`MaxUnpool2DBackward0`).
    ///
    /// ```swift
    /// let (y, i) = Tensor.maxPool2dWithIndices(x, kernelSize: 2)
    /// let back = Tensor.maxUnpool2d(y, indices: i, kernelSize: 2)   // x's shape, maxima in place
    /// ```
    public static func maxUnpool2d(_ input: Tensor, indices: Tensor, kernelSize: SpatialSize, stride: SpatialSize? = nil,
                                   padding: SpatialSize = 0, outputSize: [Int]? = nil) -> Tensor {
        let kernel = kernelSize.expanded(2, "kernel_size"), step = (stride ?? kernelSize).expanded(2, "stride")
        let pad = padding.expanded(2, "padding")
        if input.rank != 3 && input.rank != 4 { _fail("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with \(input.rank) dimensions.") }
        if indices.shape != input.shape { _fail("Expected shape of indices to be same as that of the input tensor (\(_shapeString(input.shape))) but got indices tensor with shape: \(_shapeString(indices.shape))") }
        if indices.dtype != .int64 { _fail("elements in indices should be type int64 but got: \(indices.dtype.cppName)") }
        _checkFloat(input, "max_unpooling2d_forward_out")
        let (x, unbatched) = input.rank == 3 ? (input.unsqueeze(0), true) : (input, false)
        let idx = (input.rank == 3 ? indices.unsqueeze(0) : indices).contiguous()
        var defaultSize: [Int] = []
        for d in 0..<2 { defaultSize.append((x.shape[2 + d] - 1) * step[d] - 2 * pad[d] + kernel[d]) }
        var size = defaultSize
        if let outputSize {
            let given = outputSize.count == input.rank ? Array(outputSize.suffix(2)) : outputSize
            if given.count != 2 { _fail("output_size should be a sequence containing 2 or 4 elements, but it has a length of '\(outputSize.count)'") }
            for d in 0..<2 {
                let lo = defaultSize[d] - step[d], hi = defaultSize[d] + step[d]
                if given[d] <= lo || given[d] >= hi {
                    _fail("invalid output_size \"\(_shapeString(given))\" (dim \(d) must be between \(lo + 1) and \(hi - 1))")
                }
            }
            size = given
        }
        let planes = x.shape[0] * x.shape[1], outVolume = x.shape[2] * x.shape[3], volume = size[0] * size[1]
        let outShape = [x.shape[0], x.shape[1]] + size
        // The positions are read through pointers: inside a compiled step a unit, which checks
        // and reads them again on every replay.
        let y = _CaptureTape.opaque([x, idx]) { t -> [Tensor] in
            let (x, idx) = (t[0]!, t[1]!)
            let bound = Int64(volume)
            let ip = idx.pointer(Int64.self)
            for i in 0..<(planes * outVolume) where ip[i] < 0 || ip[i] >= bound {
                _fail("Found an invalid max index: \(ip[i]) (output volumes are of size \(size[0])x\(size[1])")
            }
            let y = Tensor.zeros(outShape, dtype: x.dtype)
            let src = x.contiguous()
            switch x.dtype {
            case .float32: _scatterToPlanes(src.pointer(Float.self), ip, planes: planes, outputVolume: outVolume, y.pointer(Float.self), inputVolume: volume, accumulate: false)
            default: _scatterToPlanes(src.pointer(Double.self), ip, planes: planes, outputVolume: outVolume, y.pointer(Double.self), inputVolume: volume, accumulate: false)
            }
            return [y]
        }[0]
        let xShape = x.shape
        y._recorded("MaxUnpool2DBackward0", x) { g, _ -> (Tensor?, Tensor?) in
            (g.flatten(start: 2).gather(2, idx.flatten(start: 2)).view(xShape), nil)
        }
        return unbatched ? y.squeeze(0) : y
    }
}

/// Pads spatial sizes to three with leading `value`s.
func _lead3(_ sizes: [Int], _ value: Int = 1) -> [Int] {
    Array(repeating: value, count: 3 - sizes.count) + sizes
}
