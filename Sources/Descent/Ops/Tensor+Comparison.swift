// Comparisons, boolean logic and selection. Comparisons give bool tensors and have no
// gradient; `where` routes the gradient to the branch each element came from.

extension Tensor {
    static func _compare<F: _ComparisonFunction>(_ lhs: Tensor, _ rhs: Tensor, _ f: F.Type) -> Tensor {
        let (a, b) = _promote(lhs, rhs)
        return Elementwise.compare(a, b, F.self)
    }

    static func _compare<F: _ComparisonFunction>(_ lhs: Tensor, _ n: Double, _ f: F.Type) -> Tensor {
        let (a, b) = _promote(lhs, .float(n))
        return Elementwise.compare(a, b, F.self)
    }

    /// Elementwise `==`, giving a bool tensor (`torch.eq`).
    ///
    /// ```swift
    /// let correct = (preds.argmax(dim: 1) .== labels).to(.float32).mean()
    /// ```
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _Equal.self) }
    /// Elementwise `!=` (`torch.ne`).
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _NotEqual.self) }
    /// Elementwise `<` (`torch.lt`).
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _Less.self) }
    /// Elementwise `<=` (`torch.le`).
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _LessEqual.self) }
    /// Elementwise `>` (`torch.gt`).
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _Greater.self) }
    /// Elementwise `>=` (`torch.ge`).
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { _compare(lhs, rhs, _GreaterEqual.self) }

    /// Elementwise `== n`.
    ///
    /// ```swift
    /// let positive = x .> 0
    /// ```
    public static func .== (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _Equal.self) }
    /// Elementwise `!= n`.
    public static func .!= (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _NotEqual.self) }
    /// Elementwise `< n`.
    public static func .< (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _Less.self) }
    /// Elementwise `<= n`.
    public static func .<= (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _LessEqual.self) }
    /// Elementwise `> n`.
    public static func .> (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _Greater.self) }
    /// Elementwise `>= n`.
    public static func .>= (lhs: Tensor, rhs: Double) -> Tensor { _compare(lhs, rhs, _GreaterEqual.self) }

    /// Elementwise `==`, as a method (`torch.eq`).
    public func eq(_ other: Tensor) -> Tensor { self .== other }
    /// Elementwise `!=` (`torch.ne`).
    public func ne(_ other: Tensor) -> Tensor { self .!= other }
    /// Elementwise `<` (`torch.lt`).
    public func lt(_ other: Tensor) -> Tensor { self .< other }
    /// Elementwise `<=` (`torch.le`).
    public func le(_ other: Tensor) -> Tensor { self .<= other }
    /// Elementwise `>` (`torch.gt`).
    public func gt(_ other: Tensor) -> Tensor { self .> other }
    /// Elementwise `>=` (`torch.ge`).
    public func ge(_ other: Tensor) -> Tensor { self .>= other }

    /// Elementwise logical and of two tensors read as booleans.
    ///
    /// ```swift
    /// let inside = (x .>= 0) & (x .<= 1)
    /// ```
    public static func & (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs.to(.bool), rhs.to(.bool), Bool.self, Bool.self, Bool.self) { $0 && $1 }
    }

    /// Elementwise logical or of two tensors read as booleans.
    public static func | (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs.to(.bool), rhs.to(.bool), Bool.self, Bool.self, Bool.self) { $0 || $1 }
    }

    /// Elementwise logical not of a tensor read as booleans (`~mask` in PyTorch).
    ///
    /// ```swift
    /// let outside = ~inside
    /// ```
    public static prefix func ~ (x: Tensor) -> Tensor {
        Elementwise.map(x.to(.bool), Bool.self, Bool.self) { !$0 }
    }

    /// Elements of `a` where `condition` is true and of `b` elsewhere, all three broadcast
    /// together (`WhereBackward0`), like `torch.where(condition, a, b)`.
    ///
    /// ```swift
    /// let safe = Tensor.where(x .> 0, x, Tensor.zeros(like: x))
    /// ```
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let c = condition.to(.bool)
        let (x, y) = _promote(a, b)
        let out: Tensor
        switch x.dtype {
        case .float32: out = Elementwise.zip3(c, x, y, Bool.self, Float.self, Float.self) { $0 ? $1 : $2 }
        case .float64: out = Elementwise.zip3(c, x, y, Bool.self, Double.self, Double.self) { $0 ? $1 : $2 }
        case .int64: out = Elementwise.zip3(c, x, y, Bool.self, Int64.self, Int64.self) { $0 ? $1 : $2 }
        case .bool: out = Elementwise.zip3(c, x, y, Bool.self, Bool.self, Bool.self) { $0 ? $1 : $2 }
        }
        return out._recorded("WhereBackward0", x, y, saving: c) { g, node in
            let c = node.savedTensor(0)
            let zero = Tensor.zeros([], dtype: g.dtype)
            return (node.needsInputGrad(0) ? Tensor.where(c, g, zero) : nil, node.needsInputGrad(1) ? Tensor.where(c, zero, g) : nil)
        }
    }

    /// Elements of `a` where `condition` holds, `b` elsewhere.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Double) -> Tensor {
        Tensor.where(condition, a, _Number.float(b).tensor(a.dtype.isFloatingPoint ? a.dtype : .float32))
    }

    /// Whether every element is finite (neither infinite nor NaN), like `torch.isfinite`.
    ///
    /// ```swift
    /// let ok = loss.isfinite().all()
    /// ```
    public func isfinite() -> Tensor {
        switch dtype {
        case .float32: Elementwise.map(self, Float.self, Bool.self) { $0.isFinite }
        case .float64: Elementwise.map(self, Double.self, Bool.self) { $0.isFinite }
        default: Tensor.ones(shape, dtype: .bool)
        }
    }

    /// Whether each element is NaN, like `torch.isnan`.
    public func isnan() -> Tensor {
        switch dtype {
        case .float32: Elementwise.map(self, Float.self, Bool.self) { $0.isNaN }
        case .float64: Elementwise.map(self, Double.self, Bool.self) { $0.isNaN }
        default: Tensor.zeros(shape, dtype: .bool)
        }
    }
}
