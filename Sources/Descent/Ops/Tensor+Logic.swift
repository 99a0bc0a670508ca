// Comparison and logic: isclose, allclose, equal, argwhere, logical and bitwise ops, and
// clamp with tensor bounds.

extension Tensor {
    /// Whether each pair of elements is close: `|a - b| <= atol + rtol · |b|`, equal values
    /// (infinities included) always, NaN only with `equalNan`, like `torch.isclose`.
    public func isclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) -> Tensor {
        if dtype != other.dtype { _fail("\(dtype.cppName) did not match \(other.dtype.cppName)") }
        let (a, b) = noGrad { (self.to(.float64), other.to(.float64)) }
        return Elementwise.zip(a, b, Double.self, Double.self, Bool.self) { x, y in
            if x == y { return true }
            if x.isNaN || y.isNaN { return equalNan && x.isNaN && y.isNaN }
            if !x.isFinite || !y.isFinite { return false }
            return Swift.abs(x - y) <= atol + rtol * Swift.abs(y)
        }
    }

    /// Whether all elements are close (`isclose`), like `torch.allclose`.
    public func allclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) -> Bool {
        isclose(other, rtol: rtol, atol: atol, equalNan: equalNan).scalars(as: Bool.self).allSatisfy { $0 }
    }

    /// Whether both tensors have the same shape and elements, like `torch.equal`.
    public func equal(_ other: Tensor) -> Bool {
        guard shape == other.shape else { return false }
        return (self .== other).scalars(as: Bool.self).allSatisfy { $0 }
    }

    /// The coordinates of the nonzero elements, one row each (`torch.argwhere`).
    public func argwhere() -> Tensor { nonzero() }

    /// Elementwise logical and, of any dtypes read as booleans (`torch.logical_and`).
    public func logicalAnd(_ other: Tensor) -> Tensor { self & other }

    /// Elementwise logical or (`torch.logical_or`).
    public func logicalOr(_ other: Tensor) -> Tensor { self | other }

    /// Elementwise logical exclusive or (`torch.logical_xor`).
    public func logicalXor(_ other: Tensor) -> Tensor {
        Elementwise.zip(to(.bool), other.to(.bool), Bool.self, Bool.self, Bool.self) { $0 != $1 }
    }

    /// Elementwise logical not (`torch.logical_not`).
    public func logicalNot() -> Tensor { ~self }

    /// Applies an integer (or boolean) bitwise operation with broadcasting and promotion.
    private func _bitwise(_ other: Tensor, _ name: String, _ f: @escaping (Int64, Int64) -> Int64, _ b: @escaping (Bool, Bool) -> Bool) -> Tensor {
        if dtype.isFloatingPoint || other.dtype.isFloatingPoint {
            _fail("\"\(name)_cpu\" not implemented for '\((dtype.isFloatingPoint ? dtype : other.dtype).cppName)'")
        }
        if dtype == .bool && other.dtype == .bool { return Elementwise.zip(self, other, Bool.self, Bool.self, Bool.self, b) }
        return Elementwise.zip(to(.int64), other.to(.int64), Int64.self, Int64.self, Int64.self, f)
    }

    /// Bitwise and of integer or boolean tensors (`torch.bitwise_and`).
    public func bitwiseAnd(_ other: Tensor) -> Tensor { _bitwise(other, "bitwise_and", { $0 & $1 }, { $0 && $1 }) }

    /// Bitwise or (`torch.bitwise_or`).
    public func bitwiseOr(_ other: Tensor) -> Tensor { _bitwise(other, "bitwise_or", { $0 | $1 }, { $0 || $1 }) }

    /// Bitwise exclusive or (`torch.bitwise_xor`).
    public func bitwiseXor(_ other: Tensor) -> Tensor { _bitwise(other, "bitwise_xor", { $0 ^ $1 }, { $0 != $1 }) }

    /// Bitwise not: `~x` for integers, logical not for booleans (`torch.bitwise_not`).
    public func bitwiseNot() -> Tensor {
        switch dtype {
        case .bool: return ~self
        case .int64: return Elementwise.map(self, Int64.self, Int64.self) { ~$0 }
        default: _fail("\"bitwise_not_cpu\" not implemented for '\(dtype.cppName)'")
        }
    }

    /// Shifts left by `other` bits (`torch.bitwise_left_shift`); shifts of 64 or more give 0.
    public func bitwiseLeftShift(_ other: Tensor) -> Tensor {
        _bitwise(other, "lshift", { b, s in s < 0 || s >= 64 ? 0 : b << s }, { a, s in s && a ? false : a })
    }

    /// Shifts right arithmetically by `other` bits (`torch.bitwise_right_shift`).
    public func bitwiseRightShift(_ other: Tensor) -> Tensor {
        _bitwise(other, "rshift", { b, s in s < 0 || s >= 64 ? (b < 0 ? -1 : 0) : b >> s }, { a, s in s ? false : a })
    }

    /// Limits every element to `[min, max]` elementwise, either bound a tensor that
    /// broadcasts (`ClampBackward0`); NaN in the input or a bound propagates.
    ///
    /// ```swift
    /// let y = x.clamp(min: lower, max: upper)
    /// ```
    public func clamp(min lower: Tensor?, max upper: Tensor?) -> Tensor {
        guard lower != nil || upper != nil else { _fail("torch.clamp: At least one of 'min' or 'max' must not be None") }
        let type = Tensor._resultType([self] + [lower, upper].compactMap { $0 })
        let out = noGrad { () -> Tensor in
            var t = self.to(type)
            if let lower { t = Tensor.maximum(t, lower.to(type)) }
            if let upper { t = Tensor.minimum(t, upper.to(type)) }
            // A NaN input stays NaN even against a NaN-free bound (maximum/minimum propagate it).
            return t === self ? t.clone() : t
        }
        let inputs = [self] + [lower, upper].compactMap { $0 }
        return out._recorded("ClampBackward0", inputs, saving: inputs) { g, n in
            let x = n.savedTensor(0)
            let lo = lower == nil ? nil : n.savedTensor(1)
            let hi = upper == nil ? nil : n.savedTensor(lower == nil ? 1 : 2)
            let zero = Tensor.zeros([], dtype: g.dtype)
            var pred = Tensor.ones(x.shape, dtype: .bool)
            if let lo { pred = pred & (x .>= lo) }
            if let hi { pred = pred & (x .<= hi) }
            var grads: [Tensor?] = [n.needsInputGrad(0) ? Tensor.where(pred, g, zero) : nil]
            if let lo {
                var mask = x .< lo
                if let hi { mask = mask & (lo .< hi) }
                grads.append(n.needsInputGrad(1) ? Tensor.where(mask, g, zero) : nil)
            }
            if let hi {
                var mask = x .> hi
                if let lo { mask = mask | (hi .< lo) }
                grads.append(n.needsInputGrad(grads.count) ? Tensor.where(mask, g, zero) : nil)
            }
            return grads
        }
    }
}
