import RealModule

// Binary float functions with broadcasting and type promotion: atan2, hypot, xlogy, copysign,
// fmod, remainder, lerp, and nanToNum. Gradients are PyTorch's formulas with tensor ops.

/// A float function of two numbers of the same dtype.
protocol _BinaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T
}

enum _Atan2: _BinaryFloatFunction { static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T { T.atan2(y: x, x: y) } }
enum _Hypot: _BinaryFloatFunction { static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T { T.hypot(x, y) } }
enum _Xlogy: _BinaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T { y.isNaN ? .nan : (x == 0 ? 0 : x * T.log(y)) }
}
enum _Copysign: _BinaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T { T(signOf: y, magnitudeOf: x) }
}
enum _Fmod: _BinaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T { x.truncatingRemainder(dividingBy: y) }
}
/// Python's modulus: the result takes the divisor's sign (ATen's remainder kernel).
enum _Remainder: _BinaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T, _ y: T) -> T {
        var m = x.truncatingRemainder(dividingBy: y)
        if m != 0 && (y < 0) != (m < 0) { m += y }
        return m
    }
}

extension Tensor {
    /// Promotes both operands to a common float dtype and applies `F` with broadcasting.
    static func _zipFloat<F: _BinaryFloatFunction>(_ a: Tensor, _ b: Tensor, _: F.Type) -> (Tensor, Tensor, Tensor) {
        var type = a.dtype == b.dtype ? a.dtype : _resultType(a, b)
        if !type.isFloatingPoint { type = .float32 }
        let x = a.dtype == type ? a : noGrad { a.to(type) }, y = b.dtype == type ? b : noGrad { b.to(type) }
        let out = type == .float32
            ? Elementwise.zip(x, y, Float.self, Float.self, Float.self) { F.apply($0, $1) }
            : Elementwise.zip(x, y, Double.self, Double.self, Double.self) { F.apply($0, $1) }
        return (out, x, y)
    }

    /// A number as the 0-d operand PyTorch wraps it in: it takes the tensor's float dtype.
    private func _wrapped(_ value: Double) -> Tensor {
        Tensor.full([], value, dtype: dtype.isFloatingPoint ? dtype : .float32)
    }

    /// The angle of the point `(other, self)`, `atan2(self, other)` elementwise (`Atan2Backward0`).
    ///
    /// ```swift
    /// let angle = y.atan2(x)
    /// ```
    public func atan2(_ other: Tensor) -> Tensor {
        let (out, _, _) = Tensor._zipFloat(self, other, _Atan2.self)
        return out._recorded("Atan2Backward0", self, other, saving: self, other) { g, n in
            let a = n.savedTensor(0), b = n.savedTensor(1)
            let recip = (a * a + b * b).reciprocal()
            return (n.needsInputGrad(0) ? g * b * recip : nil, n.needsInputGrad(1) ? g * -a * recip : nil)
        }
    }

    /// `sqrt(self² + other²)` elementwise without overflow (`HypotBackward0`).
    public func hypot(_ other: Tensor) -> Tensor {
        let (out, _, _) = Tensor._zipFloat(self, other, _Hypot.self)
        return out._recorded("HypotBackward0", self, other, saving: self, other, savingOutput: true) { g, n in
            let r = n.savedTensor(2)
            return (n.needsInputGrad(0) ? g * n.savedTensor(0) / r : nil, n.needsInputGrad(1) ? g * n.savedTensor(1) / r : nil)
        }
    }

    /// `self · log(other)`, zero where `self` is zero (`XlogyBackward0`), like `torch.xlogy`.
    public func xlogy(_ other: Tensor) -> Tensor {
        let (out, _, _) = Tensor._zipFloat(self, other, _Xlogy.self)
        return out._recorded("XlogyBackward0", self, other, saving: self, other) { g, n in
            let a = n.savedTensor(0), b = n.savedTensor(1)
            let ga = n.needsInputGrad(0)
                ? Tensor.where((a .== 0) & (b .<= 0), Tensor.zeros([], dtype: g.dtype), g.xlogy(b)) : nil
            return (ga, n.needsInputGrad(1) ? g * a / b : nil)
        }
    }

    /// `xlogy` with a number for `other` (`XlogyBackward2`).
    public func xlogy(_ other: Double) -> Tensor {
        let b = _wrapped(other)
        let (out, _, _) = Tensor._zipFloat(self, b, _Xlogy.self)
        return out._recorded("XlogyBackward2", self, scalar: other) { g, n in
            (g * Double.log(n.scalar), nil)
        }
    }

