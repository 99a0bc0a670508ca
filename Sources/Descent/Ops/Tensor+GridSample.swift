// `F.grid_sample` for 4-D inputs: bilinear and nearest sampling at the grid's points, with
// zeros, border or reflection padding, following ATen's GridSampler.h formulas.

/// How ``Tensor/gridSample(_:grid:mode:paddingMode:alignCorners:)`` reads between pixels.
public enum GridSampleMode: String, Sendable {
    /// The four neighbours, weighted by distance.
    case bilinear
    /// The nearest pixel (halves round to even, as `nearbyint`).
    case nearest
    /// Cubic convolution (a = -0.75) over the 4 x 4 neighbours, padding applied per tap.
    case bicubic
}

/// What ``Tensor/gridSample(_:grid:mode:paddingMode:alignCorners:)`` reads outside the input.
public enum GridSamplePadding: String, Sendable {
    /// Zeros.
    case zeros
    /// The nearest border pixel.
    case border
    /// The input mirrored at its borders.
    case reflection
}

extension Tensor {
    /// Samples `input` (`[N, C, H, W]`) at the points of `grid` (`[N, Ho, Wo, 2]`, x then y,
    /// normalised to [-1, 1]), like `F.grid_sample` (`GridSampler2DBackward0`). Gradients flow
    /// to both the input and the grid; PyTorch has no second derivative for it, nor has Descent.
    ///
    /// ```swift
    /// let grid = Tensor.affineGrid(theta, size: [1, 1, 28, 28])
    /// let warped = Tensor.gridSample(image, grid: grid, alignCorners: false)
    /// ```
    public static func gridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode = .bilinear, paddingMode: GridSamplePadding = .zeros,
                                  alignCorners: Bool = false) -> Tensor {
        if input.dtype != grid.dtype {
            _fail("grid_sampler(): expected input and grid to have same dtype, but input has \(input.dtype.cppName) and grid has \(grid.dtype.cppName)")
        }
        if input.rank != 4 || grid.rank != 4 {
            _fail("grid_sampler(): expected 4D input and grid with same number of dimensions, but got input with sizes \(_shapeString(input.shape)) and grid with sizes \(_shapeString(grid.shape))")
        }
        if input.shape[0] != grid.shape[0] {
            _fail("grid_sampler(): expected grid and input to have same batch size, but got input with sizes \(_shapeString(input.shape)) and grid with sizes \(_shapeString(grid.shape))")
        }
        if grid.shape[3] != 2 {
            _fail("grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes \(_shapeString(grid.shape))")
        }
        if !input.dtype.isFloatingPoint { _fail("\"grid_sampler_2d_cpu\" not implemented for '\(input.dtype.cppName)'") }
        let sampler = _GridSampler(shape: input.shape, outHeight: grid.shape[1], outWidth: grid.shape[2], mode: mode,
                                   padding: paddingMode, alignCorners: alignCorners)
        // The sampler's loops write through pointers: inside a compiled step the forward and
        // backward passes are units of the plan.
        let out = _CaptureTape.opaque([input, grid]) { t in
            let x = t[0]!.contiguous(), gc = t[1]!.contiguous()
            let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], gc.shape[1], gc.shape[2]], dtype: x.dtype)
            switch x.dtype {
            case .float32: sampler.forward(x.pointer(Float.self), gc.pointer(Float.self), out.pointer(Float.self))
            default: sampler.forward(x.pointer(Double.self), gc.pointer(Double.self), out.pointer(Double.self))
            }
            return [out]
        }[0]
        return out._recorded("GridSampler2DBackward0", input, grid, saving: input, grid) { g, node in
            let grads = _CaptureTape.opaque([node.savedTensor(0), node.savedTensor(1), g]) { t in
                let (xs, gs, go) = (t[0]!.contiguous(), t[1]!.contiguous(), t[2]!.contiguous())
                let gInput = Tensor.zeros(xs.shape, dtype: xs.dtype), gGrid = Tensor.zeros(gs.shape, dtype: gs.dtype)
                switch xs.dtype {
                case .float32: sampler.backward(xs.pointer(Float.self), gs.pointer(Float.self), go.pointer(Float.self), gInput.pointer(Float.self), gGrid.pointer(Float.self))
                default: sampler.backward(xs.pointer(Double.self), gs.pointer(Double.self), go.pointer(Double.self), gInput.pointer(Double.self), gGrid.pointer(Double.self))
                }
                return [gInput, gGrid]
            }
            return (node.needsInputGrad(0) ? grads[0] : nil, node.needsInputGrad(1) ? grads[1] : nil)
        }
    }
}

