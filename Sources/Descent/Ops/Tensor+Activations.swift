import RealModule

// Activation functions, as `torch.nn.functional` names them. Forwards follow ATen's CPU kernels'
// expressions; gradients are PyTorch's backward formulas written with tensor ops, so they are
// differentiable again.

extension Tensor {
    /// `log(1 + e^(βx)) / β`, linear above `threshold` (`SoftplusBackward0`), like `F.softplus`.
    ///
    /// ```swift
    /// let y = x.softplus(beta: 2)
    /// ```
    public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _SoftplusOp(beta: beta, threshold: threshold))
        return out._recorded("SoftplusBackward0", x, saving: x) { g, n in
            let xb = n.savedTensor(0) * beta
            let z = xb.exp()
            return (Tensor.where(xb .> threshold, g, g * z / (z + 1)), nil)
        }
    }

    /// `x · sigmoid(x)` (`SiluBackward0`), like `F.silu`.
    public func silu() -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _StaticFloatMap<_Silu>())
        return out._recorded("SiluBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let s = x.sigmoid()
            return (g * s * (1 + x * (1 - s)), nil)
        }
    }

    /// `x · tanh(softplus(x))` (`MishBackward0`), like `F.mish`.
    public func mish() -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _StaticFloatMap<_Mish>())
        return out._recorded("MishBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let t = x.softplus().tanh()
            return (g * (t + x * x.sigmoid() * (1 - t * t)), nil)
        }
    }

    /// `x` where positive, `negativeSlope · x` elsewhere (`LeakyReluBackward0`).
    public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _LeakyReluOp(slope: negativeSlope))
        return out._recorded("LeakyReluBackward0", x, saving: x) { g, n in
            (Tensor.where(n.savedTensor(0) .> 0, g, g * negativeSlope), nil)
        }
    }

    /// `x` where positive, `weight · x` elsewhere, with a learnable slope per channel (dimension
    /// 1) or one for all, like `F.prelu` (`PreluKernelBackward0`).
    ///
    /// ```swift
    /// let y = x.prelu(Tensor([0.25]))
    /// ```
    public func prelu(_ weight: Tensor) -> Tensor {
        let channels = rank >= 2 ? shape[1] : 1
        if weight.rank > 1 { _fail("prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = \(weight.rank)") }
        if weight.scalarCount != 1 && weight.scalarCount != channels {
            _fail("Mismatch of parameter numbers and input channel size. Found parameter numbers = \(weight.scalarCount) and channel size = \(channels).")
        }
        var view = [Int](repeating: 1, count: Swift.max(rank, 1))
        if rank >= 2 { view[1] = weight.scalarCount }
        if rank == 0 { view = [] }
        let slope = weight.reshape(view)
        let out = noGrad { Tensor.where(self .> 0, self, slope * self) }
        let weightShape = weight.shape
        let reduced = (0..<rank).filter { rank < 2 || weight.scalarCount == 1 || $0 != 1 }
        return out._recorded("PreluKernelBackward0", self, weight, saving: self, weight) { g, node in
            let x = node.savedTensor(0), w = node.savedTensor(1).reshape(view)
            let positive = x .> 0
            return (node.needsInputGrad(0) ? Tensor.where(positive, g, w * g) : nil,
                    node.needsInputGrad(1) ? Tensor.where(positive, Tensor.zeros([], dtype: x.dtype), x * g).sum(dims: reduced).reshape(weightShape) : nil)
        }
    }

    /// The exponential linear unit, `α(e^x - 1)` below zero (`EluBackward0`), like `F.elu`.
    public func elu(alpha: Double = 1) -> Tensor { _elu(alpha: alpha, scale: 1, inputScale: 1, name: "EluBackward0") }

    /// The scaled exponential linear unit with its fixed `α` and scale (`EluBackward0`).
    public func selu() -> Tensor {
        _elu(alpha: 1.6732632423543772848170429916717, scale: 1.0507009873554804934193349852946, inputScale: 1, name: "EluBackward0")
    }

    /// `max(0, x) + min(0, α(e^(x/α) - 1))` (`CeluBackward0`), like `F.celu`.
    public func celu(alpha: Double = 1) -> Tensor {
        if alpha == 0 { _fail("ZeroDivisionError") }
        return _elu(alpha: alpha, scale: 1, inputScale: 1 / alpha, name: "CeluBackward0")
    }

    private func _elu(alpha: Double, scale: Double, inputScale: Double, name: StaticString) -> Tensor {
        let x = _asFloating
        let negcoef = alpha * scale
        // ATen's elu kernel: expm1 of the scaled input below zero, the scaled input above.
        let out = Elementwise.mapFloat(x, _EluOp(inputScale: inputScale, negcoef: negcoef, scale: scale))
        return out._recorded(name, x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let negative = g * (inputScale * negcoef) * (x * inputScale).exp()
            return (Tensor.where(x .<= 0, negative, g * scale), nil)
        }
    }

    /// Clamps to `[minVal, maxVal]` (`HardtanhBackward0`); the gradient passes strictly inside.
    public func hardtanh(minVal: Double = -1, maxVal: Double = 1) -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _HardtanhOp(low: minVal, high: maxVal))
        return out._recorded("HardtanhBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            return (Tensor.where((x .<= minVal) | (x .>= maxVal), Tensor.zeros([], dtype: g.dtype), g), nil)
        }
    }

    /// `min(max(x, 0), 6)` (`HardtanhBackward0`), like `F.relu6`.
    public func relu6() -> Tensor { hardtanh(minVal: 0, maxVal: 6) }

    /// `relu6(x + 3) / 6` (`HardsigmoidBackward0`).
    public func hardsigmoid() -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _StaticFloatMap<_Hardsigmoid>())
        return out._recorded("HardsigmoidBackward0", x, saving: x) { g, n in
            // ATen multiplies by `scalar_t(1.0f / 6.0f)`: a float sixth, also for float64.
            let x = n.savedTensor(0), sixth = Double(Float(1) / Float(6))
            return (Tensor.where((x .> -3) & (x .< 3), g * sixth, Tensor.zeros([], dtype: g.dtype)), nil)
        }
    }

    /// `x · relu6(x + 3) / 6` (`HardswishBackward0`).
    public func hardswish() -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _StaticFloatMap<_Hardswish>())
        return out._recorded("HardswishBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let middle = Tensor.where(x .<= 3, g * (x / 3 + 0.5), g)
            return (Tensor.where(x .< -3, Tensor.zeros([], dtype: g.dtype), middle), nil)
        }
    }

    /// `log(sigmoid(x))`, computed stably (`LogSigmoidBackward0`).
    public func logsigmoid() -> Tensor {
        let x = _asFloating
        // ATen's kernel writes a contiguous result, reading `input.contiguous()`.
        let out = Elementwise.mapFloat(x.isContiguous ? x : noGrad { x.contiguous() }, _StaticFloatMap<_Logsigmoid>())
        return out._recorded("LogSigmoidBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let negative = x .< 0
            let z = (-x.abs()).exp()
            let maxDeriv = negative.to(g.dtype), sign = maxDeriv * 2 - 1
            return (g * (maxDeriv - sign * (z / (z + 1))), nil)
        }
    }

    /// `x / (1 + |x|)` (`DivBackward0`, composite as in PyTorch).
    public func softsign() -> Tensor { self / (abs() + 1) }

    /// `x` above `threshold`, `value` elsewhere (`ThresholdBackward0`).
    public func threshold(_ threshold: Double, _ value: Double) -> Tensor {
        let out: Tensor
        switch dtype {
        case .float32: out = Elementwise.map(self, Float.self, Float.self) { $0 <= Float(threshold) ? Float(value) : $0 }
        case .float64: out = Elementwise.map(self, Double.self, Double.self) { $0 <= threshold ? value : $0 }
        case .int64: out = Elementwise.map(self, Int64.self, Int64.self) { Double($0) <= threshold ? Int64(value) : $0 }
        case .bool: _fail("\"threshold_cpu\" not implemented for 'Bool'")
        }
        return out._recorded("ThresholdBackward0", self, saving: self) { g, n in
            (Tensor.where(n.savedTensor(0) .<= threshold, Tensor.zeros([], dtype: g.dtype), g), nil)
        }
    }

    /// The gated linear unit: the first half of `dim` times the sigmoid of the second
    /// (`GluBackward0`).
    public func glu(dim: Int = -1) -> Tensor {
        let d = Shape.wrap(dim, rank: rank)
        if rank == 0 { _fail("glu does not support scalars because halving size must be even") }
        if shape[d] % 2 != 0 {
            _fail("Halving dimension must be even, but dimension \(d) is size \(shape[d])")
        }
        let half = shape[d] / 2
        let out = noGrad { narrow(d, 0, half) * narrow(d, half, half).sigmoid() }
        return out._recorded("GluBackward0", self, saving: self) { g, n in
            let x = n.savedTensor(0)
            let a = x.narrow(d, 0, half), s = x.narrow(d, half, half).sigmoid()
            // ATen's glu_backward: `sigmoid(b) · g`, and `(1 - s) · s · a · g` in that order.
            return (Tensor.cat([s * g, (1 - s) * s * a * g], dim: d), nil)
        }
    }

    /// `log(p / (1 - p))`, with `p` clamped to `[eps, 1 - eps]` when `eps` is given
    /// (`LogitBackward0`).
    public func logit(eps: Double? = nil) -> Tensor {
        let x = _asFloating
        let out = Elementwise.mapFloat(x, _LogitOp(eps: eps))
        return out._recorded("LogitBackward0", x, saving: x) { g, n in
            let x = n.savedTensor(0)
            let inside = g / (x * (1 - x))
            guard let eps else {
                return (Tensor.where((x .< 0) | (x .> 1), Tensor.full([], Double.nan, dtype: g.dtype), inside), nil)
            }
            return (Tensor.where((x .< eps) | (x .> 1 - eps), Tensor.zeros([], dtype: g.dtype), inside), nil)
        }
    }
}

