// Addition, subtraction, multiplication, division and negation, with broadcasting and Swift
// numbers on either side. Each op's forward and vector-Jacobian product live together here.

/// A Swift number on one side of an arithmetic operator.
enum _Number {
    case float(Double)
    case int(Int64)

    var isFloatingPoint: Bool { if case .float = self { true } else { false } }
    var double: Double {
        switch self {
        case .float(let v): v
        case .int(let v): Double(v)
        }
    }

    /// The number as a 0-d tensor of `dtype`; integers stay exact for int64.
    func tensor(_ dtype: DType) -> Tensor {
        let t = Tensor(uninitializedShape: [], dtype: dtype)
        switch (self, dtype) {
        case (.int(let v), .int64): t.pointer(Int64.self).pointee = v
        default: t._setRaw(0, double)
        }
        return t
    }
}

extension Tensor {
    /// Brings both operands to the dtype PyTorch computes them in (`torch.result_type`).
    static func _promote(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        if a.dtype == b.dtype { return (a, b) }
        let t = _resultType(a, b)
        return (a.to(t), b.to(t))
    }

    /// `torch.result_type` of two tensors: a 0-d tensor counts only by its category (bool,
    /// integer, floating) against a tensor with dimensions, so `float32 [3] + float64 0-d` is
    /// float32 and `int64 [3] + float64 0-d` float64 (TypeProperties.cpp, `combine_categories`).
    ///
    /// ```swift
    /// Tensor.resultType(Tensor.ones(3), Tensor(2.0, dtype: .float64))   // .float32
    /// ```
    public static func resultType(_ a: Tensor, _ b: Tensor) -> DType { _resultType(a, b) }

    static func _resultType(_ a: Tensor, _ b: Tensor) -> DType { _resultType([a, b]) }

    /// `torch.result_type` over any number of tensors (`lerp`'s three, `where`'s two).
    static func _resultType(_ tensors: [Tensor]) -> DType {
        var dimensioned: DType? = nil, zeroDim: DType? = nil
        for t in tensors {
            if t.rank > 0 {
                dimensioned = dimensioned.map { DType.promote($0, t.dtype) } ?? t.dtype
            } else {
                zeroDim = zeroDim.map { DType.promote($0, t.dtype) } ?? t.dtype
            }
        }
        return DType._combineCategories(dimensioned, zeroDim)!
    }

    /// Brings a tensor and a Swift number to the dtype PyTorch gives their result.
    static func _promote(_ a: Tensor, _ n: _Number) -> (Tensor, Tensor) {
        let t = DType.promote(a.dtype, scalarIsFloatingPoint: n.isFloatingPoint)
        return (a.to(t), n.tensor(t))
    }

    /// `tensor ⊕ number` without wrapping the number in a tensor, when the tensor already has
    /// the result's dtype (a float tensor, or an integer tensor and an integer). The vjp
    /// captures the number instead of saving it. Returns nil when the general path must run.
    static func _scalarOp<F: _BinaryNumericFunction>(
        _ a: Tensor, _ n: _Number, _ f: F.Type, name: StaticString, _ vjp: @escaping (Tensor, Double) -> Tensor
    ) -> Tensor? {
        guard DType.promote(a.dtype, scalarIsFloatingPoint: n.isFloatingPoint) == a.dtype else { return nil }
        let out: Tensor
        switch (a.dtype, n) {
        case (.float32, _) where a.isContiguous && a.scalarCount >= 2 * Elementwise.parallelGrain && Threads.count > 1:
            var y = Float(n.double)
            out = Tensor(uninitializedLike: a, dtype: .float32)
            _ = Elementwise.parallel(F.self, a.pointer(Float.self), &y, scalarB: true, out.pointer(Float.self), a.scalarCount)
        case (.float32, _):
            let y = Float(n.double)
            out = Elementwise.mapUnrecorded(a, Float.self, Float.self) { F.apply($0, y) }
        case (.float64, _):
            let y = n.double
            out = Elementwise.mapUnrecorded(a, Double.self, Double.self) { F.apply($0, y) }
        case (.int64, .int(let y)):
            out = Elementwise.mapUnrecorded(a, Int64.self, Int64.self) { F.apply($0, y) }
        default:
            return nil
        }
        if _CaptureTape.isActive {
            switch (a.dtype, n) {
            case (.float32, _): _RecordedElementwise.scalar(F.self, a, Float(n.double), into: out)
            case (.float64, _): _RecordedElementwise.scalar(F.self, a, n.double, into: out)
            case (.int64, .int(let y)): _RecordedElementwise.scalar(F.self, a, y, into: out)
            default: break
            }
        }
        // Checked here too, so that an update under noGrad does not allocate the closure.
        guard a._requiresGradForRecording, GradMode.isEnabled else { return out }
        let value = n.double
        return out._recorded(name, a) { g, _ in (vjp(g, value), nil) }
    }