struct _GridSampler {
    let batch: Int, channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    let mode: GridSampleMode, padding: GridSamplePadding, alignCorners: Bool

    init(shape: [Int], outHeight: Int, outWidth: Int, mode: GridSampleMode, padding: GridSamplePadding, alignCorners: Bool) {
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.mode = mode
        self.padding = padding
        self.alignCorners = alignCorners
    }

    /// ATen's `grid_sampler_unnormalize_set_grad`: the pixel coordinate of a grid coordinate,
    /// before padding, and its derivative.
    func unnormalize<T: BinaryFloatingPoint>(_ coord: T, _ size: Int) -> (T, T) {
        if alignCorners { return ((coord + 1) / 2 * T(size - 1), T(size - 1) / 2) }
        return (((coord + 1) * T(size) - 1) / 2, T(size) / 2)
    }

    /// ATen's `grid_sampler_compute_source_index_set_grad`: the pixel coordinate of a grid
    /// coordinate, and its derivative.
    func sourceIndex<T: BinaryFloatingPoint>(_ coord: T, _ size: Int) -> (T, T) {
        var (c, gradient) = unnormalize(coord, size)
        switch padding {
        case .zeros: break
        case .border:
            let (v, g) = clip(c, size)
            c = v
            gradient *= g
        case .reflection:
            let (r, g1) = alignCorners ? reflect(c, 0, T(2 * (size - 1))) : reflect(c, -1, T(2 * size - 1))
            let (v, g2) = clip(r, size)
            c = v
            gradient *= g1 * g2
        }
        return (c, gradient)
    }

    private func clip<T: BinaryFloatingPoint>(_ x: T, _ size: Int) -> (T, T) {
        if x <= 0 { return (0, 0) }
        let top = T(size - 1)
        if x >= top { return (top, 0) }
        return (x, 1)
    }

    private func reflect<T: BinaryFloatingPoint>(_ x: T, _ twiceLow: T, _ twiceHigh: T) -> (T, T) {
        if twiceLow == twiceHigh { return (0, 0) }
        var gradient: T = 1
        let low = twiceLow / 2, span = (twiceHigh - twiceLow) / 2
        var v = x - low
        if v < 0 {
            gradient = -1
            v = -v
        }
        let extra = v.truncatingRemainder(dividingBy: span)
        let flips = Int((v / span).rounded(.down))
        if flips % 2 == 0 { return (extra + low, gradient) }
        return (span - extra + low, -gradient)
    }

    private func inside(_ y: Int, _ x: Int) -> Bool { y >= 0 && y < height && x >= 0 && x < width }

    func forward<T: BinaryFloatingPoint & _NumericElement>(_ input: UnsafePointer<T>, _ grid: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
        let plane = height * width, outPlane = outHeight * outWidth
        for n in 0..<batch {
            for p in 0..<outPlane {
                let g = grid + (n * outPlane + p) * 2
                if mode == .bicubic {
                    let ix = unnormalize(g[0], width).0, iy = unnormalize(g[1], height).0
                    for c in 0..<channels {
                        out[(n * channels + c) * outPlane + p] = bicubic(input + (n * channels + c) * plane, ix, iy)
                    }
                    continue
                }
                let (ix, _) = sourceIndex(g[0], width), (iy, _) = sourceIndex(g[1], height)
                for c in 0..<channels {
                    let src = input + (n * channels + c) * plane
                    out[(n * channels + c) * outPlane + p] = sample(src, ix, iy)
                }
            }
        }
    }

