// Resampling images: interpolate (nearest, linear, bilinear, bicubic, trilinear), pixel
// shuffles, and the spatial-transformer pair affineGrid / gridSample.

/// Scale factors for `interpolate`: one for every spatial dimension (`2`, `1.5`) or one each.
///
/// ```swift
/// let y = Tensor.interpolate(x, scaleFactor: [2, 1.5], mode: .bilinear)
/// ```
public struct SpatialScale: Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    /// The factors as given.
    public let values: [Double]
    /// The value a literal writes.
    public init(floatLiteral value: Double) { values = [value] }
    /// The value a literal writes.
    public init(integerLiteral value: Int) { values = [Double(value)] }
    /// The value a literal writes.
    public init(arrayLiteral elements: Double...) { values = elements }
    /// One factor per spatial dimension (or a single one for all).
    public init(_ values: [Double]) { self.values = values }
}

extension Tensor {
    /// Resizes `[N, C, …]` by `size` or `scaleFactor`, like `F.interpolate`
    /// (`UpsampleNearest2DBackward0`, `UpsampleBilinear2DBackward0`, …).
    ///
    /// `alignCorners` (linear and cubic modes only) maps the corner samples of input and output
    /// onto each other; without it samples are taken at pixel centres, as PyTorch does.
    /// `antialias` (bilinear and bicubic) widens the filter when shrinking, as
    /// `F.interpolate(..., antialias=True)` and torchvision's resizes do.
    ///
    /// ```swift
    /// let up = Tensor.interpolate(x, scaleFactor: 2)                                  // nearest
    /// let smooth = Tensor.interpolate(x, size: [32, 32], mode: .bilinear, alignCorners: false)
    /// ```
    public static func interpolate(_ input: Tensor, size: SpatialSize? = nil, scaleFactor: SpatialScale? = nil,
                                   mode: InterpolationMode = .nearest, alignCorners: Bool? = nil, antialias: Bool = false) -> Tensor {
        let spatial = input.rank - 2
        if antialias && !((mode == .bilinear || mode == .bicubic) && input.rank == 4) {
            _fail("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor as input")
        }
        if alignCorners != nil && mode == .nearest {
            _fail("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
        }
        if spatial < 1 || spatial > 3 {
            _fail("Input Error: Only 3D, 4D and 5D input Tensors supported (got \(input.rank)D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got \(mode.rawValue))")
        }
        if let needed = mode.spatialRank, needed != spatial {
            _fail("Got \(input.rank)D input, but \(mode.rawValue) mode needs \(needed + 2)D input")
        }
        if size != nil && scaleFactor != nil { _fail("only one of size or scale_factor should be defined") }
        if !input.dtype.isFloatingPoint { _fail("\"upsample_\(mode.rawValue)\" not implemented for '\(input.dtype.cppName)'") }
        let inSizes = Array(input.shape[2...])
        var outSizes: [Int], scales: [Double?]
        if let size {
            if size.values.count != 1 && size.values.count != spatial {
                _fail("Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of \(_shapeString(inSizes)) and output size of \(size). Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            }
            outSizes = size.expanded(spatial, "size")
            scales = Array(repeating: nil, count: spatial)
        } else if let scaleFactor {
            if scaleFactor.values.count != 1 && scaleFactor.values.count != spatial {
                _fail("Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of \(_shapeString(inSizes)) and scale_factor of shape \(scaleFactor.values). Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            }
            let factors = scaleFactor.values.count == 1 ? Array(repeating: scaleFactor.values[0], count: spatial) : scaleFactor.values
            outSizes = (0..<spatial).map { Int((Double(inSizes[$0]) * factors[$0]).rounded(.down)) }
            scales = factors
        } else {
            _fail("either size or scale_factor should be defined")
        }
        if outSizes.contains(where: { $0 <= 0 }) {
            _fail("Input and output sizes should be greater than 0, but got input (\(inSizes.map(String.init).joined(separator: ", "))) and output (\(outSizes.map(String.init).joined(separator: ", ")))")
        }
        var indices: [[[Int]]] = [[[0]], [[0]], [[0]]], weights: [[[Double]]] = [[[1]], [[1]], [[1]]]
        for d in 0..<spatial {
            let slot = 3 - spatial + d
            let align = alignCorners ?? false
            let taps: ([[Int]], [[Double]])
            switch (mode, input.dtype) {
            case (_, .float32) where antialias:
                taps = _ResampleTaps.antialiased(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d],
                                                 cubic: mode == .bicubic, Float.self)
            case (_, _) where antialias:
                taps = _ResampleTaps.antialiased(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d],
                                                 cubic: mode == .bicubic, Double.self)
            case (.nearest, _): taps = _ResampleTaps.nearest(input: inSizes[d], output: outSizes[d], scale: scales[d])
            case (.bicubic, .float32): taps = _ResampleTaps.cubic(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d], Float.self)
            case (.bicubic, _): taps = _ResampleTaps.cubic(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d], Double.self)
            case (_, .float32): taps = _ResampleTaps.linear(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d], Float.self)
            default: taps = _ResampleTaps.linear(input: inSizes[d], output: outSizes[d], alignCorners: align, scale: scales[d], Double.self)
            }
            indices[slot] = taps.0
            weights[slot] = taps.1
        }
        let resampler = _Resampler(input: _lead3(inSizes), output: _lead3(outSizes), indices: indices, weights: weights)
        let name: StaticString
        switch (mode, spatial) {
        case (.nearest, 1): name = "UpsampleNearest1DBackward0"
        case (.nearest, 2): name = "UpsampleNearest2DBackward0"
        case (.nearest, _): name = "UpsampleNearest3DBackward0"
        case (.linear, _): name = "UpsampleLinear1DBackward0"
        case (.bilinear, _): name = antialias ? "UpsampleBilinear2DAaBackward0" : "UpsampleBilinear2DBackward0"
        case (.bicubic, _): name = antialias ? "UpsampleBicubic2DAaBackward0" : "UpsampleBicubic2DBackward0"
        case (.trilinear, _): name = "UpsampleTrilinear3DBackward0"
        }
        return _resample(input, resampler, outputShape: Array(input.shape.prefix(2)) + outSizes, name: name)
    }