    // MARK: add

    static func _add(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out: Tensor
        if a.dtype == .bool && b.dtype == .bool {
            out = Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { $0 || $1 }
        } else {
            out = Elementwise.zipNumeric(a, b, _Add.self)
        }
        return out._recorded("AddBackward0", a, b) { g, _ in (g, g) }
    }

    /// Elementwise sum with broadcasting (`AddBackward0`).
    ///
    /// ```swift
    /// let preds = x.matmul(w.t()) + b   // b broadcasts over rows
    /// ```
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        // Same dtypes (the common case) skip the promotion and its tuple of references.
        if lhs.dtype == rhs.dtype { return _add(lhs, rhs) }
        let (a, b) = _promote(lhs, rhs)
        return _add(a, b)
    }
    /// Adds a number to every element.
    public static func + (lhs: Tensor, rhs: Double) -> Tensor { _add(lhs, .float(rhs)) }
    /// Adds a number to every element.
    public static func + (lhs: Double, rhs: Tensor) -> Tensor { _add(rhs, .float(lhs)) }
    /// Adds a number to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Double(rhs) }
    /// Adds a number to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { Double(lhs) + rhs }
    /// Adds an integer to every element; integer tensors stay integer.
    public static func + (lhs: Tensor, rhs: Int) -> Tensor { _add(lhs, .int(Int64(rhs))) }
    /// Adds an integer to every element; integer tensors stay integer.
    public static func + (lhs: Int, rhs: Tensor) -> Tensor { _add(rhs, .int(Int64(lhs))) }

    static func _add(_ x: Tensor, _ n: _Number) -> Tensor {
        if x.dtype != .bool, let out = _scalarOp(x, n, _Add.self, name: "AddBackward0", { g, _ in g }) { return out }
        let (a, b) = _promote(x, n)
        return _add(a, b)
    }

    // MARK: subtract

    static func _sub(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.dtype == .bool && b.dtype == .bool {
            _fail("""
                Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or \
                `logical_xor()` operator instead.
                """)
        }
        return Elementwise.zipNumeric(a, b, _Sub.self)._recorded("SubBackward0", a, b) { g, node in
            (g, node.needsInputGrad(1) ? -g : nil)
        }
    }

    /// Elementwise difference with broadcasting (`SubBackward0`).
    ///
    /// ```swift
    /// let diff = preds - targets
    /// ```
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        // Same dtypes (the common case) skip the promotion and its tuple of references.
        if lhs.dtype == rhs.dtype { return _sub(lhs, rhs) }
        if lhs.dtype == .bool || rhs.dtype == .bool { _failBoolSubtraction() }
        let (a, b) = _promote(lhs, rhs)
        return _sub(a, b)
    }
    /// Subtracts a number from every element.
    public static func - (lhs: Tensor, rhs: Double) -> Tensor { _sub(lhs, .float(rhs)) }
    /// Subtracts a number from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Double(rhs) }
    /// Subtracts an integer from every element.
    public static func - (lhs: Tensor, rhs: Int) -> Tensor { _sub(lhs, .int(Int64(rhs))) }

    /// PyTorch's message for a bool tensor on one side of `-`.
    static func _failBoolSubtraction() -> Never {
        _fail("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    }

    static func _sub(_ x: Tensor, _ n: _Number) -> Tensor {
        if x.dtype == .bool { _failBoolSubtraction() }
        if x.dtype != .bool, let out = _scalarOp(x, n, _Sub.self, name: "SubBackward0", { g, _ in g }) { return out }
        let (a, b) = _promote(x, n)
        return _sub(a, b)
    }
    /// Subtracts every element from a number (`RsubBackward1`, as `1 - x` in PyTorch).
    public static func - (lhs: Double, rhs: Tensor) -> Tensor { _rsub(rhs, .float(lhs)) }
    /// Subtracts every element from a number.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { _rsub(rhs, .float(Double(lhs))) }
    /// Subtracts every element from an integer.
    public static func - (lhs: Int, rhs: Tensor) -> Tensor { _rsub(rhs, .int(Int64(lhs))) }

    static func _rsub(_ x: Tensor, _ n: _Number) -> Tensor {
        if x.dtype == .bool { _failBoolSubtraction() }
        let (a, s) = _promote(x, n)
        return Elementwise.zipNumeric(s, a, _Sub.self)._recorded("RsubBackward1", a) { g, _ in (-g, nil) }
    }

    // MARK: multiply

    static func _mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out: Tensor
        if a.dtype == .bool && b.dtype == .bool {
            out = Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { $0 && $1 }
        } else {
            out = Elementwise.zipNumeric(a, b, _Mul.self)
        }
        if a === b {
            // x * x: both gradients are g * x and the engine would add them; doubling once is
            // the same number (doubling is exact) for one pass instead of three.
            return out._recorded("MulBackward0", a, b, saving: a) { g, node in
                let x = node.savedTensor(0)
                // The shortcut reads g as a number: not when the backward pass is recorded,
                // nor when a compiled step is (its replay must read g again).
                let single = g._isSingleValue && g.dtype == x.dtype && !GradMode.isEnabled && !_CaptureTape.isActive
                return (single ? x * (2 * g._double(at: g.storageOffset)) : g * x * 2, nil)
            }
        }
        return out._recorded("MulBackward0", a, b, saving: a, b) { g, node in
            (node.needsInputGrad(0) ? g * node.savedTensor(1) : nil,
             node.needsInputGrad(1) ? g * node.savedTensor(0) : nil)
        }
    }

    /// `a * b` over operands of different dtypes: computed in the result type, recording and
    /// saving the operands themselves (as PyTorch does), so that an in-place change of one
    /// before backward() is caught.
    static func _mulMixed(_ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        let type = _resultType(lhs, rhs)
        let a = noGrad { lhs.to(type) }, b = noGrad { rhs.to(type) }
        let out = a.dtype == .bool ? Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { $0 && $1 } : Elementwise.zipNumeric(a, b, _Mul.self)
        return out._recorded("MulBackward0", lhs, rhs, saving: lhs, rhs) { g, node in
            (node.needsInputGrad(0) ? g * node.savedTensor(1).to(g.dtype) : nil,
             node.needsInputGrad(1) ? g * node.savedTensor(0).to(g.dtype) : nil)
        }
    }

    /// Elementwise product with broadcasting (`MulBackward0`).
    ///
    /// ```swift
    /// let sq = diff * diff
    /// ```
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        // Same dtypes (the common case) skip the promotion and its tuple of references.
        if lhs.dtype == rhs.dtype { return _mul(lhs, rhs) }
        return _mulMixed(lhs, rhs)
    }
    /// Multiplies every element by a number.
    public static func * (lhs: Tensor, rhs: Double) -> Tensor { _mul(lhs, .float(rhs)) }
    /// Multiplies every element by a number.
    public static func * (lhs: Double, rhs: Tensor) -> Tensor { _mul(rhs, .float(lhs)) }
    /// Multiplies every element by a number.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Double(rhs) }
    /// Multiplies every element by a number.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { Double(lhs) * rhs }
    /// Multiplies every element by an integer.
    public static func * (lhs: Tensor, rhs: Int) -> Tensor { _mul(lhs, .int(Int64(rhs))) }
    /// Multiplies every element by an integer.
    public static func * (lhs: Int, rhs: Tensor) -> Tensor { _mul(rhs, .int(Int64(lhs))) }

    static func _mul(_ x: Tensor, _ n: _Number) -> Tensor {
        if x.dtype != .bool, let out = _scalarOp(x, n, _Mul.self, name: "MulBackward0", { g, s in g * s }) { return out }
        let (a, b) = _promote(x, n)
        return _mul(a, b)
    }

    // MARK: divide

    static func _div(_ a: Tensor, _ b: Tensor) -> Tensor {
        // True division: integers divide as the default float dtype.
        var type = a.dtype == b.dtype ? a.dtype : _resultType(a, b)
        if !type.isFloatingPoint { type = .float32 }
        // The inputs themselves are recorded and saved, not their converted copies, so that an
        // in-place change of an input before backward() is caught, as PyTorch catches it.
        let x = a.dtype == type ? a : noGrad { a.to(type) }, y = b.dtype == type ? b : noGrad { b.to(type) }
        let out = Elementwise.zipNumeric(x, y, _Div.self)
        return out._recorded("DivBackward0", a, b, saving: a, b) { g, node in
            // PyTorch's formulas: grad / other, and -grad * ((self / other) / other).
            let other = node.savedTensor(1).to(g.dtype)
            let ga = node.needsInputGrad(0) ? g / other : nil
            let gb = node.needsInputGrad(1) ? -g * ((node.savedTensor(0).to(g.dtype) / other) / other) : nil
            return (ga, gb)
        }
    }

    /// Elementwise true division with broadcasting (`DivBackward0`); integers give float32.
    ///
    /// ```swift
    /// let mse = (diff * diff).sum() / diff.scalarCount
    /// ```
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { _div(lhs, rhs) }
    /// Divides every element by a number.
    public static func / (lhs: Tensor, rhs: Double) -> Tensor { _div(lhs, .float(rhs)) }
    /// Divides every element by a number.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Double(rhs) }
    /// Divides every element by an integer.
    public static func / (lhs: Tensor, rhs: Int) -> Tensor { _div(lhs, .int(Int64(rhs))) }

    static func _div(_ x: Tensor, _ n: _Number) -> Tensor {
        // True division: integer tensors divide as the default float dtype. Two calls rather
        // than `let a = x.dtype.isFloatingPoint ? x : x.to(.float32)`: that copy of `x` cost a
        // retain and a release on every division.
        x.dtype.isFloatingPoint ? _divFloating(x, n.double) : _divFloating(x.to(.float32), n.double)
    }

    /// `self / s` recorded as ATen's Scalar overload records it (`DivBackward1`), for ops
    /// PyTorch composes in C++ (`input.sum() / count`).
    package func _dividedByScalarOverload(_ s: Double) -> Tensor {
        Tensor._divFloating(dtype.isFloatingPoint ? self : to(.float32), s, name: "DivBackward1")
    }

    @inline(__always)
    private static func _divFloating(_ a: Tensor, _ s: Double, name: StaticString = "DivBackward0") -> Tensor {
        let out: Tensor
        if a.scalarCount >= 2 * Elementwise.parallelGrain {
            out = Elementwise.mapFloat(a, _Div.self, scalar: s)
        } else {
            // Small (a loss and its gradient every step): the concrete loop, no generic driver.
            switch a.dtype {
            case .float32:
                let y = Float(s)
                out = Elementwise.mapUnrecorded(a, Float.self, Float.self) { $0 / y }
            default:
                out = Elementwise.mapUnrecorded(a, Double.self, Double.self) { $0 / s }
            }
            if _CaptureTape.isActive {
                if a.dtype == .float32 {
                    _RecordedElementwise.scalar(_Div.self, a, Float(s), into: out)
                } else {
                    _RecordedElementwise.scalar(_Div.self, a, s, into: out)
                }
            }
        }
        return out._recorded(name, a, scalar: s) { g, node in (g / node.scalar, nil) }
    }
    /// Divides a number by every element: `reciprocal() * n`, as PyTorch records `2 / x`.
    public static func / (lhs: Double, rhs: Tensor) -> Tensor { rhs.reciprocal() * lhs }
    /// Divides a number by every element.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.reciprocal() * Double(lhs) }
    /// Divides an integer by every element.
    public static func / (lhs: Int, rhs: Tensor) -> Tensor { rhs.reciprocal() * Double(lhs) }

    /// `1 / x` elementwise (`ReciprocalBackward0`).
    ///
    /// ```swift
    /// let inv = x.reciprocal()
    /// ```
    public func reciprocal() -> Tensor {
        let x = dtype.isFloatingPoint ? self : to(.float32)
        return Elementwise.mapFloat(x, _Reciprocal.self)
            ._recorded("ReciprocalBackward0", x, savingOutput: true) { g, node in
                // PyTorch's formula, in its order of rounding: -grad * (result * result).
                let r = node.savedTensor(0)
                return (-g * (r * r), nil)
            }
    }

    // MARK: negate

    /// Elementwise negation (`NegBackward0`).
    ///
    /// ```swift
    /// let m = -x
    /// ```
    public static prefix func - (x: Tensor) -> Tensor {
        if x.dtype == .bool {
            _fail("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        }
        let out: Tensor
        switch x.dtype {
        // Floats through the unary driver: its loop is specialised on the function, in eager
        // passes and in a compiled step's replays alike.
        case .float32, .float64: out = Elementwise.mapFloat(x, _StaticFloatMap<_Negate>())
        default: out = Elementwise.map(x, Int64.self, Int64.self) { 0 &- $0 }
        }
        return out._recorded("NegBackward0", x) { g, _ in (-g, nil) }
    }
}

enum _Negate: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { -x } }
