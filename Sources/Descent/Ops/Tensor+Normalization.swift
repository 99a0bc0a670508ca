// Normalisation over channels: batch, group, instance and local response normalisation, as
// `torch.nn.functional` has them.

extension Tensor {
    /// Batch normalisation of `[N, C, …]` over every dimension but the channels, like
    /// `F.batch_norm` (`NativeBatchNormBackward0`).
    ///
    /// Training normalises with the batch's mean and biased variance and, when running
    /// statistics are given, moves them toward the batch's (`running = (1 - momentum)·running
    /// + momentum·batch`, the variance unbiased), in place. Evaluation normalises with the
    /// running statistics.
    ///
    /// ```swift
    /// let mean = Tensor.zeros(3), variance = Tensor.ones(3)
    /// let y = Tensor.batchNorm(x, runningMean: mean, runningVar: variance, training: true)
    /// ```
    public static func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                                 training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        if input.rank < 2 { _fail("batch_norm: expected at least 2-D input (got \(input.rank)-D)") }
        if !input.dtype.isFloatingPoint { _fail("\"batch_norm\" not implemented for '\(input.dtype.cppName)'") }
        let channels = input.shape[1]
        for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
            if let t, t.scalarCount != channels { _fail("\(name) should contain \(channels) elements not \(t.scalarCount)") }
        }
        let count = input.scalarCount / Swift.max(channels, 1)
        if training && count <= 1 {
            _fail("Expected more than 1 value per channel when training, got input size torch.Size(\(_shapeString(input.shape)))")
        }
        if !training && (runningMean == nil || runningVar == nil) {
            _fail("running_mean and running_var must be defined in evaluation mode")
        }
        let x = input.contiguous()
        let batch = input.shape[0], inner = count / Swift.max(batch, 1)
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        // The statistics the backward pass reads: a cell, so that in a compiled step the
        // replayed forward pass leaves its own for the replayed backward pass.
        let stats = _BatchNormStatistics()
        // Running statistics are updated where they are; weights are read.
        let parameters = [runningMean, runningVar, weight, bias]
        func run(_ x: Tensor, _ y: Tensor, _ p: [Tensor?]) {
            _batchNormForward(x, into: y, runningMean: p[0], runningVar: p[1], weight: p[2], bias: p[3], training: training,
                              momentum: momentum, eps: eps, batch: batch, channels: channels, inner: inner, stats: stats)
        }
        run(x, y, parameters)
        if training { for t in [runningMean, runningVar] { t?._bumpVersion() } }
        if _CaptureTape.isActive {
            let (hx, hy, hp) = (_CaptureTape.handle(x), _CaptureTape.handle(y), parameters.map { $0.map(_CaptureTape.handle) })
            let updated = training ? [runningMean, runningVar].compactMap { $0 } : []
            _CaptureTape.record({ run(hx, hy, hp) }, writes: y, reads: [x] + parameters.compactMap { $0 }, alsoInPlace: updated)
        }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let (wIndex, bIndex) = (weight == nil ? -1 : 1, bias == nil ? -1 : (weight == nil ? 1 : 2))
        let fixedMean = stats.mean, fixedInvstd = stats.invstd, shape = input.shape
        return y._recorded("NativeBatchNormBackward0", inputs, saving: [input] + (weight.map { [$0] } ?? [])) { g, node in
            let savedX = node.savedTensor(0), savedW = weight == nil ? nil : node.savedTensor(1)
            if GradMode.isEnabled {
                // The backward pass is recorded: differentiate the composite form again.
                let statistics = training ? nil : (Tensor(shape: [channels], scalars: fixedMean, dtype: .float64).to(input.dtype), Tensor(shape: [channels], scalars: fixedInvstd, dtype: .float64).to(input.dtype))
                let parts = [savedX] + (savedW.map { [$0] } ?? []) + (bias.map { [$0.detach()] } ?? [])
                let grads = _recomputedGradients(parts, g) { t in
                    _batchNormComposite(t[0], weight: wIndex < 0 ? nil : t[wIndex], bias: bIndex < 0 ? nil : t[bIndex],
                                        statistics: statistics, eps: eps)
                }
                var out: [Tensor?] = [node.needsInputGrad(0) ? grads[0] : nil]
                if wIndex > 0 { out.append(node.needsInputGrad(wIndex) ? grads[wIndex] : nil) }
                if bIndex > 0 { out.append(node.needsInputGrad(bIndex) ? grads[bIndex] : nil) }
                return out
            }
            // A unit of a compiled step: it reads the statistics its replayed forward pass left.
            let parts = _CaptureTape.opaque([g, savedX]) { t -> [Tensor] in
                let (gx, gw, gb) = _batchNormBackward(t[0]!.contiguous(), t[1]!.contiguous(), mean: stats.mean, invstd: stats.invstd,
                                                      weight: stats.weight, training: training, shape: shape)
                return [gx, gw, gb]
            }
            let (gx, gw, gb) = (parts[0], parts[1], parts[2])
            var out: [Tensor?] = [node.needsInputGrad(0) ? gx : nil]
            if wIndex > 0 { out.append(node.needsInputGrad(wIndex) ? gw.to(weight!.dtype).view(weight!.shape) : nil) }
            if bIndex > 0 { out.append(node.needsInputGrad(bIndex) ? gb.to(bias!.dtype).view(bias!.shape) : nil) }
            return out
        }
    }

    /// Batch normalisation's kernel over contiguous tensors: the batch's statistics (training,
    /// with the running ones updated in place, the variance unbiased) or the running ones, then
    /// `x·alpha[c] + beta[c]` into `y`; the statistics and weights used are left in `stats`.
    static func _batchNormForward(_ x: Tensor, into y: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                                  training: Bool, momentum: Double, eps: Double, batch: Int, channels: Int, inner: Int,
                                  stats: _BatchNormStatistics) {
        if x.dtype == .float32 {
            _batchNormForwardATen(x, into: y, Float.self, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                  training: training, momentum: momentum, eps: eps, batch: batch, channels: channels, inner: inner, stats: stats)
        } else {
            _batchNormForwardATen(x, into: y, Double.self, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                  training: training, momentum: momentum, eps: eps, batch: batch, channels: channels, inner: inner, stats: stats)
        }
    }

    /// ATen's contiguous batch normalisation for `[N, C, inner]` (its `inner > 1` kernels; for
    /// `[N, C]` ATen runs its channels-last kernel, whose order is not ported)
    /// (`batch_norm_cpu_collect_stats_contiguous_impl`, `batch_norm_cpu_update_stats_template`,
    /// `batch_norm_cpu_contiguous_impl`), with its types: each channel's sum and squared
    /// deviations added in order in double, the mean and deviations rounded to the element
    /// type, `invstd` in double; the running mean in the element type, the running variance
    /// partly in double (`momentum · unbiased` is, `(1 - momentum) · running` is not);
    /// `y = x·alpha + beta` with `alpha = invstd·w`, `beta = b - mean·alpha`. In evaluation
    /// mode `invstd` is `1 / sqrt(running_var + eps)` in the element type for the forward pass
    /// and in double for the backward pass, as ATen computes it twice.
    static func _batchNormForwardATen<T: _FloatElement>(
        _ x: Tensor, into y: Tensor, _: T.Type, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
        training: Bool, momentum: Double, eps: Double, batch: Int, channels: Int, inner: Int, stats: _BatchNormStatistics
    ) {
        let px = x.pointer(T.self), py = y.pointer(T.self)
        let count = batch * inner
        var mean = [T](repeating: 0, count: channels), invstd = mean, backwardInvstd = [Double](repeating: 0, count: channels)
        if training {
            var varSums = mean
            // Each channel's sums run in order, one dependent add after another; four channels
            // at a time keep four of those chains in flight (the order within each is ATen's).
            var c0 = 0
            while c0 < channels {
                let width = Swift.min(4, channels - c0)
                var sums = SIMD4<Double>(), squares = SIMD4<Double>()
                for n in 0..<batch {
                    let base = px + (n * channels + c0) * inner
                    if width == 4 {
                        let (p0, p1, p2, p3) = (base, base + inner, base + 2 * inner, base + 3 * inner)
                        for i in 0..<inner { sums += SIMD4(Double(p0[i]), Double(p1[i]), Double(p2[i]), Double(p3[i])) }
                    } else {
                        for i in 0..<inner {
                            for k in 0..<width { sums[k] += Double(base[k * inner + i]) }
                        }
                    }
                }
                for k in 0..<width { mean[c0 + k] = T(sums[k] / Double(count)) }
                for n in 0..<batch {
                    let base = px + (n * channels + c0) * inner
                    if width == 4 {
                        let (p0, p1, p2, p3) = (base, base + inner, base + 2 * inner, base + 3 * inner)
                        let (m0, m1, m2, m3) = (mean[c0], mean[c0 + 1], mean[c0 + 2], mean[c0 + 3])
                        for i in 0..<inner {
                            let (d0, d1, d2, d3) = (p0[i] - m0, p1[i] - m1, p2[i] - m2, p3[i] - m3)
                            squares += SIMD4(Double(d0 * d0), Double(d1 * d1), Double(d2 * d2), Double(d3 * d3))
                        }
                    } else {
                        for i in 0..<inner {
                            for k in 0..<width {
                                let d = base[k * inner + i] - mean[c0 + k]
                                squares[k] += Double(d * d)
                            }
                        }
                    }
                }
                for k in 0..<width {
                    let c = c0 + k
                    varSums[c] = T(squares[k])
                    invstd[c] = T(1 / (Double(varSums[c] / T(count)) + eps).squareRoot())
                    backwardInvstd[c] = Double(invstd[c])
                }
                c0 += width
            }
            if let runningMean, let runningVar {
                let rm = runningMean._kernelDoubles().map { T($0) }, rv = runningVar._kernelDoubles().map { T($0) }
                let mo = T(momentum), keep = 1 - mo
                runningMean._storeDoubles((0..<channels).map { Double(mo * mean[$0] + keep * rm[$0]) })
                runningVar._storeDoubles((0..<channels).map { Double(mo) * Double(varSums[$0] / T(count - 1)) + Double(keep * rv[$0]) })
            }
        } else {
            mean = runningMean!._kernelDoubles().map { T($0) }
            let rv = runningVar!._kernelDoubles()
            invstd = rv.map { 1 / (T($0) + T(eps)).squareRoot() }
            backwardInvstd = rv.map { Double(T(1 / ($0 + eps).squareRoot())) }
        }
        let w = weight?._kernelDoubles().map { T($0) } ?? [T](repeating: 1, count: channels)
        let b = bias?._kernelDoubles().map { T($0) } ?? [T](repeating: 0, count: channels)
        for c in 0..<channels {
            let alpha = invstd[c] * w[c]
            let beta = b[c] - mean[c] * alpha
            for n in 0..<batch {
                let offset = (n * channels + c) * inner
                for i in 0..<inner { py[offset + i] = px[offset + i] * alpha + beta }
            }
        }
        (stats.mean, stats.invstd, stats.weight) = (mean.map { Double($0) }, backwardInvstd, w.map { Double($0) })
    }

    /// ATen's `batch_norm_cpu_backward_contiguous_impl` (for `inner > 1` there): per channel, the sums
    /// of `dy` and `(x - mean)·dy` over each sample's row in vector lanes (`reduce_all`), added
    /// across samples in double; then `k = dotp·invstd²/N`, `dx = ((dy - sum/N) - (x - mean)·k)·invstd·w`
    /// in training, `dx = dy·invstd·w` in evaluation; `dw = dotp·invstd`, `db = sum`.
    static func _batchNormBackwardATen<T: _FloatElement>(
        _ g: Tensor, _ x: Tensor, _: T.Type, mean: [Double], invstd: [Double], weight: [Double], training: Bool, batch: Int,
        channels: Int, inner: Int
    ) -> (Tensor, [Double], [Double]) {
        let gx = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let px = x.pointer(T.self), pg = g.pointer(T.self), po = gx.pointer(T.self)
        let count = batch * inner
        var gw = [Double](repeating: 0, count: channels), gb = gw
        for c in 0..<channels {
            let m = T(mean[c]), inv = T(invstd[c]), w = T(weight[c])
            var sum = 0.0, dotp = 0.0
            for n in 0..<batch {
                let offset = (n * channels + c) * inner
                let xs = px + offset, dy = pg + offset
                sum += Double(_ReduceAll.sum(inner) { dy[$0] })
                dotp += Double(_ReduceAll.sum(inner) { (xs[$0] - m) * dy[$0] })
            }
            let k = T(dotp) * inv * inv / T(count), gradMean = T(sum / Double(count))
            for n in 0..<batch {
                let offset = (n * channels + c) * inner
                let xs = px + offset, dy = pg + offset, dx = po + offset
                if training {
                    for i in 0..<inner { dx[i] = (dy[i] - gradMean - (xs[i] - m) * k) * inv * w }
                } else {
                    for i in 0..<inner { dx[i] = dy[i] * inv * w }
                }
            }
            gw[c] = Double(T(dotp * Double(inv)))
            gb[c] = Double(T(sum))
        }
        return (gx, gw, gb)
    }

    /// Batch normalisation from differentiable ops: with the batch's statistics, or with fixed
    /// `(mean, invstd)` per channel.
    static func _batchNormComposite(_ x: Tensor, weight: Tensor?, bias: Tensor?, statistics: (Tensor, Tensor)?, eps: Double) -> Tensor {
        var view = [Int](repeating: 1, count: x.rank)
        view[1] = x.shape[1]
        let normalised: Tensor
        if let (mean, invstd) = statistics {
            normalised = (x - mean.view(view)) * invstd.view(view)
        } else {
            let dims = [0] + Array(2..<x.rank)
            let mean = x.mean(dims: dims, keepDim: true)
            let centred = x - mean
            normalised = centred * ((centred * centred).mean(dims: dims, keepDim: true) + eps).rsqrt()
        }
        var y = normalised
        if let weight { y = y * weight.view(view) }
        if let bias { y = y + bias.view(view) }
        return y
    }

    /// Per-channel mean and sum of squared deviations of a contiguous `[N, C, inner]` tensor:
    /// each row summed in eight lanes of the element type, rows added in float64.
    static func _channelMoments(_ x: Tensor, batch: Int, channels: Int, inner: Int) -> ([Double], [Double]) {
        var mean = [Double](repeating: 0, count: channels), varSum = mean
        func run<T: BinaryFloatingPoint & _NumericElement & SIMDScalar>(_: T.Type) {
            let p = x.pointer(T.self)
            let count = Double(batch * inner)
            for c in 0..<channels {
                var sum = 0.0
                for n in 0..<batch { sum += _NormLanes.sum(p + (n * channels + c) * inner, inner) }
                let m = sum / count
                var squares = 0.0
                for n in 0..<batch { squares += _NormLanes.squaredDeviations(p + (n * channels + c) * inner, inner, from: T(m)) }
                mean[c] = m
                varSum[c] = squares
            }
        }
        if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (mean, varSum)
    }

    /// `x·alpha[c] + beta[c]` over a contiguous `[N, C, inner]` tensor, without recording.
    static func _channelAffine(_ x: Tensor, _ alpha: [Double], _ beta: [Double], batch: Int, channels: Int, inner: Int) -> Tensor {
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        _channelAffine(x, alpha, beta, batch: batch, channels: channels, inner: inner, into: y)
        return y
    }

    static func _channelAffine(_ x: Tensor, _ alpha: [Double], _ beta: [Double], batch: Int, channels: Int, inner: Int, into y: Tensor) {
        func run<T: BinaryFloatingPoint & _NumericElement & SIMDScalar>(_: T.Type) {
            let px = x.pointer(T.self), py = y.pointer(T.self)
            for n in 0..<batch {
                for c in 0..<channels {
                    let offset = (n * channels + c) * inner
                    _NormLanes.affine(px + offset, py + offset, inner, T(alpha[c]), T(beta[c]))
                }
            }
        }
        if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }

    /// Batch normalisation's gradients (ATen's `batch_norm_backward_cpu`): for the input, and
    /// per channel for the weight (`Σ g·(x - mean)·invstd`) and bias (`Σ g`), as float64.
    static func _batchNormBackward(_ g: Tensor, _ x: Tensor, mean: [Double], invstd: [Double], weight: [Double], training: Bool,
                                   shape: [Int]) -> (Tensor, Tensor, Tensor) {
        let batch = shape[0], channels = shape[1]
        let inner = x.scalarCount / Swift.max(1, batch * channels)
        let (gx, gw, gb) = x.dtype == .float32
            ? _batchNormBackwardATen(g, x, Float.self, mean: mean, invstd: invstd, weight: weight, training: training,
                                     batch: batch, channels: channels, inner: inner)
            : _batchNormBackwardATen(g, x, Double.self, mean: mean, invstd: invstd, weight: weight, training: training,
                                     batch: batch, channels: channels, inner: inner)
        return (gx, Tensor(shape: [channels], scalars: gw, dtype: .float64), Tensor(shape: [channels], scalars: gb, dtype: .float64))
    }

    /// Group normalisation of `[N, C, …]`: the channels split into `numGroups` groups, each
    /// group of each sample normalised by its own mean and biased variance, then an optional
    /// per-channel affine map, like `F.group_norm` (`NativeGroupNormBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.groupNorm(x, numGroups: 2, weight: gamma, bias: beta)
    /// ```
    public static func groupNorm(_ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
        if input.rank < 2 { _fail("Expected at least 2 dimensions for input tensor but received \(input.rank)") }
        let (batch, channels) = (input.shape[0], input.shape[1])
        if numGroups <= 0 || channels % numGroups != 0 {
            _fail("Expected number of channels in input to be divisible by num_groups, but got input of shape \(_shapeString(input.shape)) and num_groups=\(numGroups)")
        }
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t, t.rank != 1 || t.scalarCount != channels {
                _fail("Expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(_shapeString(t.shape)) and input of shape \(_shapeString(input.shape))")
            }
        }
        let x = input.contiguous()
        let inner = input.scalarCount / Swift.max(1, batch * channels)
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        func run(_ x: Tensor, _ y: Tensor, _ weight: Tensor?, _ bias: Tensor?) {
            // Each (sample, group) is one "channel" of a [1, N·G, C/G·inner] batch normalisation.
            let (mean, varSum) = _channelMoments(x, batch: 1, channels: batch * numGroups, inner: channels / numGroups * inner)
            let groupCount = Double(channels / numGroups * inner)
            let invstd = varSum.map { 1 / ($0 / groupCount + eps).squareRoot() }
            let w = weight?._kernelDoubles() ?? [Double](repeating: 1, count: channels)
            let b = bias?._kernelDoubles() ?? [Double](repeating: 0, count: channels)
            var alpha = [Double](repeating: 0, count: batch * channels), beta = alpha
            for n in 0..<batch {
                for c in 0..<channels {
                    let k = n * numGroups + c / (channels / numGroups)
                    alpha[n * channels + c] = invstd[k] * w[c]
                    beta[n * channels + c] = b[c] - mean[k] * invstd[k] * w[c]
                }
            }
            _channelAffine(x, alpha, beta, batch: 1, channels: batch * channels, inner: inner, into: y)
        }
        run(x, y, weight, bias)
        if _CaptureTape.isActive {
            let (hx, hy, hw, hb) = (_CaptureTape.handle(x), _CaptureTape.handle(y), weight.map(_CaptureTape.handle), bias.map(_CaptureTape.handle))
            _CaptureTape.record({ run(hx, hy, hw, hb) }, writes: y, reads: [x] + [weight, bias].compactMap { $0 })
        }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let (wIndex, bIndex) = (weight == nil ? -1 : 1, bias == nil ? -1 : (weight == nil ? 1 : 2))
        return y._recorded("NativeGroupNormBackward0", inputs, saving: inputs) { g, node in
            let parts = (0..<inputs.count).map { node.savedTensor($0) }
            let grads = _recomputedGradients(parts, g) { t in
                _groupNormComposite(t[0], numGroups: numGroups, weight: wIndex < 0 ? nil : t[wIndex], bias: bIndex < 0 ? nil : t[bIndex], eps: eps)
            }
            return (0..<inputs.count).map { node.needsInputGrad($0) ? grads[$0] : nil }
        }
    }

    static func _groupNormComposite(_ x: Tensor, numGroups: Int, weight: Tensor?, bias: Tensor?, eps: Double) -> Tensor {
        let grouped = x.reshape([x.shape[0], numGroups, -1])
        let centred = grouped - grouped.mean(dim: 2, keepDim: true)
        var y = (centred * ((centred * centred).mean(dim: 2, keepDim: true) + eps).rsqrt()).reshape(x.shape)
        var view = [Int](repeating: 1, count: x.rank)
        view[1] = x.shape[1]
        if let weight { y = y * weight.view(view) }
        if let bias { y = y + bias.view(view) }
        return y
    }

    /// Instance normalisation: each channel of each sample normalised on its own, like
    /// `F.instance_norm` (a batch normalisation of `[1, N·C, …]`, viewed back). Running
    /// statistics, when given and `useInputStats`, move toward the batch's averaged over samples.
    ///
    /// ```swift
    /// let y = Tensor.instanceNorm(x)
    /// ```
    public static func instanceNorm(_ input: Tensor, runningMean: Tensor? = nil, runningVar: Tensor? = nil, weight: Tensor? = nil,
                                    bias: Tensor? = nil, useInputStats: Bool = true, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
        if input.rank < 3 { _fail("instance_norm: expected at least 3-D input (got \(input.rank)-D)") }
        let (batch, channels) = (input.shape[0], input.shape[1])
        let folded = input.reshape([1, batch * channels] + Array(input.shape[2...]))
        let repeatedMean = runningMean.map { $0.repeat(batch) }, repeatedVar = runningVar.map { $0.repeat(batch) }
        let y = batchNorm(folded, runningMean: repeatedMean, runningVar: repeatedVar, weight: weight?.repeat(batch), bias: bias?.repeat(batch),
                          training: useInputStats, momentum: momentum, eps: eps)
        if useInputStats {
            noGrad {
                if let runningMean, let repeatedMean {
                    runningMean._copyRaw(repeatedMean.view(batch, channels).mean(dim: 0))
                    runningMean._bumpVersion()
                }
                if let runningVar, let repeatedVar {
                    runningVar._copyRaw(repeatedVar.view(batch, channels).mean(dim: 0))
                    runningVar._bumpVersion()
                }
            }
        }
        return y.view(input.shape)
    }

    /// Local response normalisation across channels, like `F.local_response_norm`:
    /// `x / (k + alpha · mean of x² over size neighbouring channels)^beta`.
    ///
    /// ```swift
    /// let y = Tensor.localResponseNorm(x, size: 2)
    /// ```
    public static func localResponseNorm(_ input: Tensor, size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) -> Tensor {
        if input.rank < 3 {
            _fail("Expected 3D or higher dimensionality input (got \(input.rank) dimensions)")
        }
        if input.scalarCount == 0 { return input }
        var div = input * input
        if input.rank == 3 {
            div = div.unsqueeze(1).pad([0, 0, size / 2, (size - 1) / 2])
            div = avgPool2d(div, kernelSize: [size, 1], stride: 1).squeeze(1)
        } else {
            let sizes = input.shape
            div = div.view([sizes[0], 1, sizes[1], sizes[2], -1]).pad([0, 0, 0, 0, size / 2, (size - 1) / 2])
            div = avgPool3d(div, kernelSize: [size, 1, 1], stride: 1).squeeze(1).view(sizes)
        }
        div = (div * alpha + k).pow(beta)
        return input / div
    }
}