    private static func _resample(_ x: Tensor, _ resampler: _Resampler, outputShape: [Int], name: StaticString) -> Tensor {
        let y = Tensor(uninitializedShape: outputShape, dtype: x.dtype)
        let src = x.contiguous(), planes = outputShape[0] * outputShape[1]
        let forward: () -> Void
        switch x.dtype {
        case .float32:
            let (ps, py) = (src.pointer(Float.self), y.pointer(Float.self))
            forward = { resampler.forward(ps, planes: planes, py) }
        default:
            let (ps, py) = (src.pointer(Double.self), y.pointer(Double.self))
            forward = { resampler.forward(ps, planes: planes, py) }
        }
        forward()
        if _CaptureTape.isActive { _CaptureTape.record(forward, writes: y, reads: src) }
        let inputShape = x.shape
        return y._recorded(name, x) { g, _ in
            (_linearBackward(g, "UpsampleBackwardBackward0", {
                let gx = Tensor.zeros(inputShape, dtype: g.dtype)
                let gc = g.contiguous()
                let backward: () -> Void
                switch g.dtype {
                case .float32:
                    let (pg, px) = (gc.pointer(Float.self), gx.pointer(Float.self))
                    backward = { resampler.backward(pg, planes: planes, px) }
                default:
                    let (pg, px) = (gc.pointer(Double.self), gx.pointer(Double.self))
                    backward = { resampler.backward(pg, planes: planes, px) }
                }
                backward()
                // Adds into the zeros, which a replay clears again first.
                if _CaptureTape.isActive { _CaptureTape.record(backward, writes: gx, inPlace: true, reads: [gc]) }
                return gx
            }, adjoint: { gg in _resample(gg, resampler, outputShape: outputShape, name: name) }), nil)
        }
    }

    // MARK: Pixel shuffles

    /// Rearranges `[*, C·r², H, W]` into `[*, C, H·r, W·r]`, like `F.pixel_shuffle`
    /// (`PixelShuffleBackward0`): sub-pixel convolution's upsampling.
    ///
    /// ```swift
    /// let y = Tensor.pixelShuffle(x, upscaleFactor: 2)   // [1, 8, 3, 3] -> [1, 2, 6, 6]
    /// ```
    public static func pixelShuffle(_ input: Tensor, upscaleFactor r: Int) -> Tensor {
        if input.rank < 3 { _fail("pixel_shuffle expects input to have at least 3 dimensions, but got input with \(input.rank) dimension(s)") }
        if r <= 0 { _fail("pixel_shuffle expects a positive upscale_factor, but got \(r)") }
        let s = input.shape, n = s.count
        let (c, h, w) = (s[n - 3], s[n - 2], s[n - 1])
        if c % (r * r) != 0 {
            _fail("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=\(c) is not divisible by \(r * r)")
        }
        let lead = Array(s.prefix(n - 3))
        let out = noGrad {
            input.reshape(lead + [c / (r * r), r, r, h, w])
                .permute(Array(0..<lead.count) + [lead.count, lead.count + 3, lead.count + 1, lead.count + 4, lead.count + 2].map { $0 })
                .reshape(lead + [c / (r * r), h * r, w * r])
        }
        return out._recorded("PixelShuffleBackward0", input) { g, _ in (pixelUnshuffle(g, downscaleFactor: r), nil) }
    }

