import CDescentKernels

/// The shape of one convolution, for one, two or three spatial dimensions, held as three (a
/// missing leading dimension has size 1, so conv1d and conv2d run the conv3d loops).
///
/// A convolution is three bilinear maps over the same geometry, and each one's derivative is
/// written with the other two:
/// - `forward(x, w)`: the convolution itself, `[N, Cin, in…] -> [N, Cout, out…]`;
/// - `inputGradient(gy, w)`: the map back to the input's shape (a transposed convolution);
/// - `weightGradient(x, gy)`: the map to the weight's shape.
/// Each is one matrix product per image and group, images split over threads, against the
/// image's column matrix (im2col): in float32 the forward and weight-gradient products pack
/// its blocks straight from the image (`implicitProduct`, conv_gemm.c), so it is never
/// written out; the input gradient writes the columns and folds them back (col2im); float64
/// writes them out for all three. A 1x1 kernel reads the input in place.
struct _ConvGeometry: Equatable {
    let batch: Int, inChannels: Int, outChannels: Int, groups: Int
    /// Spatial sizes, three each (depth, height, width).
    let input: [Int], output: [Int], kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]

    var inputVolume: Int { input[0] * input[1] * input[2] }
    var outputVolume: Int { output[0] * output[1] * output[2] }
    var kernelVolume: Int { kernel[0] * kernel[1] * kernel[2] }
    var inPerGroup: Int { inChannels / groups }
    var outPerGroup: Int { outChannels / groups }
    /// Rows of one group's column matrix.
    var columnRows: Int { inPerGroup * kernelVolume }
    var inputShapeTail: [Int] { [inChannels] + input }
    /// A kernel that reads each input element once, in place: no im2col needed.
    var isPointwise: Bool {
        kernel == [1, 1, 1] && stride == [1, 1, 1] && padding == [0, 0, 0]
    }

    /// Output sizes for an input, from PyTorch's formula.
    static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    }

    // MARK: im2col / col2im for one image

    /// Kernel, stride, padding and dilation as triples, for loops that read them per row:
    /// read from the arrays there, each was a bounds check and a load, which cost more than
    /// the copy of a LeNet row of 8 or 24 values.
    private var triples: (k: (Int, Int, Int), s: (Int, Int, Int), p: (Int, Int, Int), d: (Int, Int, Int)) {
        func t(_ v: [Int]) -> (Int, Int, Int) { (v[0], v[1], v[2]) }
        return (t(kernel), t(stride), t(padding), t(dilation))
    }

    /// Writes the `[C·kvol, outVolume]` columns of the image at `src` (`[C, D, H, W]`).
    func im2col<T: _NumericElement>(_ src: UnsafePointer<T>, channels: Int, _ cols: UnsafeMutablePointer<T>) {
        let (D, H, W) = (input[0], input[1], input[2])
        let (OD, OH, OW) = (output[0], output[1], output[2])
        let (k, s, p, d) = triples
        let ov = outputVolume, iv = inputVolume
        var dst = cols
        for c in 0..<channels {
            let image = src + c &* iv
            for kd in 0..<k.0 {
                for kh in 0..<k.1 {
                    for kw in 0..<k.2 {
                        let (lo, hi) = validRange(kw, 2)
                        var out = dst
                        dst += ov
                        for od in 0..<OD {
                            let id = od &* s.0 &- p.0 &+ kd &* d.0
                            for oh in 0..<OH {
                                defer { out += OW }
                                let ih = oh &* s.1 &- p.1 &+ kh &* d.1
                                if id < 0 || id >= D || ih < 0 || ih >= H {
                                    out.update(repeating: .zero, count: OW)
                                    continue
                                }
                                let at: Int = (id &* H &+ ih) &* W &- p.2 &+ kw &* d.2, line = image + at
                                // Rows are short (an image's width): plain loops, which the
                                // compiler vectorises, instead of a memmove and memset call each.
                                var ow = 0
                                while ow < lo { out[ow] = .zero; ow &+= 1 }
                                if s.2 == 1 {
                                    while ow < hi { out[ow] = line[ow]; ow &+= 1 }
                                } else {
                                    while ow < hi { out[ow] = line[ow &* s.2]; ow &+= 1 }
                                }
                                while ow < OW { out[ow] = .zero; ow &+= 1 }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the `[C·kvol, outVolume]` columns back into the image at `dst` (`[C, D, H, W]`),
    /// which the caller has zeroed.
    func col2im<T: _NumericElement>(_ cols: UnsafePointer<T>, channels: Int, _ dst: UnsafeMutablePointer<T>) {
        let (D, H, W) = (input[0], input[1], input[2])
        let (OD, OH, OW) = (output[0], output[1], output[2])
        let (k, s, p, d) = triples
        let ov = outputVolume, iv = inputVolume
        var src = cols
        for c in 0..<channels {
            let image = dst + c &* iv
            for kd in 0..<k.0 {
                for kh in 0..<k.1 {
                    for kw in 0..<k.2 {
                        let (lo, hi) = validRange(kw, 2)
                        let rowStart = src
                        src += ov
                        for od in 0..<OD {
                            let id = od &* s.0 &- p.0 &+ kd &* d.0
                            if id < 0 || id >= D { continue }
                            for oh in 0..<OH {
                                let ih = oh &* s.1 &- p.1 &+ kh &* d.1
                                if ih < 0 || ih >= H { continue }
                                let fromAt: Int = (od &* OH &+ oh) &* OW, from = rowStart + fromAt
                                let at: Int = (id &* H &+ ih) &* W &- p.2 &+ kw &* d.2, line = image + at
                                var ow = lo
                                if s.2 == 1 {
                                    while ow < hi { line[ow] = T._plus(line[ow], from[ow]); ow &+= 1 }
                                } else {
                                    while ow < hi {
                                        let q = line + ow &* s.2
                                        q.pointee = T._plus(q.pointee, from[ow])
                                        ow &+= 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The output positions `lo..<hi` along dimension `d` whose input position, for kernel
    /// offset `k`, lies inside the input.
    private func validRange(_ k: Int, _ d: Int) -> (Int, Int) {
        let offset = k * dilation[d] - padding[d]
        // ow*stride + offset >= 0  and  ow*stride + offset < input
        var lo = 0
        if offset < 0 { lo = (-offset + stride[d] - 1) / stride[d] }
        var hi = output[d]
        let limit = input[d] - offset
        if limit <= 0 { hi = 0 } else { hi = Swift.min(hi, (limit - 1) / stride[d] + 1) }
        return (Swift.min(lo, hi), hi)
    }

    /// How many threads to split the batch over: each takes whole images.
    var threads: Int {
        let work = batch * outChannels * outputVolume * columnRows
        return Swift.min(batch, Threads.parts(work: work, grain: 1 << 18))
    }
}

/// float32 and float64, the element types convolutions run on.
protocol _ConvElement: _NumericElement {}
extension Float: _ConvElement {}
extension Double: _ConvElement {}

/// The per-image loops of the three maps.
enum _ConvKernels {
    static func forward(_ g: _ConvGeometry, _ x: Tensor, _ w: Tensor, _ y: Tensor) {
        switch x.dtype {
        case .float32: forward(g, x.pointer(Float.self), w.pointer(Float.self), y.pointer(Float.self))
        case .float64: forward(g, x.pointer(Double.self), w.pointer(Double.self), y.pointer(Double.self))
        default: _fail("\"slow_conv2d_cpu\" not implemented for '\(x.dtype.cppName)'")
        }
    }

    static func inputGradient(_ g: _ConvGeometry, _ gy: Tensor, _ w: Tensor, _ gx: Tensor) {
        switch gy.dtype {
        case .float32: inputGradient(g, gy.pointer(Float.self), w.pointer(Float.self), gx.pointer(Float.self))
        case .float64: inputGradient(g, gy.pointer(Double.self), w.pointer(Double.self), gx.pointer(Double.self))
        default: _fail("\"slow_conv2d_cpu\" not implemented for '\(gy.dtype.cppName)'")
        }
    }

    static func weightGradient(_ g: _ConvGeometry, _ x: Tensor, _ gy: Tensor, _ gw: Tensor) {
        switch x.dtype {
        case .float32: weightGradient(g, x.pointer(Float.self), gy.pointer(Float.self), gw.pointer(Float.self))
        case .float64: weightGradient(g, x.pointer(Double.self), gy.pointer(Double.self), gw.pointer(Double.self))
        default: _fail("\"slow_conv2d_cpu\" not implemented for '\(x.dtype.cppName)'")
        }
    }

    /// Splits `0..<g.batch` into contiguous shares, one per thread, each with a scratch buffer
    /// of `scratch` elements.
    private static func images<T: _NumericElement>(
        _ g: _ConvGeometry, scratch: Int, _: T.Type, _ body: (_ part: Int, _ range: Range<Int>, _ buffer: UnsafeMutablePointer<T>) -> Void
    ) {
        let parts = Swift.max(1, g.threads)
        // Column buffers are megabytes: from the buffer cache, not fresh pages every call
        // (clearing those pages was 4% of a ResNet block's step).
        let bytes = Swift.max(MemoryLayout<T>.stride, scratch * parts * MemoryLayout<T>.stride)
        let raw = bytes >= BufferCache.minimumBytes ? BufferCache.take(bytes) : UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { bytes >= BufferCache.minimumBytes ? BufferCache.give(raw, bytes) : raw.deallocate() }
        let buffer = raw.bindMemory(to: T.self, capacity: Swift.max(1, scratch * parts))
        let pb = _UncheckedSendable(buffer)
        let step = (g.batch + parts - 1) / parts
        Threads.run(parts) { t in
            let lo = t * step, hi = Swift.min(g.batch, lo + step)
            if lo < hi { body(t, lo..<hi, pb.value + t * scratch) }
        }
    }

    static func forward<T: _ConvElement>(_ g: _ConvGeometry, _ x: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let rows = g.columnRows, ov = g.outputVolume, cog = g.outPerGroup
        let pointwise = g.isPointwise
        let (px, pw, py) = (_UncheckedSendable(x), _UncheckedSendable(w), _UncheckedSendable(y))
        let implicit = !pointwise && T.self == Float.self && g.packsWholePanels(16)
        images(g, scratch: pointwise || implicit ? 0 : g.inChannels * g.kernelVolume * ov, T.self) { _, range, cols in
            for n in range {
                let image = px.value + n * g.inChannels * g.inputVolume
                if implicit {
                    for group in 0..<g.groups {
                        g.implicitProduct(transposed: false, pw.value + group * cog * rows, rows, 1,
                                          image: image + group * g.inPerGroup * g.inputVolume,
                                          py.value + (n * g.outChannels + group * cog) * ov, m: cog, accumulate: false)
                    }
                    continue
                }
                if !pointwise { g.im2col(image, channels: g.inChannels, cols) }
                let source = pointwise ? image : cols
                for group in 0..<g.groups {
                    _gemm(pw.value + group * cog * rows, rows, 1, source + group * rows * ov, ov, 1,
                          py.value + (n * g.outChannels + group * cog) * ov, m: cog, k: rows, n: ov, accumulate: false)
                }
            }
        }
    }

    static func inputGradient<T: _ConvElement>(_ g: _ConvGeometry, _ gy: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ gx: UnsafeMutablePointer<T>) {
        let rows = g.columnRows, ov = g.outputVolume, cog = g.outPerGroup
        let pointwise = g.isPointwise
        let (py, pw, px) = (_UncheckedSendable(gy), _UncheckedSendable(w), _UncheckedSendable(gx))
        images(g, scratch: pointwise ? 0 : g.inChannels * g.kernelVolume * ov, T.self) { _, range, cols in
            for n in range {
                let image = px.value + n * g.inChannels * g.inputVolume
                let target = pointwise ? image : cols
                for group in 0..<g.groups {
                    // W[g]^T (rows x cog) @ gy[n, g] (cog x ov)
                    _gemm(pw.value + group * cog * rows, 1, rows, py.value + (n * g.outChannels + group * cog) * ov, ov, 1,
                          target + group * rows * ov, m: rows, k: cog, n: ov, accumulate: false)
                }
                if !pointwise { g.col2im(cols, channels: g.inChannels, image) }
            }
        }
    }

    static func weightGradient<T: _ConvElement>(_ g: _ConvGeometry, _ x: UnsafeMutablePointer<T>, _ gy: UnsafeMutablePointer<T>, _ gw: UnsafeMutablePointer<T>) {
        let rows = g.columnRows, ov = g.outputVolume, cog = g.outPerGroup
        let pointwise = g.isPointwise
        let weightCount = g.outChannels * rows
        let parts = Swift.max(1, g.threads)
        // Each thread sums its images' products into its own weight-shaped buffer (the first
        // thread into `gw` itself); the buffers then add in thread order.
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, (parts - 1) * weightCount))
        partials.initialize(repeating: .zero, count: (parts - 1) * weightCount)
        defer { partials.deallocate() }
        let (px, py, pw, pp) = (_UncheckedSendable(x), _UncheckedSendable(gy), _UncheckedSendable(gw), _UncheckedSendable(partials))
        let implicit = !pointwise && T.self == Float.self && g.packsWholePanels(8)
        images(g, scratch: pointwise || implicit ? 0 : g.inChannels * g.kernelVolume * ov, T.self) { part, range, cols in
            let out = part == 0 ? pw.value : pp.value + (part - 1) * weightCount
            for n in range {
                let image = px.value + n * g.inChannels * g.inputVolume
                if implicit {
                    for group in 0..<g.groups {
                        g.implicitProduct(transposed: true, py.value + (n * g.outChannels + group * cog) * ov, ov, 1,
                                          image: image + group * g.inPerGroup * g.inputVolume,
                                          out + group * cog * rows, m: cog, accumulate: true)
                    }
                    continue
                }
                if !pointwise { g.im2col(image, channels: g.inChannels, cols) }
                let source = pointwise ? image : cols
                for group in 0..<g.groups {
                    // gy[n, g] (cog x ov) @ cols[g]^T (ov x rows)
                    _gemm(py.value + (n * g.outChannels + group * cog) * ov, ov, 1, source + group * rows * ov, 1, ov,
                          out + group * cog * rows, m: cog, k: ov, n: rows, accumulate: true)
                }
            }
        }
        for part in 1..<parts {
            let from = partials + (part - 1) * weightCount
            for i in 0..<weightCount { gw[i] = T._plus(gw[i], from[i]) }
        }
    }
}

extension _ConvGeometry {
    /// Whether the implicit products pack whole vectors: every `lanes` output positions lie in
    /// one output row of a stride-1 convolution (a width that `lanes` divides). Other shapes
    /// write the columns out: LeNet's 28- and 10-wide layers, packed value by value across
    /// output rows, measured 15% slower implicit (11.2 against 9.7 ms a step).
    func packsWholePanels(_ lanes: Int) -> Bool {
        stride[2] == 1 && output[2] % lanes == 0 && _convMatmulBackend == .avx2
    }

    /// The C shape of one group of one image.
    private var cShape: descent_conv_shape {
        func triple(_ v: [Int]) -> (Int64, Int64, Int64) { (Int64(v[0]), Int64(v[1]), Int64(v[2])) }
        return descent_conv_shape(channels: Int64(inPerGroup), input: triple(input), output: triple(output),
                                  kernel: triple(kernel), stride: triple(stride), padding: triple(padding),
                                  dilation: triple(dilation))
    }

    /// `c (+)= a @ cols` (or `a @ colsᵀ` when `transposed`), where `cols` is im2col of one
    /// group of `image`, packed from the image without being written out (conv_gemm.c): the
    /// same bits as `_gemm` on the written-out columns, without their memory traffic.
    func implicitProduct<T>(transposed: Bool, _ a: UnsafeMutablePointer<T>, _ rsa: Int, _ csa: Int,
                            image: UnsafeMutablePointer<T>, _ c: UnsafeMutablePointer<T>, m: Int, accumulate: Bool) {
        var shape = cShape
        let fa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
        let fi = UnsafeRawPointer(image).assumingMemoryBound(to: Float.self)
        let fc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        let kernel = _convMatmulBackend.kernelID
        if transposed {
            descent_sgemm_im2col_transposed(kernel, Int64(m), fa, Int64(rsa), Int64(csa), fi, &shape, fc, Int64(columnRows), accumulate ? 1 : 0)
        } else {
            descent_sgemm_im2col(kernel, Int64(m), fa, Int64(rsa), Int64(csa), fi, &shape, fc, Int64(outputVolume), accumulate ? 1 : 0)
        }
    }
}

/// The backend of a convolution's products: OpenBLAS would start its own threads inside each
/// image's share, so Descent's kernel runs where the convolution already split the work.
var _convMatmulBackend: MatmulBackend {
    let current = MatmulBackend.current
    if current != .openBLAS { return current }
    return MatmulBackend.avx2.isAvailable ? .avx2 : .generic
}

/// `c (+)= a @ b` on the calling thread; the callers split work over threads themselves.
@inline(__always)
func _gemm<T: _ConvElement>(
    _ a: UnsafePointer<T>, _ rsa: Int, _ csa: Int, _ b: UnsafePointer<T>, _ rsb: Int, _ csb: Int,
    _ c: UnsafeMutablePointer<T>, m: Int, k: Int, n: Int, ldc: Int? = nil, accumulate: Bool
) {
    let ldc = ldc ?? n
    if T.self == Float.self {
        let fa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
        let fb = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
        let fc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        descent_sgemm(_convMatmulBackend.kernelID, Int64(m), Int64(n), Int64(k), fa, Int64(rsa), Int64(csa), fb, Int64(rsb), Int64(csb),
                      fc, Int64(ldc), accumulate ? 1 : 0)
        return
    }
    for i in 0..<m {
        for j in 0..<n {
            var pa = a + i &* rsa, pb = b + j &* csb
            var sum = accumulate ? c[i &* ldc &+ j] : T.zero
            for _ in 0..<k {
                sum += pa.pointee * pb.pointee
                pa += csa
                pb += rsb
            }
            c[i &* ldc &+ j] = sum
        }
    }
}