    /// ATen's `compute_coordinates`: a tap's coordinate after padding (border and reflection).
    private func padded<T: BinaryFloatingPoint>(_ x: T, _ size: Int) -> T {
        switch padding {
        case .zeros: return x
        case .border: return clip(x, size).0
        case .reflection:
            let r = alignCorners ? reflect(x, 0, T(2 * (size - 1))).0 : reflect(x, -1, T(2 * size - 1)).0
            return clip(r, size).0
        }
    }

    /// The pixel at integer tap `(x, y)` after padding, or 0 outside (`get_value_bounded`).
    private func tap<T: BinaryFloatingPoint>(_ src: UnsafePointer<T>, _ x: Int, _ y: Int) -> T {
        let px = Int(padded(T(x), width)), py = Int(padded(T(y), height))
        return inside(py, px) ? src[py * width + px] : 0
    }

    /// The tap's gradient added in place, where `tap` read it (`add_value_bounded`).
    private func addTap<T: BinaryFloatingPoint>(_ dst: UnsafeMutablePointer<T>, _ x: Int, _ y: Int, _ value: T) {
        let px = Int(padded(T(x), width)), py = Int(padded(T(y), height))
        if inside(py, px) { dst[py * width + px] += value }
    }

    /// `get_cubic_upsample_coefficients` (A = -0.75).
    private func cubicCoefficients<T: BinaryFloatingPoint>(_ t: T) -> [T] {
        let a = T(-0.75)
        func c1(_ x: T) -> T { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func c2(_ x: T) -> T { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]
    }

    /// `get_cubic_coefficients_grad`: the coefficients' derivatives with respect to `t`, as
    /// ATen writes them (the caller subtracts).
    private func cubicCoefficientGradients<T: BinaryFloatingPoint>(_ t: T) -> [T] {
        let a = T(-0.75)
        var x = -1 - t
        let g0 = (-3 * a * x - 10 * a) * x - 8 * a
        x = -t
        let g1 = (-3 * (a + 2) * x - 2 * (a + 3)) * x
        x = 1 - t
        let g2 = (3 * (a + 2) * x - 2 * (a + 3)) * x
        x = 2 - t
        let g3 = (3 * a * x - 10 * a) * x + 8 * a
        return [g0, g1, g2, g3]
    }

    private func bicubic<T: BinaryFloatingPoint>(_ src: UnsafePointer<T>, _ ix: T, _ iy: T) -> T {
        let x0 = ix.rounded(.down), y0 = iy.rounded(.down)
        let wx = cubicCoefficients(ix - x0), wy = cubicCoefficients(iy - y0)
        let (bx, by) = (Int(x0), Int(y0))
        var out: T = 0
        for j in 0..<4 {
            var row: T = 0
            for i in 0..<4 { row += tap(src, bx - 1 + i, by - 1 + j) * wx[i] }
            out += row * wy[j]
        }
        return out
    }

    private func sample<T: BinaryFloatingPoint>(_ src: UnsafePointer<T>, _ ix: T, _ iy: T) -> T {
        switch mode {
        case .nearest:
            let x = Int(ix.rounded(.toNearestOrEven)), y = Int(iy.rounded(.toNearestOrEven))
            return inside(y, x) ? src[y * width + x] : 0
        case .bicubic:
            return bicubic(src, ix, iy)
        case .bilinear:
            let x0 = Int(ix.rounded(.down)), y0 = Int(iy.rounded(.down))
            let (x1, y1) = (x0 + 1, y0 + 1)
            let nw = (T(x1) - ix) * (T(y1) - iy), ne = (ix - T(x0)) * (T(y1) - iy)
            let sw = (T(x1) - ix) * (iy - T(y0)), se = (ix - T(x0)) * (iy - T(y0))
            var v: T = 0
            if inside(y0, x0) { v += src[y0 * width + x0] * nw }
            if inside(y0, x1) { v += src[y0 * width + x1] * ne }
            if inside(y1, x0) { v += src[y1 * width + x0] * sw }
            if inside(y1, x1) { v += src[y1 * width + x1] * se }
            return v
        }
    }

    func backward<T: BinaryFloatingPoint & _NumericElement>(_ input: UnsafePointer<T>, _ grid: UnsafePointer<T>, _ gOut: UnsafePointer<T>,
                                                          _ gInput: UnsafeMutablePointer<T>, _ gGrid: UnsafeMutablePointer<T>) {
        let plane = height * width, outPlane = outHeight * outWidth
        for n in 0..<batch {
            for p in 0..<outPlane {
                let g = grid + (n * outPlane + p) * 2
                if mode == .bicubic {
                    let (ix, mx) = unnormalize(g[0], width), (iy, my) = unnormalize(g[1], height)
                    let x0 = ix.rounded(.down), y0 = iy.rounded(.down)
                    let (tx, ty) = (ix - x0, iy - y0)
                    let wx = cubicCoefficients(tx), wy = cubicCoefficients(ty)
                    let dx = cubicCoefficientGradients(tx), dy = cubicCoefficientGradients(ty)
                    let (bx, by) = (Int(x0), Int(y0))
                    var gx: T = 0, gy: T = 0
                    for c in 0..<channels {
                        let src = input + (n * channels + c) * plane, dst = gInput + (n * channels + c) * plane
                        let go = gOut[(n * channels + c) * outPlane + p]
                        for i in 0..<4 {
                            for j in 0..<4 {
                                addTap(dst, bx - 1 + i, by - 1 + j, go * wx[i] * wy[j])
                                let v = tap(src, bx - 1 + i, by - 1 + j)
                                gx -= v * dx[i] * wy[j] * go
                                gy -= v * dy[j] * wx[i] * go
                            }
                        }
                    }
                    let out = gGrid + (n * outPlane + p) * 2
                    out[0] = mx * gx
                    out[1] = my * gy
                    continue
                }
                let (ix, mx) = sourceIndex(g[0], width), (iy, my) = sourceIndex(g[1], height)
                var gx: T = 0, gy: T = 0
                for c in 0..<channels {
                    let src = input + (n * channels + c) * plane, dst = gInput + (n * channels + c) * plane
                    let go = gOut[(n * channels + c) * outPlane + p]
                    switch mode {
                    case .nearest, .bicubic:
                        let x = Int(ix.rounded(.toNearestOrEven)), y = Int(iy.rounded(.toNearestOrEven))
                        if inside(y, x) { dst[y * width + x] += go }
                    case .bilinear:
                        let x0 = Int(ix.rounded(.down)), y0 = Int(iy.rounded(.down))
                        let (x1, y1) = (x0 + 1, y0 + 1)
                        let nw = (T(x1) - ix) * (T(y1) - iy), ne = (ix - T(x0)) * (T(y1) - iy)
                        let sw = (T(x1) - ix) * (iy - T(y0)), se = (ix - T(x0)) * (iy - T(y0))
                        if inside(y0, x0) {
                            let v = src[y0 * width + x0]
                            dst[y0 * width + x0] += nw * go
                            gx -= v * (T(y1) - iy) * go
                            gy -= v * (T(x1) - ix) * go
                        }
                        if inside(y0, x1) {
                            let v = src[y0 * width + x1]
                            dst[y0 * width + x1] += ne * go
                            gx += v * (T(y1) - iy) * go
                            gy -= v * (ix - T(x0)) * go
                        }
                        if inside(y1, x0) {
                            let v = src[y1 * width + x0]
                            dst[y1 * width + x0] += sw * go
                            gx -= v * (iy - T(y0)) * go
                            gy += v * (T(x1) - ix) * go
                        }
                        if inside(y1, x1) {
                            let v = src[y1 * width + x1]
                            dst[y1 * width + x1] += se * go
                            gx += v * (iy - T(y0)) * go
                            gy += v * (ix - T(x0)) * go
                        }
                    }
                }
                let out = gGrid + (n * outPlane + p) * 2
                out[0] = mx * gx
                out[1] = my * gy
            }
        }
    }
}
