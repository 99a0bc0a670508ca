// Padding and sliding windows: pad (constant, reflect, replicate, circular), Tensor.unfold
// (windows along a dimension, a view), and im2col/col2im (`F.unfold`/`F.fold`).

/// How `pad` fills the border, as `torch.nn.functional.pad`'s `mode`.
public enum PaddingMode: String, Sendable {
    /// A constant value (`"constant"`).
    case constant
    /// The mirror image without repeating the edge (`"reflect"`).
    case reflect
    /// The edge value repeated (`"replicate"`).
    case replicate
    /// The other end of the dimension (`"circular"`).
    case circular
}

extension Tensor {
    /// Pads (or, with negative amounts, crops) the last dimensions, like `F.pad`: `padding`
    /// lists (before, after) pairs starting from the last dimension.
    ///
    /// ```swift
    /// let padded = x.pad([1, 2])                        // last dim: 1 before, 2 after, zeros
    /// let mirrored = images.pad([1, 1, 1, 1], mode: .reflect)
    /// ```
    public func pad(_ padding: [Int], mode: PaddingMode = .constant, value: Double = 0) -> Tensor {
        if padding.count % 2 != 0 { _fail("Padding length must be divisible by 2") }
        let pairs = padding.count / 2
        if pairs > rank { _fail("Padding length should be less than or equal to two times the input dimension but got padding length \(padding.count) and input of dimension \(rank)") }
        if mode == .constant { return _constantPad(padding, value) }
        if !dtype.isFloatingPoint && mode != .circular { _fail("\"\(mode.rawValue)_pad\" not implemented for '\(dtype.cppName)'") }
        if pairs > 3 || rank < pairs + 1 || rank > pairs + 2 {
            _fail("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
        }
        // The index of the source element for every output position along each padded dim.
        var plan: [(Int, [Int64])] = []
        for k in 0..<pairs {
            let d = rank - 1 - k
            let (before, after) = (padding[2 * k], padding[2 * k + 1])
            let n = shape[d]
            if mode == .reflect && (before >= n || after >= n) {
                _fail("Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(before), \(after)) at dimension \(d) of input \(shape)")
            }
            if mode == .circular && (before > n || after > n) {
                _fail("Padding value causes wrapping around more than once.")
            }
            let index: [Int64] = (-before..<(n + after)).map { i in
                switch mode {
                case .reflect: Int64(i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i))
                case .replicate: Int64(Swift.min(Swift.max(i, 0), n - 1))
                default: Int64(((i % n) + n) % n)
                }
            }
            plan.append((d, index))
        }
        let out = noGrad { () -> Tensor in
            var t = self
            for (d, index) in plan { t = t.indexSelect(d, Tensor._shapeConstant(index)) }
            return t
        }
        let input = shape
        let backward: (Tensor, AutogradNode) -> (Tensor?, Tensor?) = { g, _ in
            var grad = g
            for (d, index) in plan.reversed() {
                var s = grad.shape
                s[d] = input[d]
                grad = Tensor.zeros(s, dtype: g.dtype).indexAdd(d, Tensor._shapeConstant(index), grad)
            }
            return (grad, nil)
        }
        switch (mode, pairs) {
        case (.reflect, 1): return out._recorded("ReflectionPad1DBackward0", self) { backward($0, $1) }
        case (.reflect, 2): return out._recorded("ReflectionPad2DBackward0", self) { backward($0, $1) }
        case (.reflect, _): return out._recorded("ReflectionPad3DBackward0", self) { backward($0, $1) }
        case (.replicate, 1): return out._recorded("ReplicationPad1DBackward0", self) { backward($0, $1) }
        case (.replicate, 2): return out._recorded("ReplicationPad2DBackward0", self) { backward($0, $1) }
        case (.replicate, _): return out._recorded("ReplicationPad3DBackward0", self) { backward($0, $1) }
        default: return out._recorded("CopySlices", self) { backward($0, $1) }
        }
    }

