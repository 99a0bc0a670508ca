import Descent
import RealModule

/// Weight initialisation, like `torch.nn.init`: each function fills a tensor in place (under
/// `noGrad`) drawing exactly PyTorch's numbers from the same generator state.
///
/// ```swift
/// manualSeed(0)
/// let w = Tensor.empty([64, 3, 3, 3])
/// Init.kaimingNormal(w, mode: .fanOut, nonlinearity: .relu)   // == nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
/// ```
public enum Init {
    /// The nonlinearity a gain is computed for, `torch.nn.init.calculate_gain`'s first argument.
    public enum Nonlinearity: String, Sendable {
        /// Gain 1: linear maps, convolutions and the sigmoid.
        case linear, conv1d, conv2d, conv3d, convTranspose1d = "conv_transpose1d", convTranspose2d = "conv_transpose2d"
        /// Gain 1 for `convTranspose3d` and `sigmoid`, 5/3 for `tanh`, √2 for `relu`,
        /// √(2 / (1 + slope²)) for `leakyRelu`, 3/4 for `selu`.
        case convTranspose3d = "conv_transpose3d", sigmoid, tanh, relu, leakyRelu = "leaky_relu", selu
    }

    /// Which fan Kaiming initialisation preserves: the forward pass's (`fan_in`) or the backward's.
    public enum FanMode: String, Sendable {
        /// `fan_in` keeps the forward pass's variance, `fan_out` the backward pass's.
        case fanIn = "fan_in", fanOut = "fan_out"
    }

    /// The recommended gain for a nonlinearity, like `calculate_gain` (`param` is leaky ReLU's
    /// negative slope, 0.01 when nil).
    public static func calculateGain(_ nonlinearity: Nonlinearity, param: Double? = nil) -> Double {
        switch nonlinearity {
        case .linear, .conv1d, .conv2d, .conv3d, .convTranspose1d, .convTranspose2d, .convTranspose3d, .sigmoid: return 1
        case .tanh: return 5.0 / 3
        case .relu: return 2.0.squareRoot()
        case .leakyRelu:
            let slope = param ?? 0.01
            return (2.0 / (1 + slope * slope)).squareRoot()
        case .selu: return 3.0 / 4
        }
    }

    /// `(fan_in, fan_out)` of a weight: `size(1)·receptive field` and `size(0)·receptive field`.
    public static func fans(_ tensor: Tensor) -> (fanIn: Int, fanOut: Int) {
        if tensor.rank < 2 {
            preconditionFailure("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
        }
        let receptive = tensor.shape.dropFirst(2).reduce(1, *)
        return (tensor.shape[1] * receptive, tensor.shape[0] * receptive)
    }

    /// Uniform in `[a, b)`, like `uniform_`.
    public static func uniform(_ tensor: Tensor, a: Double = 0, b: Double = 1, generator: Generator? = nil) {
        noGrad { tensor.uniform(from: a, to: b, generator: generator) }
    }

    /// Normal with `mean` and `std`, like `normal_`.
    public static func normal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil) {
        noGrad { tensor.normal(mean: mean, std: std, generator: generator) }
    }

    /// Every element `value`, like `constant_`.
    public static func constant(_ tensor: Tensor, _ value: Double) { noGrad { tensor.fill(value) } }

    /// Ones, like `ones_`.
    public static func ones(_ tensor: Tensor) { constant(tensor, 1) }

    /// Zeros, like `zeros_`.
    public static func zeros(_ tensor: Tensor) { constant(tensor, 0) }

    /// Glorot uniform: `U(-a, a)` with `a = gain·sqrt(6 / (fan_in + fan_out))`, like `xavier_uniform_`.
    public static func xavierUniform(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(tensor)
        let std = gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
        let a = 3.0.squareRoot() * std
        uniform(tensor, a: -a, b: a, generator: generator)
    }

    /// Glorot normal: `N(0, gain²·2 / (fan_in + fan_out))`, like `xavier_normal_`.
    public static func xavierNormal(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(tensor)
        let std = gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
        normal(tensor, mean: 0, std: std, generator: generator)
    }

    private static func kaimingStd(_ tensor: Tensor, a: Double, mode: FanMode, nonlinearity: Nonlinearity) -> Double {
        let (fanIn, fanOut) = fans(tensor)
        let fan = mode == .fanIn ? fanIn : fanOut
        let gain = calculateGain(nonlinearity, param: a)
        return gain / Double(fan).squareRoot()
    }

