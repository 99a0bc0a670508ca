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
    /// Brings both operands to their promoted dtype.
    static func _promote(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        if a.dtype == b.dtype { return (a, b) }
        let t = DType.promote(a.dtype, b.dtype)
        return (a.to(t), b.to(t))
    }

    /// Brings a tensor and a Swift number to the dtype PyTorch gives their result.
    static func _promote(_ a: Tensor, _ n: _Number) -> (Tensor, Tensor) {
        let t = DType.promote(a.dtype, scalarIsFloatingPoint: n.isFloatingPoint)
        return (a.to(t), n.tensor(t))
    }

    // MARK: add

    static func _add(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out: Tensor
        if a.dtype == .bool && b.dtype == .bool {
            out = Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { $0 || $1 }
        } else {
            out = Elementwise.zipNumeric(a, b, _Add.self)
        }
        return out._recorded("AddBackward0", [a, b]) { g, _ in [g, g] }
    }

    /// Elementwise sum with broadcasting (`AddBackward0`).
    ///
    /// ```swift
    /// let preds = x.matmul(w.t()) + b   // b broadcasts over rows
    /// ```
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let (a, b) = _promote(lhs, rhs)
        return _add(a, b)
    }
    /// Adds a number to every element.
    public static func + (lhs: Tensor, rhs: Double) -> Tensor { let (a, b) = _promote(lhs, .float(rhs)); return _add(a, b) }
    /// Adds a number to every element.
    public static func + (lhs: Double, rhs: Tensor) -> Tensor { let (b, a) = _promote(rhs, .float(lhs)); return _add(b, a) }
    /// Adds a number to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Double(rhs) }
    /// Adds a number to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { Double(lhs) + rhs }
    /// Adds an integer to every element; integer tensors stay integer.
    public static func + (lhs: Tensor, rhs: Int) -> Tensor { let (a, b) = _promote(lhs, .int(Int64(rhs))); return _add(a, b) }
    /// Adds an integer to every element; integer tensors stay integer.
    public static func + (lhs: Int, rhs: Tensor) -> Tensor { let (b, a) = _promote(rhs, .int(Int64(lhs))); return _add(b, a) }

    // MARK: subtract

    static func _sub(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.dtype == .bool && b.dtype == .bool {
            _fail("""
                Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or \
                `logical_xor()` operator instead.
                """)
        }
        return Elementwise.zipNumeric(a, b, _Sub.self)._recorded("SubBackward0", [a, b]) { g, node in
            [g, node.needsInputGrad(1) ? -g : nil]
        }
    }

    /// Elementwise difference with broadcasting (`SubBackward0`).
    ///
    /// ```swift
    /// let diff = preds - targets
    /// ```
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let (a, b) = _promote(lhs, rhs)
        return _sub(a, b)
    }
    /// Subtracts a number from every element.
    public static func - (lhs: Tensor, rhs: Double) -> Tensor { let (a, b) = _promote(lhs, .float(rhs)); return _sub(a, b) }
    /// Subtracts a number from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Double(rhs) }
    /// Subtracts an integer from every element.
    public static func - (lhs: Tensor, rhs: Int) -> Tensor { let (a, b) = _promote(lhs, .int(Int64(rhs))); return _sub(a, b) }
    /// Subtracts every element from a number (`RsubBackward1`, as `1 - x` in PyTorch).
    public static func - (lhs: Double, rhs: Tensor) -> Tensor { _rsub(rhs, .float(lhs)) }
    /// Subtracts every element from a number.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { _rsub(rhs, .float(Double(lhs))) }
    /// Subtracts every element from an integer.
    public static func - (lhs: Int, rhs: Tensor) -> Tensor { _rsub(rhs, .int(Int64(lhs))) }

    static func _rsub(_ x: Tensor, _ n: _Number) -> Tensor {
        let (a, s) = _promote(x, n)
        return Elementwise.zipNumeric(s, a, _Sub.self)._recorded("RsubBackward1", [a]) { g, _ in [-g] }
    }

    // MARK: multiply

    static func _mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out: Tensor
        if a.dtype == .bool && b.dtype == .bool {
            out = Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { $0 && $1 }
        } else {
            out = Elementwise.zipNumeric(a, b, _Mul.self)
        }
        return out._recorded("MulBackward0", [a, b], saving: [a, b]) { g, node in
            [node.needsInputGrad(0) ? g * node.savedTensor(1) : nil,
             node.needsInputGrad(1) ? g * node.savedTensor(0) : nil]
        }
    }

    /// Elementwise product with broadcasting (`MulBackward0`).
    ///
    /// ```swift
    /// let sq = diff * diff
    /// ```
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let (a, b) = _promote(lhs, rhs)
        return _mul(a, b)
    }
    /// Multiplies every element by a number.
    public static func * (lhs: Tensor, rhs: Double) -> Tensor { let (a, b) = _promote(lhs, .float(rhs)); return _mul(a, b) }
    /// Multiplies every element by a number.
    public static func * (lhs: Double, rhs: Tensor) -> Tensor { let (b, a) = _promote(rhs, .float(lhs)); return _mul(a, b) }
    /// Multiplies every element by a number.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Double(rhs) }
    /// Multiplies every element by a number.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { Double(lhs) * rhs }
    /// Multiplies every element by an integer.
    public static func * (lhs: Tensor, rhs: Int) -> Tensor { let (a, b) = _promote(lhs, .int(Int64(rhs))); return _mul(a, b) }
    /// Multiplies every element by an integer.
    public static func * (lhs: Int, rhs: Tensor) -> Tensor { let (b, a) = _promote(rhs, .int(Int64(lhs))); return _mul(a, b) }

    // MARK: divide

    static func _div(_ a: Tensor, _ b: Tensor) -> Tensor {
        // True division: integers divide as the default float dtype.
        let a = a.dtype.isFloatingPoint ? a : a.to(.float32)
        let b = b.dtype.isFloatingPoint ? b : b.to(.float32)
        let (x, y) = _promote(a, b)
        let out: Tensor
        switch x.dtype {
        case .float32: out = Elementwise.zip(x, y, Float.self, Float.self, Float.self) { $0 / $1 }
        default: out = Elementwise.zip(x, y, Double.self, Double.self, Double.self) { $0 / $1 }
        }
        return out._recorded("DivBackward0", [x, y], saving: [x, y]) { g, node in
            let b = node.savedTensor(1)
            return [node.needsInputGrad(0) ? g / b : nil,
                    node.needsInputGrad(1) ? -g * node.savedTensor(0) / (b * b) : nil]
        }
    }

    /// Elementwise true division with broadcasting (`DivBackward0`); integers give float32.
    ///
    /// ```swift
    /// let mse = (diff * diff).sum() / diff.scalarCount
    /// ```
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { _div(lhs, rhs) }
    /// Divides every element by a number.
    public static func / (lhs: Tensor, rhs: Double) -> Tensor { let (a, b) = _promote(lhs, .float(rhs)); return _div(a, b) }
    /// Divides every element by a number.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Double(rhs) }
    /// Divides every element by an integer.
    public static func / (lhs: Tensor, rhs: Int) -> Tensor {
        let a = lhs.dtype.isFloatingPoint ? lhs : lhs.to(.float32)
        return _div(a, _Number.int(Int64(rhs)).tensor(a.dtype))
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
            ._recorded("ReciprocalBackward0", [x], savingOutput: true) { g, node in
                let r = node.savedTensor(0)
                return [-g * r * r]
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
        case .float32: out = Elementwise.map(x, Float.self, Float.self) { -$0 }
        case .float64: out = Elementwise.map(x, Double.self, Double.self) { -$0 }
        default: out = Elementwise.map(x, Int64.self, Int64.self) { 0 &- $0 }
        }
        return out._recorded("NegBackward0", [x]) { g, _ in [-g] }
    }
}