    /// Rearranges `[*, C, H·r, W·r]` into `[*, C·r², H, W]`, like `F.pixel_unshuffle`
    /// (`PixelUnshuffleBackward0`), the inverse of ``pixelShuffle(_:upscaleFactor:)``.
    public static func pixelUnshuffle(_ input: Tensor, downscaleFactor r: Int) -> Tensor {
        if input.rank < 3 { _fail("pixel_unshuffle expects input to have at least 3 dimensions, but got input with \(input.rank) dimension(s)") }
        if r <= 0 { _fail("pixel_unshuffle expects a positive downscale_factor, but got \(r)") }
        let s = input.shape, n = s.count
        let (c, h, w) = (s[n - 3], s[n - 2], s[n - 1])
        if h % r != 0 { _fail("pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=\(h) is not divisible by \(r)") }
        if w % r != 0 { _fail("pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=\(w) is not divisible by \(r)") }
        let lead = Array(s.prefix(n - 3)), k = lead.count
        let out = noGrad {
            input.reshape(lead + [c, h / r, r, w / r, r])
                .permute(Array(0..<k) + [k, k + 2, k + 4, k + 1, k + 3])
                .reshape(lead + [c * r * r, h / r, w / r])
        }
        return out._recorded("PixelUnshuffleBackward0", input) { g, _ in (pixelShuffle(g, upscaleFactor: r), nil) }
    }

    // MARK: Spatial transformers

    /// The sampling grid `[N, H, W, 2]` of 2-D affine maps `theta` (`[N, 2, 3]`) for an output
    /// of `size` `[N, C, H, W]`, like `F.affine_grid` (`AffineGridGeneratorBackward0`); pass it
    /// to ``gridSample(_:grid:mode:paddingMode:alignCorners:)``.
    ///
    /// ```swift
    /// let theta = Tensor([[[1, 0, 0], [0, 1, 0]]])                      // the identity
    /// let grid = Tensor.affineGrid(theta, size: [1, 1, 4, 4], alignCorners: false)
    /// ```
    public static func affineGrid(_ theta: Tensor, size: [Int], alignCorners: Bool = false) -> Tensor {
        if !theta.dtype.isFloatingPoint {
            _fail("Expected theta to have floating point type, but got \(theta.dtype.cppName)")
        }
        let spatial = size.count - 2
        if spatial != 2 && spatial != 3 {
            _fail("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size \(_shapeString(size)).")
        }
        let rows = spatial, cols = spatial + 1
        if theta.rank != 3 || theta.shape[0] != size[0] || theta.shape[1] != rows || theta.shape[2] != cols {
            _fail("Expected a batch of \(spatial)D affine matrices of shape Nx\(rows)x\(cols) for size (\(size.map(String.init).joined(separator: ", "))). Got torch.Size(\(_shapeString(theta.shape))).")
        }
        if size.contains(where: { $0 <= 0 }) { _fail("Expected non-zero, positive output size. Got \(_shapeString(size))") }
        // The base grid [points, spatial + 1]: x varies fastest, then y (then z), and a 1.
        let points = Shape.count(Array(size.suffix(spatial)))
        // Made from the sizes alone, outside any capture: a compiled step keeps it as a constant.
        let base = _CaptureTape.suspended { noGrad { () -> Tensor in
            let axes = size.suffix(spatial).reversed().map { _affineRange($0, alignCorners: alignCorners, dtype: theta.dtype) }
            var columns: [Tensor] = []
            let grids = Tensor.meshgrid(axes.reversed(), indexing: "ij")   // [D?, H, W] each, last axis is x
            for grid in grids.reversed() { columns.append(grid.reshape([points])) }
            columns.append(Tensor.ones([points], dtype: theta.dtype))
            return Tensor.stack(columns, dim: 1)                        // [points, spatial + 1]
        } }
        let outShape = [size[0]] + Array(size.suffix(spatial)) + [spatial]
        let out = noGrad { base.matmul(theta.mT).reshape(outShape) }
        return out._recorded("AffineGridGeneratorBackward0", theta) { g, _ in
            (g.reshape([size[0], points, spatial]).mT.matmul(base), nil)
        }
    }

    /// PyTorch's `linspace_from_neg_one`.
    private static func _affineRange(_ steps: Int, alignCorners: Bool, dtype: DType) -> Tensor {
        if steps <= 1 { return Tensor.zeros([1], dtype: dtype) }
        let range = Tensor.linspace(-1, 1, steps, dtype: dtype)
        return alignCorners ? range : range * Double(steps - 1) / Double(steps)
    }
}