    /// He uniform: `U(-b, b)` with `b = gain·sqrt(3 / fan)`, like `kaiming_uniform_`. Layers
    /// draw their default weights with `a: sqrt(5)`.
    public static func kaimingUniform(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
                                      generator: Generator? = nil) {
        if tensor.shape.contains(0) { return }
        let bound = 3.0.squareRoot() * kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity)
        uniform(tensor, a: -bound, b: bound, generator: generator)
    }

    /// He normal: `N(0, gain² / fan)`, like `kaiming_normal_`.
    public static func kaimingNormal(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
                                     generator: Generator? = nil) {
        if tensor.shape.contains(0) { return }
        normal(tensor, mean: 0, std: kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity), generator: generator)
    }

    /// A normal distribution cut to `[a, b]`, like `trunc_normal_` (PyTorch 2.15's sampler):
    /// when the interval holds more than 30% of the mass, normal draws with the ones outside
    /// drawn again; otherwise uniform candidates in `[a, b]` accepted with probability
    /// `pdf / pdf(mode)`, rejected ones drawn again.
    public static func truncNormal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                   generator: Generator? = nil) {
        func cdf(_ x: Double) -> Double { (1 + Double.erf(x / 2.0.squareRoot())) / 2 }
        let p = cdf((b - mean) / std) - cdf((a - mean) / std)
        noGrad {
            if p > 0.3 {
                // The bounds as the tensor's dtype holds them, so the mask agrees with its values.
                let lo = Tensor(a).to(tensor.dtype).item(), hi = Tensor(b).to(tensor.dtype).item()
                tensor.normal(mean: mean, std: std, generator: generator)
                var result = tensor
                while true {
                    let outside = (result .< lo).logicalOr(result .> hi)
                    if !outside.any().item(as: Bool.self) { break }
                    let redraw = Tensor.empty(tensor.shape, dtype: tensor.dtype)
                    redraw.normal(mean: mean, std: std, generator: generator)
                    result = Tensor.where(outside, redraw, result)
                }
                if result !== tensor { tensor.copy(from: result) }
                return
            }
            let mode = Swift.max(a, Swift.min(mean, b))
            let logPeak = -0.5 * ((mode - mean) / std) * ((mode - mean) / std)
            func logDensity(_ candidates: Tensor) -> Tensor { ((candidates - mean) / std).pow(2) * -0.5 - logPeak }
            func accepted(_ logPdf: Tensor) -> Tensor {
                let u = Tensor.empty(tensor.shape, dtype: tensor.dtype)
                u.uniform(generator: generator)
                return u.log() .> logPdf
            }
            tensor.uniform(from: a, to: b, generator: generator)
            var pending = accepted(logDensity(tensor))
            if !pending.any().item(as: Bool.self) { return }
            var result = tensor
            let candidates = Tensor.empty(tensor.shape, dtype: tensor.dtype)
            while true {
                candidates.uniform(from: a, to: b, generator: generator)
                result = Tensor.where(pending, candidates, result)
                pending = Tensor.where(pending, accepted(logDensity(candidates)), pending)
                if !pending.any().item(as: Bool.self) { break }
            }
            tensor.copy(from: result)
        }
    }

    /// A (semi-)orthogonal matrix from the QR decomposition of a normal draw, like `orthogonal_`;
    /// dimensions after the first are flattened.
    public static func orthogonal(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil) {
        if tensor.rank < 2 { preconditionFailure("Only tensors with 2 or more dimensions are supported") }
        if tensor.scalarCount == 0 { return }
        let rows = tensor.shape[0], cols = tensor.scalarCount / rows
        noGrad {
            var flattened = Tensor.empty([rows, cols], dtype: tensor.dtype)
            flattened.normal(mean: 0, std: 1, generator: generator)
            if rows < cols { flattened = flattened.t() }
            var (q, r) = flattened.qr()
            q = q * r.diagonal().sign()
            if rows < cols { q = q.t() }
            tensor.copy(from: (q * gain).reshape(tensor.shape))
        }
    }
}

extension Module {
    /// Calls `body` on every submodule (children first, then this one), like `module.apply(fn)`:
    /// the way to initialise a model's layers.
    ///
    /// ```swift
    /// model.apply { m in
    ///     if let conv = m as? Conv2d { Init.kaimingNormal(conv.weight, mode: .fanOut, nonlinearity: .relu) }
    /// }
    /// ```
    @discardableResult
    public func apply(_ body: (Module) -> Void) -> Self {
        for child in children() { child.apply(body) }
        body(self)
        return self
    }

    /// This module and every descendant, depth first, with dotted names (`""` for this one),
    /// like `named_modules()`.
    public func namedModules() -> [(String, Module)] {
        var out: [(String, Module)] = [("", self)]
        for (name, child) in namedChildren {
            out += child.namedModules().map { ($0.0.isEmpty ? name : "\(name).\($0.0)", $0.1) }
        }
        return out
    }

    /// This module and every descendant, like `modules()`.
    public func modules() -> [Module] { namedModules().map(\.1) }
}