/// Row loops of the normalisations in eight lanes of the element type.
enum _NormLanes {
    @inline(__always)
    static func load<T: SIMDScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    static func sum<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
        var acc = SIMD8<T>.zero
        var i = 0
        while i + 8 <= n { acc += load(p + i); i += 8 }
        var tail = T.zero
        while i < n { tail += p[i]; i += 1 }
        return Double(acc.sum()) + Double(tail)
    }

    static func squaredDeviations<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int, from m: T) -> Double {
        var acc = SIMD8<T>.zero
        let mv = SIMD8<T>(repeating: m)
        var i = 0
        while i + 8 <= n {
            let d = load(p + i) - mv
            acc += d * d
            i += 8
        }
        var tail = T.zero
        while i < n { let d = p[i] - m; tail += d * d; i += 1 }
        return Double(acc.sum()) + Double(tail)
    }

    static func affine<T: BinaryFloatingPoint & SIMDScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ a: T, _ b: T) {
        let av = SIMD8<T>(repeating: a), bv = SIMD8<T>(repeating: b)
        var i = 0
        while i + 8 <= n {
            UnsafeMutableRawPointer(y + i).storeBytes(of: load(x + i) * av + bv, as: SIMD8<T>.self)
            i += 8
        }
        while i < n { y[i] = x[i] * a + b; i += 1 }
    }
}