    /// The magnitude of `self` with the sign of `other` (`CopysignBackward0`).
    public func copysign(_ other: Tensor) -> Tensor {
        let (out, _, _) = Tensor._zipFloat(self, other, _Copysign.self)
        return out._recorded("CopysignBackward0", self, other, saving: self, savingOutput: true) { g, n in
            (n.needsInputGrad(0) ? Tensor._copysignGrad(g, n.savedTensor(0), n.savedTensor(1)) : nil,
             n.needsInputGrad(1) ? Tensor.zeros(like: g) : nil)
        }
    }

    /// The magnitude of `self` with the sign of a number (`CopysignBackward1`).
    public func copysign(_ other: Double) -> Tensor {
        let (out, _, _) = Tensor._zipFloat(self, _wrapped(other), _Copysign.self)
        return out._recorded("CopysignBackward1", self, saving: self, savingOutput: true) { g, n in
            (Tensor._copysignGrad(g, n.savedTensor(0), n.savedTensor(1)), nil)
        }
    }

    /// PyTorch's `copysign_tensor_self_backward`: `grad · result / self`, zero where self is 0.
    private static func _copysignGrad(_ g: Tensor, _ x: Tensor, _ result: Tensor) -> Tensor {
        let ratio = Tensor.where(x .== 0, Tensor.zeros([], dtype: g.dtype), result / x)
        return g * ratio
    }

    /// The C remainder `self - trunc(self / other) · other`, with the dividend's sign
    /// (`FmodBackward1`); integer tensors stay integral.
    public func fmod(_ other: Tensor) -> Tensor { _modulo(other, python: false) }

    /// `fmod` by a number (`FmodBackward0`).
    public func fmod(_ other: Double) -> Tensor { _modulo(scalar: other, python: false) }

    /// Python's remainder, with the divisor's sign (`RemainderBackward1`); integer tensors stay
    /// integral.
    ///
    /// ```swift
    /// Tensor([5, -5]).remainder(Tensor([3]))   // tensor([2, 1])
    /// ```
    public func remainder(_ other: Tensor) -> Tensor { _modulo(other, python: true) }

    /// `remainder` by a number (`RemainderBackward0`).
    public func remainder(_ other: Double) -> Tensor { _modulo(scalar: other, python: true) }

    private func _modulo(_ other: Tensor, python: Bool) -> Tensor {
        if dtype == .int64 && other.dtype == .int64 || dtype == .bool && other.dtype != .bool && !other.dtype.isFloatingPoint {
            return Tensor._integerModulo(self.to(.int64), other.to(.int64), python: python)
        }
        let (out, _, _) = python ? Tensor._zipFloat(self, other, _Remainder.self) : Tensor._zipFloat(self, other, _Fmod.self)
        let name: StaticString = python ? "RemainderBackward1" : "FmodBackward1"
        return out._recorded(name, self, other, saving: self, other) { g, n in
            let a = n.savedTensor(0), b = n.savedTensor(1)
            let quotient = noGrad { python ? (a / b).floor() : (a / b).trunc() }
            return (n.needsInputGrad(0) ? g : nil, n.needsInputGrad(1) ? -g * quotient : nil)
        }
    }

    private func _modulo(scalar: Double, python: Bool) -> Tensor {
        if dtype == .int64, let k = Int64(exactly: scalar) {
            return Tensor._integerModulo(self, Tensor.full([], Int(k)), python: python)
        }
        let b = _wrapped(scalar)
        let (out, _, _) = python ? Tensor._zipFloat(self, b, _Remainder.self) : Tensor._zipFloat(self, b, _Fmod.self)
        let name: StaticString = python ? "RemainderBackward0" : "FmodBackward0"
        return out._recorded(name, self) { g, _ in (g, nil) }
    }

    private static func _integerModulo(_ a: Tensor, _ b: Tensor, python: Bool) -> Tensor {
        Elementwise.zip(a, b, Int64.self, Int64.self, Int64.self) { x, y in
            if y == 0 { _fail("ZeroDivisionError") }
            var r = x.remainderReportingOverflow(dividingBy: y).partialValue
            if python && r != 0 && (r < 0) != (y < 0) { r &+= y }
            return r
        }
    }

