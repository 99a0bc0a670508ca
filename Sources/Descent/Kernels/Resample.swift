/// Separable resampling over up to three spatial dimensions (leading ones of size 1): each
/// output index along a dimension reads a few input indices ("taps") with weights, as
/// PyTorch's upsampling kernels precompute them. Nearest, linear and cubic interpolation
/// differ only in their taps.
struct _Resampler: Sendable {
    let input: [Int], output: [Int]
    /// `indices[d][o]` and `weights[d][o]`: the taps of output `o` along dimension `d`.
    let indices: [[[Int]]], weights: [[[Double]]]

    var inputVolume: Int { input[0] * input[1] * input[2] }
    var outputVolume: Int { output[0] * output[1] * output[2] }

    /// `out[o] = Σ_a w0·(Σ_b w1·(Σ_c w2·x))`, each sum starting with its first tap's product,
    /// as ATen's `Interpolate<n>` evaluates it.
    func forward<T: BinaryFloatingPoint & _NumericElement>(_ x: UnsafePointer<T>, planes: Int, _ y: UnsafeMutablePointer<T>) {
        let (H, W) = (input[1], input[2])
        let w = weights.map { $0.map { $0.map { T($0) } } }
        let (px, py) = (_UncheckedSendable(x), _UncheckedSendable(y))
        let parts = Threads.parts(work: planes * outputVolume * 8, grain: 1 << 16)
        let step = (planes + parts - 1) / Swift.max(parts, 1)
        Threads.run(parts) { t in
            for plane in (t * step)..<Swift.min(planes, (t + 1) * step) {
                let src = px.value + plane * self.inputVolume
                var o = plane * self.outputVolume
                for od in 0..<self.output[0] {
                    let (id, wd) = (self.indices[0][od], w[0][od])
                    for oh in 0..<self.output[1] {
                        let (ih, wh) = (self.indices[1][oh], w[1][oh])
                        for ow in 0..<self.output[2] {
                            let (iw, ww) = (self.indices[2][ow], w[2][ow])
                            var outer = T.zero
                            for a in 0..<id.count {
                                var middle = T.zero
                                for b in 0..<ih.count {
                                    let row = src + (id[a] * H + ih[b]) * W
                                    var inner = row[iw[0]] * ww[0]
                                    for c in 1..<iw.count { inner += row[iw[c]] * ww[c] }
                                    middle = b == 0 ? inner * wh[b] : middle + inner * wh[b]
                                }
                                outer = a == 0 ? middle * wd[a] : outer + middle * wd[a]
                            }
                            py.value[o] = outer
                            o += 1
                        }
                    }
                }
            }
        }
    }

