import RealModule

// Trigonometric, hyperbolic, exponential, special and rounding functions. Each forward is one
// scalar function run by `Elementwise.mapFloat` (threaded for large tensors); each gradient is
// PyTorch's formula from derivatives.yaml written with tensor ops, so it is differentiable
// again under `createGraph`.

extension Tensor {
    /// Integer and bool inputs compute in the default float dtype, as PyTorch's float ops do.
    var _asFloating: Tensor { dtype.isFloatingPoint ? self : to(.float32) }

    /// Applies `F` and records `name`, saving the input (`saved 0`) and, with `savingOutput`,
    /// the result after it.
    @inline(__always)
    func _unaryFloat<F: _UnaryFloatFunction>(
        _ f: F.Type, _ name: StaticString, savingInput: Bool = true, savingOutput: Bool = false,
        _ vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> (Tensor?, Tensor?)
    ) -> Tensor {
        let x = _asFloating
        return Elementwise.mapFloat(x, F.self)._recorded(name, x, saving: savingInput ? x : nil, savingOutput: savingOutput, vjp)
    }

    /// The sine elementwise (`SinBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.linspace(-Double.pi, Double.pi, 5).sin()
    /// ```
    public func sin() -> Tensor {
        _unaryFloat(_Sin.self, "SinBackward0") { g, n in (g * n.savedTensor(0).cos(), nil) }
    }

    /// The cosine elementwise (`CosBackward0`).
    public func cos() -> Tensor {
        _unaryFloat(_Cos.self, "CosBackward0") { g, n in (g * -n.savedTensor(0).sin(), nil) }
    }

    /// The tangent elementwise (`TanBackward0`).
    public func tan() -> Tensor {
        _unaryFloat(_Tan.self, "TanBackward0", savingInput: false, savingOutput: true) { g, n in
            (g * (n.savedTensor(0).pow(2) + 1), nil)
        }
    }

    /// The arcsine elementwise (`AsinBackward0`).
    public func asin() -> Tensor {
        _unaryFloat(_Asin.self, "AsinBackward0") { g, n in
            let x = n.savedTensor(0)
            return (g * (-x * x + 1).rsqrt(), nil)
        }
    }

    /// The arccosine elementwise (`AcosBackward0`).
    public func acos() -> Tensor {
        _unaryFloat(_Acos.self, "AcosBackward0") { g, n in
            let x = n.savedTensor(0)
            return (g * -((-x * x + 1).rsqrt()), nil)
        }
    }

    /// The arctangent elementwise (`AtanBackward0`).
    public func atan() -> Tensor {
        _unaryFloat(_Atan.self, "AtanBackward0") { g, n in
            let x = n.savedTensor(0)
            return (g / (x * x + 1), nil)
        }
    }

    /// The hyperbolic sine elementwise (`SinhBackward0`).
    public func sinh() -> Tensor {
        _unaryFloat(_Sinh.self, "SinhBackward0") { g, n in (g * n.savedTensor(0).cosh(), nil) }
    }

    /// The hyperbolic cosine elementwise (`CoshBackward0`).
    public func cosh() -> Tensor {
        _unaryFloat(_Cosh.self, "CoshBackward0") { g, n in (g * n.savedTensor(0).sinh(), nil) }
    }

    /// The inverse hyperbolic sine elementwise (`AsinhBackward0`).
    public func asinh() -> Tensor {
        _unaryFloat(_Asinh.self, "AsinhBackward0") { g, n in (g * (n.savedTensor(0).pow(2) + 1).rsqrt(), nil) }
    }

    /// The inverse hyperbolic cosine elementwise (`AcoshBackward0`).
    public func acosh() -> Tensor {
        _unaryFloat(_Acosh.self, "AcoshBackward0") { g, n in (g * (n.savedTensor(0).pow(2) - 1).rsqrt(), nil) }
    }

    /// The inverse hyperbolic tangent elementwise (`AtanhBackward0`).
    public func atanh() -> Tensor {
        _unaryFloat(_Atanh.self, "AtanhBackward0") { g, n in (g / (1 - n.savedTensor(0).pow(2)), nil) }
    }

    /// `2^x` elementwise (`Exp2Backward0`).
    public func exp2() -> Tensor {
        _unaryFloat(_Exp2.self, "Exp2Backward0", savingInput: false, savingOutput: true) { g, n in
            (g * n.savedTensor(0) * 0.6931471805599453, nil)
        }
    }

    /// `e^x - 1` elementwise, accurate near zero (`Expm1Backward0`).
    public func expm1() -> Tensor {
        _unaryFloat(_Expm1.self, "Expm1Backward0", savingInput: false, savingOutput: true) { g, n in
            (g * (n.savedTensor(0) + 1), nil)
        }
    }

    /// The base-2 logarithm elementwise (`Log2Backward0`).
    public func log2() -> Tensor {
        _unaryFloat(_Log2.self, "Log2Backward0") { g, n in (g / (n.savedTensor(0) * 0.6931471805599453), nil) }
    }

    /// The base-10 logarithm elementwise (`Log10Backward0`).
    public func log10() -> Tensor {
        _unaryFloat(_Log10.self, "Log10Backward0") { g, n in (g / (n.savedTensor(0) * 2.302585092994046), nil) }
    }

    /// `log(1 + x)` elementwise, accurate near zero (`Log1PBackward0`).
    public func log1p() -> Tensor {
        _unaryFloat(_Log1p.self, "Log1PBackward0") { g, n in (g / (n.savedTensor(0) + 1), nil) }
    }