    private func _constantPad(_ padding: [Int], _ value: Double) -> Tensor {
        var outShape = shape
        var source = self   // the part of self that survives cropping
        var region: [(Int, Int, Int)] = []   // (dim, start in the output, length)
        for k in 0..<(padding.count / 2) {
            let d = rank - 1 - k
            let (before, after) = (padding[2 * k], padding[2 * k + 1])
            let newSize = shape[d] + before + after
            if newSize < 0 {
                _fail("The input size \(shape[d]), plus negative padding \(before) and \(after) resulted in a negative output size, which is invalid. Check dimension \(d) of your input.")
            }
            outShape[d] = newSize
            let cropBefore = Swift.max(0, -before), cropAfter = Swift.max(0, -after)
            let kept = Swift.max(0, shape[d] - cropBefore - cropAfter)
            source = noGrad { source.narrow(d, Swift.min(cropBefore, shape[d]), kept) }
            region.append((d, Swift.max(0, before), kept))
        }
        let out = Tensor.full(outShape, value, dtype: dtype)
        noGrad {
            var target = out
            for (d, start, length) in region { target = target.narrow(d, start, length) }
            target._copyRaw(source)
        }
        return out._recorded("ConstantPadNdBackward0", self) { g, _ in (g.pad(padding.map { -$0 }), nil) }
    }

    /// Windows of `size` elements along `dimension`, `step` apart, as a view with the window
    /// as a new last dimension (`UnfoldBackward0`), like `Tensor.unfold`.
    ///
    /// ```swift
    /// Tensor.arange(7.0).unfold(0, 3, 2)   // [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    /// ```
    public func unfold(_ dimension: Int, _ size: Int, _ step: Int) -> Tensor {
        let d = rank == 0 ? 0 : Shape.wrap(dimension, rank: rank)
        let n = rank == 0 ? 1 : shape[d]
        if size > n { _fail("maximum size for tensor at dimension \(d) is \(n) but size is \(size)") }
        if step <= 0 { _fail("step is \(step) but must be > 0") }
        let windows = (n - size) / step + 1
        var s = shape, st = strides
        if rank > 0 {
            s[d] = windows
            st[d] = strides[d] * step
        }
        s.append(size)
        st.append(rank == 0 ? 1 : strides[d])
        let input = shape, dtype = self.dtype
        return _view(shape: s, strides: st, offset: storageOffset)._recorded("UnfoldBackward0", self) { g, _ in
            (Tensor._linearBackward(g, "UnfoldBackwardBackward0", {
                let full = Tensor.zeros(input, dtype: dtype)
                for j in 0..<size {
                    let target = input.isEmpty ? full : full._slice(d, j, j + step * (windows - 1) + 1, step)
                    target._addInPlaceNoGraph(g.select(-1, j))
                }
                return full
            }, adjoint: { $0.unfold(d, size, step) }), nil)
        }
    }