    /// The gradient of ``forward(_:planes:_:)``: each output's gradient, times its taps'
    /// weights, added to the taps.
    func backward<T: BinaryFloatingPoint & _NumericElement>(_ g: UnsafePointer<T>, planes: Int, _ gx: UnsafeMutablePointer<T>) {
        let (H, W) = (input[1], input[2])
        let w = weights.map { $0.map { $0.map { T($0) } } }
        for plane in 0..<planes {
            let dst = gx + plane * inputVolume
            var o = plane * outputVolume
            for od in 0..<output[0] {
                let (id, wd) = (indices[0][od], w[0][od])
                for oh in 0..<output[1] {
                    let (ih, wh) = (indices[1][oh], w[1][oh])
                    for ow in 0..<output[2] {
                        let (iw, ww) = (indices[2][ow], w[2][ow])
                        let value = g[o]
                        o += 1
                        for a in 0..<id.count {
                            for b in 0..<ih.count {
                                let row = dst + (id[a] * H + ih[b]) * W
                                let scale = wd[a] * wh[b]
                                for c in 0..<iw.count { row[iw[c]] += scale * ww[c] * value }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How `interpolate` reads between input samples, PyTorch's `mode` argument.
public enum InterpolationMode: String, Sendable {
    /// The nearest input sample (`floor(o · in/out)`), PyTorch's default.
    case nearest
    /// Linear interpolation along one dimension (3-D input).
    case linear
    /// Linear interpolation along two dimensions (4-D input).
    case bilinear
    /// Cubic convolution (a = -0.75) along two dimensions (4-D input).
    case bicubic
    /// Linear interpolation along three dimensions (5-D input).
    case trilinear

    var spatialRank: Int? {
        switch self {
        case .nearest: nil
        case .linear: 1
        case .bilinear, .bicubic: 2
        case .trilinear: 3
        }
    }
}

/// The taps of one dimension, computed in the element type as ATen computes them (`opmath`).
enum _ResampleTaps {
    /// PyTorch's `compute_scales_value`: the reciprocal of a given scale factor, else in/out.
    static func scaleValue<T: BinaryFloatingPoint>(_ scale: Double?, _ input: Int, _ output: Int, _: T.Type) -> T {
        if let scale, scale > 0 { return T(1.0 / scale) }
        return T(input) / T(output)
    }

    /// `area_pixel_compute_scale`.
    static func areaScale<T: BinaryFloatingPoint>(_ input: Int, _ output: Int, alignCorners: Bool, _ scale: Double?, _: T.Type) -> T {
        if alignCorners { return output > 1 ? T(input - 1) / T(output - 1) : 0 }
        return scaleValue(scale, input, output, T.self)
    }

    /// `area_pixel_compute_source_index`.
    static func sourceIndex<T: BinaryFloatingPoint>(_ scale: T, _ dst: Int, alignCorners: Bool, cubic: Bool) -> T {
        if alignCorners { return scale * T(dst) }
        let src = scale * (T(dst) + T(0.5)) - T(0.5)
        return !cubic && src < 0 ? 0 : src
    }

    /// `guard_index_and_lambda`.
    static func guarded<T: BinaryFloatingPoint>(_ real: T, _ input: Int) -> (Int, T) {
        let index = Swift.min(Int(real.rounded(.down)), input - 1)
        let lambda = Swift.min(Swift.max(real - T(index), 0), 1)
        return (index, lambda)
    }

    static func nearest(input: Int, output: Int, scale: Double?) -> ([[Int]], [[Double]]) {
        var idx: [[Int]] = []
        for o in 0..<output {
            if output == input { idx.append([o]); continue }
            if output == 2 * input { idx.append([o >> 1]); continue }
            // ATen computes the nearest index in float whatever the element type.
            let s: Float = scaleValue(scale, input, output, Float.self)
            idx.append([Swift.min(Int((Float(o) * s).rounded(.down)), input - 1)])
        }
        return (idx, Array(repeating: [1], count: output))
    }

    static func linear<T: BinaryFloatingPoint>(input: Int, output: Int, alignCorners: Bool, scale: Double?, _: T.Type) -> ([[Int]], [[Double]]) {
        var idx: [[Int]] = [], wts: [[Double]] = []
        let ratio = areaScale(input, output, alignCorners: alignCorners, scale, T.self)
        for o in 0..<output {
            if output == input {
                idx.append([o, o]); wts.append([1, 0])
                continue
            }
            let real = sourceIndex(ratio, o, alignCorners: alignCorners, cubic: false)
            let (i0, l1) = guarded(real, input)
            let i1 = i0 + (i0 < input - 1 ? 1 : 0)
            idx.append([i0, i1])
            wts.append([Double(1 - l1), Double(l1)])
        }
        return (idx, wts)
    }

    static func cubic<T: BinaryFloatingPoint>(input: Int, output: Int, alignCorners: Bool, scale: Double?, _: T.Type) -> ([[Int]], [[Double]]) {
        var idx: [[Int]] = [], wts: [[Double]] = []
        let ratio = areaScale(input, output, alignCorners: alignCorners, scale, T.self)
        let a = T(-0.75)
        func c1(_ x: T) -> T { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func c2(_ x: T) -> T { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        for o in 0..<output {
            let real = sourceIndex(ratio, o, alignCorners: alignCorners, cubic: true)
            let (i0, t) = guarded(real, input)
            let coefficients = [c2(t + 1), c1(t), c1(1 - t), c2(1 - t + 1)]
            idx.append((0..<4).map { Swift.max(Swift.min(i0 - 1 + $0, input - 1), 0) })
            wts.append(coefficients.map { Double($0) })
        }
        return (idx, wts)
    }

    /// Antialiased taps (`compute_indices_weights_aa`): when shrinking, the filter (linear, or
    /// cubic with a = -0.5) is widened by the scale, so every input pixel contributes, and each
    /// output's weights are normalised to sum to one.
    static func antialiased<T: BinaryFloatingPoint>(input: Int, output: Int, alignCorners: Bool, scale: Double?, cubic: Bool,
                                                    _: T.Type) -> ([[Int]], [[Double]]) {
        let ratio = areaScale(input, output, alignCorners: alignCorners, scale, T.self)
        let interpolationSize: T = cubic ? 4 : 2
        let support = ratio >= 1 ? interpolationSize * T(0.5) * ratio : interpolationSize * T(0.5)
        let invscale: T = ratio >= 1 ? 1 / ratio : 1
        func filter(_ v: T) -> T {
            let x = Swift.abs(v)
            if !cubic { return x < 1 ? 1 - x : 0 }
            let a = T(-0.5)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        var idx: [[Int]] = [], wts: [[Double]] = []
        for o in 0..<output {
            let center = ratio * (T(o) + T(0.5))
            let lo = Swift.max(Int(center - support + T(0.5)), 0)
            let count = Swift.max(Swift.min(Int(center + support + T(0.5)), input) - lo, 1)
            var w = (0..<count).map { filter((T($0 + lo) - center + T(0.5)) * invscale) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            idx.append((0..<count).map { Swift.min(lo + $0, input - 1) })
            wts.append(w.map { Double($0) })
        }
        return (idx, wts)
    }
}