/// A batch norm's per-channel mean, reciprocal deviation and weight, from its forward pass to
/// its backward.
final class _BatchNormStatistics: @unchecked Sendable {
    var mean: [Double] = [], invstd: [Double] = [], weight: [Double] = []
}

extension Tensor {
    /// The memory offset of each element in row-major order (a per-channel vector's few).
    private func _elementOffsets() -> [Int] {
        (0..<scalarCount).map { i in
            var rest = i, offset = storageOffset
            for d in stride(from: rank - 1, through: 0, by: -1) {
                offset += (rest % shape[d]) * strides[d]
                rest /= shape[d]
            }
            return offset
        }
    }

    /// A small float tensor's elements as doubles, read by a kernel (a compiled step records the
    /// kernel reading them, not the values).
    func _kernelDoubles() -> [Double] {
        let offsets = _elementOffsets()
        switch dtype {
        case .float32: let p = data.assumingMemoryBound(to: Float.self); return offsets.map { Double(p[$0]) }
        case .float64: let p = data.assumingMemoryBound(to: Double.self); return offsets.map { p[$0] }
        default: _fail("expected a floating-point tensor, got \(dtype)")
        }
    }

    /// Stores `values` (one per element, row-major) in place, rounded to the dtype as `to(_:)`
    /// rounds, without touching autograd or versions.
    func _storeDoubles(_ values: [Double]) {
        let offsets = _elementOffsets()
        switch dtype {
        case .float32: let p = data.assumingMemoryBound(to: Float.self); for (o, v) in zip(offsets, values) { p[o] = Float(v) }
        case .float64: let p = data.assumingMemoryBound(to: Double.self); for (o, v) in zip(offsets, values) { p[o] = v }
        default: _fail("expected a floating-point tensor, got \(dtype)")
        }
    }
}
