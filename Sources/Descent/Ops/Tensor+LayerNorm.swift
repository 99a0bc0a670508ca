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
            let (m, s) = _LayerNormRows.moments(px + r * n, n, eps: eps)
            stats.mean[r] = m
            stats.rstd[r] = s
            // ATen's `(x · rstd + (-mean · rstd)) · gamma + beta`, in the element type.
            let scale = T(s), shift = T(-m * s)
            let row = px + r * n, out = py + r * n
            switch (pw, pb) {
            case let (w?, b?): for j in 0..<n { out[j] = (row[j] * scale + shift) * w[j] + b[j] }
            case let (w?, nil): for j in 0..<n { out[j] = (row[j] * scale + shift) * w[j] }
            case let (nil, b?): for j in 0..<n { out[j] = row[j] * scale + shift + b[j] }
            case (nil, nil): for j in 0..<n { out[j] = row[j] * scale + shift }
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

/// Row kernels of layer normalisation: statistics in float64, so rows of any length keep their
/// precision.
enum _LayerNormRows {
    /// Mean and `1 / sqrt(biased variance + eps)` of one row, by two passes in eight lanes of
    /// the element type (batch normalisation's row sums).
    @inline(__always)
    static func moments<T: _FloatElement & SIMDScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int, eps: Double) -> (Double, Double) {
        let mean = _NormLanes.sum(p, n) / Double(n)
        let variance = _NormLanes.squaredDeviations(p, n, from: T(mean)) / Double(n)
        return (mean, 1 / (Swift.max(variance, 0) + eps).squareRoot())
    }

    /// ATen's `LayerNormBackwardKernelImpl`: per row, with `ĝ = g · gamma`,
    /// `dx = rstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))`; per element of the normalised shape,
    /// `dgamma = Σ g · x̂` and `dbeta = Σ g` over rows.
    static func backward(_ g: Tensor, _ x: Tensor, _ w: Tensor?, mean: [Double], rstd: [Double], rows: Int, n: Int,
                         needs: (Bool, Bool, Bool)) -> (Tensor?, Tensor?, Tensor?) {
        let gx = needs.0 ? Tensor(uninitializedShape: x.shape, dtype: x.dtype) : nil
        var gw = needs.1 ? [Double](repeating: 0, count: n) : [], gb = needs.2 ? [Double](repeating: 0, count: n) : []
        func run<T: _FloatElement>(_: T.Type) {
            let px = x.pointer(T.self), pg = g.pointer(T.self)
            let po = gx?.pointer(T.self)
            // gamma (ones without a weight) and each row's x̂ and ĝ = g · gamma, in the element type.
            let gamma = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
            let xhat = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
            let ghat = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
            defer {
                gamma.deallocate()
                xhat.deallocate()
                ghat.deallocate()
            }
            if let w { gamma.update(from: w.pointer(T.self), count: n) } else { gamma.initialize(repeating: 1, count: n) }
            for r in 0..<rows {
                let xr = px + r * n, gr = pg + r * n
                let m = T(mean[r]), s = T(rstd[r])
                var sumG = 0.0, sumGX = 0.0
                for j in 0..<n {
                    let xh = (xr[j] - m) * s, gh = gr[j] * gamma[j]
                    xhat[j] = xh
                    ghat[j] = gh
                    sumG += Double(gh)
                    sumGX += Double(gh * xh)
                }
                if needs.1 { for j in 0..<n { gw[j] += Double(gr[j] * xhat[j]) } }
                if needs.2 { for j in 0..<n { gb[j] += Double(gr[j]) } }
                guard let po else { continue }
                let meanG = T(sumG / Double(n)), meanGX = T(sumGX / Double(n))
                let out = po + r * n
                for j in 0..<n { out[j] = s * (ghat[j] - meanG - xhat[j] * meanGX) }
            }
        }
        if x.dtype == .float64 { run(Double.self) } else { run(Float.self) }
        let dtype = x.dtype
        return (gx, needs.1 ? Tensor(shape: [n], scalars: gw, dtype: .float64).to(dtype) : nil,
                needs.2 ? Tensor(shape: [n], scalars: gb, dtype: .float64).to(dtype) : nil)
    }
}

/// A layer norm's per-row mean and reciprocal deviation, from its forward pass to its backward.
final class _LayerNormStatistics: @unchecked Sendable {
    var mean: [Double], rstd: [Double]
    init(rows: Int) {
        mean = [Double](repeating: 0, count: rows)
        rstd = mean
    }
}