    /// `self + weight · (end - self)` (`LerpBackward0`), like `torch.lerp` with a number.
    ///
    /// ```swift
    /// let ema = average.lerp(value, weight: 0.1)
    /// ```
    public func lerp(_ end: Tensor, weight: Double) -> Tensor {
        let (a, b) = dtype == end.dtype ? (self, end) : noGrad { Tensor._promote(self, end) }
        if !a.dtype.isFloatingPoint { _fail("\"lerp_kernel_scalar\" not implemented for '\(a.dtype.cppName)'") }
        // ATen's lerp: from the nearer end, so that weight 1 gives `end` exactly.
        func run<T: _FloatElement>(_: T.Type) -> Tensor {
            let w = T(weight)
            return Elementwise.zip(a, b, T.self, T.self, T.self) { s, e in
                Swift.abs(w) < 0.5 ? s + w * (e - s) : e - (e - s) * (1 - w)
            }
        }
        let out = a.dtype == .float32 ? run(Float.self) : run(Double.self)
        return out._recorded("LerpBackward0", self, end, scalar: weight) { g, n in
            (n.needsInputGrad(0) ? g * (1 - n.scalar) : nil, n.needsInputGrad(1) ? g * n.scalar : nil)
        }
    }

    /// `lerp` with a weight per element (`LerpBackward1`).
    public func lerp(_ end: Tensor, weight: Tensor) -> Tensor {
        let type = Tensor._resultType([self, end, weight])
        if !type.isFloatingPoint { _fail("\"lerp_kernel_tensor\" not implemented for '\(type.cppName)'") }
        let (s, e, w) = noGrad { (self.to(type), end.to(type), weight.to(type)) }
        func run<T: _FloatElement>(_: T.Type) -> Tensor {
            let diff = Elementwise.zip(e, s, T.self, T.self, T.self) { $0 - $1 }
            return Elementwise.zip3(w, s, diff, T.self, T.self, T.self) { w, s, d in
                Swift.abs(w) < 0.5 ? s + w * d : (s + d) - d * (1 - w)
            }
        }
        let out = type == .float32 ? run(Float.self) : run(Double.self)
        return out._recorded("LerpBackward1", [self, end, weight], saving: [self, end, weight]) { g, n in
            let (s, e, w) = (n.savedTensor(0), n.savedTensor(1), n.savedTensor(2))
            return [n.needsInputGrad(0) ? g * (1 - w) : nil, n.needsInputGrad(1) ? g * w : nil,
                    n.needsInputGrad(2) ? g * (e - s) : nil]
        }
    }

    /// Replaces NaN with `nan`, and infinities with `posinf`/`neginf` (the dtype's largest
    /// finite values by default), like `torch.nan_to_num` (`NanToNumBackward0`).
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        if !dtype.isFloatingPoint { return clone() }
        let out = Elementwise.mapFloat(self, _NanToNumOp(nan: nan, posinf: posinf, neginf: neginf))
        return out._recorded("NanToNumBackward0", self, saving: self) { g, n in
            let x = n.savedTensor(0)
            return (Tensor.where(x.isnan() | x.isinf(), Tensor.zeros([], dtype: g.dtype), g), nil)
        }
    }

    /// Whether each element is infinite.
    public func isinf() -> Tensor {
        dtype.isFloatingPoint ? abs() .== Double.infinity : Tensor.zeros(shape, dtype: .bool)
    }

    /// Whether each element is positive infinity.
    public func isposinf() -> Tensor { dtype.isFloatingPoint ? self .== Double.infinity : Tensor.zeros(shape, dtype: .bool) }

    /// Whether each element is negative infinity.
    public func isneginf() -> Tensor { dtype.isFloatingPoint ? self .== -Double.infinity : Tensor.zeros(shape, dtype: .bool) }

}


/// NaN and infinities replaced; the defaults are the element type's largest finite values.
struct _NanToNumOp: _FloatMap {
    let nan: Double, posinf: Double?, neginf: Double?
    @inline(__always) func apply<T: _FloatElement>(_ v: T) -> T {
        if v.isNaN { return T(nan) }
        if v == .infinity { return posinf.map { T($0) } ?? T.greatestFiniteMagnitude }
        if v == -.infinity { return neginf.map { T($0) } ?? -T.greatestFiniteMagnitude }
        return v
    }
}