    /// The error function elementwise (`ErfBackward0`).
    public func erf() -> Tensor {
        _unaryFloat(_Erf.self, "ErfBackward0") { g, n in
            ((-n.savedTensor(0).pow(2)).exp() * 1.1283791670955126 * g, nil)
        }
    }

    /// The complementary error function `1 - erf(x)` elementwise (`ErfcBackward0`).
    public func erfc() -> Tensor {
        _unaryFloat(_Erfc.self, "ErfcBackward0") { g, n in
            ((-n.savedTensor(0).pow(2)).exp() * -1.1283791670955126 * g, nil)
        }
    }

    /// The inverse error function elementwise (`ErfinvBackward0`), ATen's algorithm.
    public func erfinv() -> Tensor {
        _unaryFloat(_Erfinv.self, "ErfinvBackward0") { g, n in
            (n.savedTensor(0).erfinv().pow(2).exp() * 0.886226925452758 * g, nil)
        }
    }

    /// The log of the absolute value of the gamma function elementwise (`LgammaBackward0`).
    public func lgamma() -> Tensor {
        _unaryFloat(_Lgamma.self, "LgammaBackward0") { g, n in (g * n.savedTensor(0).digamma(), nil) }
    }

    /// The derivative of `lgamma` elementwise (`DigammaBackward0`), ATen's algorithm.
    public func digamma() -> Tensor {
        _unaryFloat(_Digamma.self, "DigammaBackward0") { g, n in (g * n.savedTensor(0)._trigamma(), nil) }
    }

    /// `polygamma(1, x)`, the derivative of digamma; its own derivative is not provided.
    func _trigamma() -> Tensor {
        _unaryFloat(_Trigamma.self, "PolygammaBackward0") { _, _ in
            _fail("the derivative of polygamma(1, x) is not implemented in Descent")
        }
    }

    /// `1 / sqrt(x)` elementwise (`RsqrtBackward0`).
    public func rsqrt() -> Tensor {
        _unaryFloat(_Rsqrt.self, "RsqrtBackward0", savingInput: false, savingOutput: true) { g, n in
            (g * -0.5 * n.savedTensor(0).pow(3), nil)
        }
    }

    /// `x * x` elementwise, recorded as `pow(2)` (`PowBackward0`), as PyTorch's `square` is.
    public func square() -> Tensor { pow(2) }

    /// Rounds down elementwise (`FloorBackward0`, whose gradient is zero); integers are kept.
    public func floor() -> Tensor { _rounding(_Floor.self, "FloorBackward0") }

    /// Rounds up elementwise (`CeilBackward0`).
    public func ceil() -> Tensor { _rounding(_Ceil.self, "CeilBackward0") }

    /// Rounds toward zero elementwise (`TruncBackward0`).
    public func trunc() -> Tensor { _rounding(_Trunc.self, "TruncBackward0") }

    /// Rounds half to even elementwise (`RoundBackward0`), or to `decimals` places
    /// (`RoundBackward1`) by scaling with `10^decimals` as PyTorch does.
    ///
    /// ```swift
    /// Tensor([0.5, 1.5, 2.675]).round()             // tensor([0., 2., 3.])
    /// Tensor([1.2345]).round(decimals: 2)           // tensor([1.2300])
    /// ```
    public func round(decimals: Int = 0) -> Tensor {
        if decimals == 0 { return _rounding(_Round.self, "RoundBackward0") }
        if !dtype.isFloatingPoint { _fail("\"round_cpu\" not implemented for '\(dtype.cppName)'") }
        // ATen's round_decimals kernel: multiply by ten_pow (or divide for negative decimals),
        // round half to even, undo.
        let negative = decimals < 0
        func run<T: _FloatElement>(_: T.Type) -> Tensor {
            let p = T(_pow10(Swift.abs(decimals)))
            return Elementwise.map(self, T.self, T.self) { x in
                negative ? (x / p).rounded(.toNearestOrEven) * p : (x * p).rounded(.toNearestOrEven) / p
            }
        }
        let out = dtype == .float32 ? run(Float.self) : run(Double.self)
        return out._recorded("RoundBackward1", self) { g, _ in (Tensor.zeros(like: g), nil) }
    }

    /// The fractional part `x - trunc(x)` elementwise (`FracBackward0`).
    public func frac() -> Tensor {
        if !dtype.isFloatingPoint { _fail("\"frac_cpu\" not implemented for '\(dtype.cppName)'") }
        return _unaryFloat(_Frac.self, "FracBackward0", savingInput: false) { g, _ in (g, nil) }
    }

    private func _rounding<F: _UnaryFloatFunction>(_ f: F.Type, _ name: StaticString) -> Tensor {
        // Integers are already whole: a copy, as ATen's kernels give.
        if !dtype.isFloatingPoint {
            if dtype == .bool {
                let kernel = "\(name)".hasPrefix("Floor") ? "floor_vml_cpu" : "\("\(name)".prefix { $0 != "B" }.lowercased())_vml_cpu"
                _fail("\"\(kernel)\" not implemented for 'Bool'")
            }
            return clone()
        }
        return Elementwise.mapFloat(self, F.self)._recorded(name, self) { g, _ in (Tensor.zeros(like: g), nil) }
    }
}

/// `10^n` for a non-negative `n`, exactly as a double (what C's `pow(10, n)` gives for these).
private func _pow10(_ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= 10 }
    return r
}