// The scalar functions of the activations, as ATen's CPU kernels write them.

enum _Silu: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ v: T) -> T { v / (1 + T.exp(-v)) } }
enum _Mish: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ v: T) -> T { v * T.tanh(T.log(onePlus: T.exp(v))) } }
enum _Hardsigmoid: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ v: T) -> T { Swift.min(Swift.max(v + 3, 0), 6) / 6 } }
enum _Hardswish: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ v: T) -> T { v * Swift.min(Swift.max(v + 3, 0), 6) / 6 } }
enum _Logsigmoid: _UnaryFloatFunction {
    static func apply<T: _FloatElement>(_ v: T) -> T { Swift.min(v, 0) - T.log(onePlus: T.exp(-Swift.abs(v))) }
}

struct _SoftplusOp: _FloatMap {
    let beta: Double, threshold: Double
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T {
        let (b, t) = (T(beta), T(threshold))
        return v * b > t ? v : T.log(onePlus: T.exp(v * b)) / b
    }
}

struct _LeakyReluOp: _FloatMap {
    let slope: Double
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T { v > 0 ? v : v * T(slope) }
}

/// ATen's elu kernel: expm1 of the scaled input below zero, the scaled input above.
struct _EluOp: _FloatMap {
    let inputScale: Double, negcoef: Double, scale: Double
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T {
        v <= 0 ? T.expMinusOne(v * T(inputScale)) * T(negcoef) : v * T(scale)
    }
}

struct _HardtanhOp: _FloatMap {
    let low: Double, high: Double
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T {
        let (lo, hi) = (T(low), T(high))
        return v < lo ? lo : (v > hi ? hi : v)
    }
}

struct _LogitOp: _FloatMap {
    let eps: Double?
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T {
        let z = eps.map { e in Swift.min(Swift.max(v, T(e)), 1 - T(e)) } ?? v
        return T.log(z / (1 - z))
    }
}
