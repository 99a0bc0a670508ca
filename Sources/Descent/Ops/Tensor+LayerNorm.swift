// Normalisation over the last dimensions of each sample: layer normalisation (one primitive with
// its own kernel, as ATen's `native_layer_norm`) and RMS normalisation (composed, as PyTorch
// composes it on the CPU).

extension Tensor {
    /// Normalises over the trailing `normalizedShape` dimensions: `(x - mean) / sqrt(var + eps)`
    /// with the biased variance, then `· weight + bias` (both shaped `normalizedShape`), like
    /// `F.layer_norm` (`NativeLayerNormBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.layerNorm(x, normalizedShape: [128], weight: gamma, bias: beta)
    /// ```
    public static func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) -> Tensor {
        let k = normalizedShape.count
        if k == 0 { _fail("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []") }
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t, t.shape != normalizedShape {
                _fail("Expected \(name) to be of same shape as normalized_shape, but got \(name) of shape \(_shapeString(t.shape)) and normalized_shape = \(_shapeString(normalizedShape))")
            }
        }
        if input.rank < k || Array(input.shape.suffix(k)) != normalizedShape {
            _fail("Given normalized_shape=\(_shapeString(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(_shapeString(input.shape))")
        }
        if !input.dtype.isFloatingPoint { _fail("\"LayerNormKernelImpl\" not implemented for '\(input.dtype.cppName)'") }
        let n = normalizedShape.reduce(1, *)
        let rows = n == 0 ? 0 : input.scalarCount / n
        let x = input.contiguous()
        let w = weight?.contiguous(), b = bias?.contiguous()
        let y = Tensor(uninitializedShape: input.shape, dtype: input.dtype)
        // The rows' statistics, which the backward pass reads: a cell, so that in a compiled
        // step the replayed forward pass leaves its own for the replayed backward pass.
        let stats = _LayerNormStatistics(rows: rows)
        func forward<T: _FloatElement & SIMDScalar>(_: T.Type) {
            let px = x.pointer(T.self), py = y.pointer(T.self)
            let pw = w?.pointer(T.self), pb = b?.pointer(T.self)
            func run() { Tensor._layerNormRows(px, py, pw, pb, rows: rows, n: n, eps: eps, into: stats) }
            run()
            if _CaptureTape.isActive {
                _CaptureTape.record(run, writes: y, reads: [x] + (w.map { [$0] } ?? []) + (b.map { [$0] } ?? []))
            }
        }
        if input.dtype == .float64 { forward(Double.self) } else { forward(Float.self) }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let wIndex = weight == nil ? -1 : 1, bIndex = bias == nil ? -1 : inputs.count - 1
        return y._recorded("NativeLayerNormBackward0", inputs, saving: [input] + (weight.map { [$0] } ?? [])) { g, node in
            let savedX = node.savedTensor(0), savedW = weight == nil ? nil : node.savedTensor(1)
            if GradMode.isEnabled {
                let parts = [savedX] + (savedW.map { [$0] } ?? []) + (bias.map { [$0.detach()] } ?? [])
                let grads = _recomputedGradients(parts, g) { t in
                    _layerNormComposite(t[0], normalizedShape: normalizedShape, weight: wIndex < 0 ? nil : t[wIndex],
                                        bias: bIndex < 0 ? nil : t[bIndex], eps: eps)
                }
                var out: [Tensor?] = [node.needsInputGrad(0) ? grads[0] : nil]
                if wIndex > 0 { out.append(node.needsInputGrad(wIndex) ? grads[wIndex] : nil) }
                if bIndex > 0 { out.append(node.needsInputGrad(bIndex) ? grads[bIndex] : nil) }
                return out
            }
            let needs = (node.needsInputGrad(0), wIndex > 0 && node.needsInputGrad(wIndex), bIndex > 0 && node.needsInputGrad(bIndex))
            // A unit of a compiled step: its kernel writes fresh tensors it makes itself.
            let parts = _CaptureTape.opaque([g, savedX, savedW]) { t -> [Tensor] in
                let (gx, gw, gb) = _LayerNormRows.backward(t[0]!.contiguous(), t[1]!.contiguous(), t[2]?.contiguous(), mean: stats.mean,
                                                           rstd: stats.rstd, rows: rows, n: n, needs: needs)
                return [gx, gw, gb].compactMap { $0 }
            }
            var next = parts.makeIterator()
            let gx = needs.0 ? next.next() : nil, gw = needs.1 ? next.next() : nil, gb = needs.2 ? next.next() : nil
            var out: [Tensor?] = [gx]
            if wIndex > 0 { out.append(gw?.view(normalizedShape)) }
            if bIndex > 0 { out.append(gb?.view(normalizedShape)) }
            return out
        }
    }

    /// Normalises `rows` rows of `n` values into `py` (scaled and shifted when given),
    /// leaving each row's mean and reciprocal deviation in `stats`.
    static func _layerNormRows<T: _FloatElement & SIMDScalar>(
        _ px: UnsafeMutablePointer<T>, _ py: UnsafeMutablePointer<T>, _ pw: UnsafeMutablePointer<T>?, _ pb: UnsafeMutablePointer<T>?,
        rows: Int, n: Int, eps: Double, into stats: _LayerNormStatistics
    ) {
        for r in 0..<rows {
            let row = px + r * n, out = py + r * n
            let (mean, variance) = T._rowwiseMoments(row, n)
            let rstd = 1 / (variance + T(eps)).squareRoot()
            stats.mean[r] = Double(mean)
            stats.rstd[r] = Double(rstd)
            // ATen's `(x + (-mean)) · rstd · gamma + beta` in the element type; its scalar loop
            // (a missing weight or bias) multiplies by 1 and adds 0, which turns -0 into 0.
            let shift = -mean
            switch (pw, pb) {
            case let (w?, b?): for j in 0..<n { out[j] = (row[j] + shift) * rstd * w[j] + b[j] }
            case let (w?, nil): for j in 0..<n { out[j] = (row[j] + shift) * rstd * w[j] + 0 }
            case let (nil, b?): for j in 0..<n { out[j] = (row[j] + shift) * rstd + b[j] }
            case (nil, nil): for j in 0..<n { out[j] = (row[j] + shift) * rstd + 0 }
            }
        }
    }

    /// Layer normalisation from differentiable ops, for gradients of gradients.
    static func _layerNormComposite(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double) -> Tensor {
        let dims = Array((x.rank - normalizedShape.count)..<x.rank)
        let centred = x - x.mean(dims: dims, keepDim: true)
        var y = centred * ((centred * centred).mean(dims: dims, keepDim: true) + eps).rsqrt()
        if let weight { y = y * weight }
        if let bias { y = y + bias }
        return y
    }

    /// Root-mean-square normalisation over the trailing `normalizedShape` dimensions:
    /// `x / sqrt(mean(x²) + eps) · weight`, like `F.rms_norm`. Without `eps`, the machine
    /// epsilon of the input's type, as PyTorch does.
    ///
    /// ```swift
    /// let y = Tensor.rmsNorm(x, normalizedShape: [64], weight: gamma)
    /// ```
    public static func rmsNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, eps: Double? = nil) -> Tensor {
        let k = normalizedShape.count
        if input.rank < k || Array(input.shape.suffix(k)) != normalizedShape {
            _fail("Given normalized_shape=\(_shapeString(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(_shapeString(input.shape))")
        }
        if let weight, weight.shape != normalizedShape {
            _fail("Expected weight to be of same shape as normalized_shape, but got weight of shape \(_shapeString(weight.shape)) and normalized_shape = \(_shapeString(normalizedShape))")
        }
        let epsilon = eps ?? (input.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne))
        let dims = Array((input.rank - k)..<input.rank)
        let y = input * (input.pow(2).mean(dims: dims, keepDim: true) + epsilon).rsqrt()
        // PyTorch's composite ends in `.contiguous()` (`CloneBackward0` for a strided input).
        return (weight.map { y * $0 } ?? y).contiguous()
    }
}