    /// Sliding blocks of a batch of images as columns (`Im2ColBackward0`), like `F.unfold`:
    /// `[N, C, H, W]` to `[N, C·kh·kw, L]` with `L` blocks.
    ///
    /// ```swift
    /// let columns = images.unfold(kernelSize: [3, 3], padding: [1, 1])
    /// ```
    public func unfold(kernelSize: [Int], dilation: [Int] = [1, 1], padding: [Int] = [0, 0], stride: [Int] = [1, 1]) -> Tensor {
        let batched = rank == 4
        if rank != 3 && rank != 4 { _fail("Input Error: Only 3D or 4D input Tensors are supported (got \(rank)D)") }
        let x = batched ? self : unsqueeze(0)
        let g = _Im2Col(shape: x.shape, kernel: kernelSize, dilation: dilation, padding: padding, stride: stride)
        // The column loops write through pointers: inside a compiled step a unit.
        let out = _CaptureTape.opaque([x]) { t in [noGrad { g.im2col(t[0]!) }] }[0]
        let result = batched ? out : noGrad { out.squeeze(0) }
        return result._recorded("Im2ColBackward0", self) { grad, _ in
            let gb = batched ? grad : grad.unsqueeze(0)
            let back = gb.fold(outputSize: [g.height, g.width], kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
            return (batched ? back : back.squeeze(0), nil)
        }
    }

    /// Sums columns of sliding blocks back into images (`Col2ImBackward0`), like `F.fold`:
    /// `[N, C·kh·kw, L]` to `[N, C, H, W]`; overlapping positions add.
    public func fold(outputSize: [Int], kernelSize: [Int], dilation: [Int] = [1, 1], padding: [Int] = [0, 0], stride: [Int] = [1, 1]) -> Tensor {
        let batched = rank == 3
        if rank != 2 && rank != 3 { _fail("Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got \(rank)D)") }
        let x = batched ? self : unsqueeze(0)
        let blockSize = kernelSize[0] * kernelSize[1]
        if x.shape[1] % blockSize != 0 {
            _fail("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=\(x.shape[1]) and kernel_size=(\(kernelSize[0]), \(kernelSize[1])).")
        }
        let g = _Im2Col(shape: [x.shape[0], x.shape[1] / blockSize] + outputSize, kernel: kernelSize, dilation: dilation, padding: padding, stride: stride)
        if x.shape[2] != g.blocks {
            _fail("Given output_size=(\(outputSize[0]), \(outputSize[1])), kernel_size=(\(kernelSize[0]), \(kernelSize[1])), dilation=(\(dilation[0]), \(dilation[1])), padding=(\(padding[0]), \(padding[1])), stride=(\(stride[0]), \(stride[1])), expected size of input's dimension 2 to match the calculated number of sliding blocks \(g.outHeight) * \(g.outWidth) = \(g.blocks), but got input.size(2)=\(x.shape[2]).")
        }
        let out = _CaptureTape.opaque([x]) { t in [noGrad { g.col2im(t[0]!) }] }[0]
        let result = batched ? out : noGrad { out.squeeze(0) }
        return result._recorded("Col2ImBackward0", self) { grad, _ in
            let gb = batched ? grad : grad.unsqueeze(0)
            let back = gb.unfold(kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
            return (batched ? back : back.squeeze(0), nil)
        }
    }
}

/// The geometry of im2col/col2im over `[N, C, H, W]` images.
struct _Im2Col {
    let batch: Int, channels: Int, height: Int, width: Int
    let kh: Int, kw: Int, dh: Int, dw: Int, ph: Int, pw: Int, sh: Int, sw: Int
    let outHeight: Int, outWidth: Int

    init(shape: [Int], kernel: [Int], dilation: [Int], padding: [Int], stride: [Int]) {
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (kh, kw) = (kernel[0], kernel[1])
        (dh, dw) = (dilation[0], dilation[1])
        (ph, pw) = (padding[0], padding[1])
        (sh, sw) = (stride[0], stride[1])
        if kh <= 0 || kw <= 0 { _fail("kernel size should be greater than zero, but got kernel_height: \(kh) kernel_width: \(kw)") }
        if sh <= 0 || sw <= 0 { _fail("stride should be greater than zero, but got stride_height: \(sh) stride_width: \(sw)") }
        if dh <= 0 || dw <= 0 { _fail("dilation should be greater than zero, but got dilation_height: \(dh) dilation_width: \(dw)") }
        outHeight = (height + 2 * ph - dh * (kh - 1) - 1) / sh + 1
        outWidth = (width + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        if outHeight < 1 || outWidth < 1 {
            _fail("Given input with spatial size (\(height), \(width)), kernel_size=(\(kh), \(kw)), dilation=(\(dh), \(dw)), padding=(\(ph), \(pw)), calculated shape of the array of sliding blocks as (\(outHeight), \(outWidth)), but its components must be at least one.")
        }
    }

    var blocks: Int { outHeight * outWidth }

    /// Visits every (image offset, column offset) pair that lies inside the image.
    private func forEachPair(_ body: (Int, Int) -> Void) {
        let rows = channels * kh * kw
        for n in 0..<batch {
            for c in 0..<channels {
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let row = (c * kh + ki) * kw + kj
                        for oi in 0..<outHeight {
                            let h = oi * sh - ph + ki * dh
                            if h < 0 || h >= height { continue }
                            for oj in 0..<outWidth {
                                let w = oj * sw - pw + kj * dw
                                if w < 0 || w >= width { continue }
                                body(((n * channels + c) * height + h) * width + w, (n * rows + row) * blocks + oi * outWidth + oj)
                            }
                        }
                    }
                }
            }
        }
    }

    func im2col(_ x: Tensor) -> Tensor {
        let src = x.contiguous()
        let out = Tensor.zeros([batch, channels * kh * kw, blocks], dtype: x.dtype)
        func run<T: _Element>(_: T.Type) {
            let ps = src.pointer(T.self), po = out.pointer(T.self)
            forEachPair { i, c in po[c] = ps[i] }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .bool: run(Bool.self)
        }
        return out
    }

    func col2im(_ columns: Tensor) -> Tensor {
        let src = columns.contiguous()
        let out = Tensor.zeros([batch, channels, height, width], dtype: columns.dtype)
        func run<T: _NumericElement>(_: T.Type) {
            let ps = src.pointer(T.self), po = out.pointer(T.self)
            forEachPair { i, c in po[i] = T._plus(po[i], ps[c]) }
        }
        switch columns.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: run(Int64.self)
        case .bool: _fail("\"col2im_out_cpu\" not implemented for 'Bool'")
        }
        return out
    }
}