/// Row kernels of layer normalisation, as ATen's `LayerNormKernel.cpp` computes them.
enum _LayerNormRows {
    /// ATen's `LayerNormBackwardKernelImplInternal` with its reference build's order of
    /// operations: per row, `ds = Σ dy·x·gamma` and `db = Σ dy·gamma` in vector lanes
    /// (`map_reduce_all`, the lanes then added in order), `b = (db·mean - ds)·rstd³/N`,
    /// `c = -b·mean - db·rstd/N`, `dx = rstd·dy·gamma + b·x + c`; `dgamma` and `dbeta` add each
    /// row into one buffer per thread of ATen's row split (`parallel_for`, grain 1), and the
    /// buffers are then added in thread order. Bit for bit with PyTorch's reference build
    /// (`ATEN_CPU_CAPABILITY=default`) at the same thread count.
    static func backward(_ g: Tensor, _ x: Tensor, _ w: Tensor?, mean: [Double], rstd: [Double], rows: Int, n: Int,
                         needs: (Bool, Bool, Bool)) -> (Tensor?, Tensor?, Tensor?) {
        let gx = needs.0 ? Tensor(uninitializedShape: x.shape, dtype: x.dtype) : nil
        let gw = needs.1 ? Tensor(uninitializedShape: [n], dtype: x.dtype) : nil
        let gb = needs.2 ? Tensor(uninitializedShape: [n], dtype: x.dtype) : nil
        func run<T: _FloatElement>(_: T.Type) {
            let px = x.pointer(T.self), pg = g.pointer(T.self), pw = w?.pointer(T.self)
            let scale = 1 / T(n)
            let parts = Swift.max(1, Swift.min(Threads.count, rows)), chunk = Swift.max(1, (rows + parts - 1) / parts)
            let buffered = needs.1 || needs.2
            let gammaBuffer = UnsafeMutablePointer<T>.allocate(capacity: buffered ? parts * n : 0)
            let betaBuffer = UnsafeMutablePointer<T>.allocate(capacity: buffered ? parts * n : 0)
            gammaBuffer.initialize(repeating: 0, count: buffered ? parts * n : 0)
            betaBuffer.initialize(repeating: 0, count: buffered ? parts * n : 0)
            defer {
                gammaBuffer.deallocate()
                betaBuffer.deallocate()
            }
            for r in 0..<rows {
                let dy = pg + r * n, xr = px + r * n
                let a = T(rstd[r]), m = T(mean[r])
                if buffered {
                    let base = (r / chunk) * n, b = -a * m
                    for j in 0..<n {
                        gammaBuffer[base + j] = gammaBuffer[base + j] + dy[j] * (a * xr[j] + b)
                        betaBuffer[base + j] = betaBuffer[base + j] + dy[j]
                    }
                }
                guard let po = gx?.pointer(T.self) else { continue }
                let out = po + r * n
                let ds: T, db: T
                if let pw {
                    ds = _ReduceAll.sum(n) { dy[$0] * xr[$0] * pw[$0] }
                    db = _ReduceAll.sum(n) { dy[$0] * pw[$0] }
                } else {
                    ds = _ReduceAll.sum(n) { dy[$0] * xr[$0] }
                    db = _ReduceAll.sum(n) { dy[$0] }
                }
                let b = (db * m - ds) * a * a * a * scale
                let c = -b * m - db * a * scale
                if let pw {
                    for j in 0..<n { out[j] = a * dy[j] * pw[j] + b * xr[j] + c }
                } else {
                    for j in 0..<n { out[j] = a * dy[j] + b * xr[j] + c }
                }
            }
            for (target, buffer) in [(gw, gammaBuffer), (gb, betaBuffer)] {
                guard let out = target?.pointer(T.self) else { continue }
                for j in 0..<n {
                    var total: T = 0
                    for t in 0..<parts { total = total + buffer[t * n + j] }
                    out[j] = total
                }
            }
        }
        if x.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        return (gx, gw, gb)
    }
}

/// A layer norm's per-row mean and reciprocal deviation (in the element type, as ATen keeps
/// them), from its forward pass to its backward.
final class _LayerNormStatistics: @unchecked Sendable {
    var mean: [Double], rstd: [Double]
    init(rows: Int) {
        mean = [Double](repeating: 0, count: rows)
        rstd = mean
    }
}
