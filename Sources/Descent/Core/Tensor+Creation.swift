extension Tensor {
    /// A tensor filled with an integer: int64 unless `dtype` says otherwise, as
    /// `torch.full([2, 2], 7)` is.
    ///
    /// ```swift
    /// let t = Tensor.full([2, 2], 7)   // tensor([[7, 7], [7, 7]])
    /// ```
    public static func full(_ shape: [Int], _ value: Int, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        if dtype == .int64 {
            _checkShape(shape)
            let t = Tensor(uninitializedShape: shape, dtype: .int64)
            t.pointer(Int64.self).update(repeating: Int64(value), count: t.scalarCount)
            if requiresGrad { t.setRequiresGrad(true, factory: true) }
            return t
        }
        return full(shape, Double(value), dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor filled with a boolean: bool unless `dtype` says otherwise.
    public static func full(_ shape: [Int], _ value: Bool, dtype: DType = .bool) -> Tensor {
        full(shape, value ? 1.0 : 0.0, dtype: dtype)
    }

    /// A tensor filled with `value`, float32 unless `dtype` says otherwise.
    ///
    /// ```swift
    /// let t = Tensor.full([2, 2], 7.5)   // tensor([[7.5000, 7.5000], [7.5000, 7.5000]])
    /// ```
    public static func full(
        _ shape: [Int], _ value: Double, dtype: DType = .float32, requiresGrad: Bool = false
    ) -> Tensor {
        _checkShape(shape)
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t._fillRaw(value)
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    /// A tensor of zeros, like `torch.zeros`.
    ///
    /// ```swift
    /// let w = Tensor.zeros(2, 3, requiresGrad: true)
    /// ```
    public static func zeros(_ shape: Int..., dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        zeros(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros with the shape given as an array.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        _checkShape(shape)
        let t = Tensor(freshShape: shape, strides: Shape.contiguousStrides(shape), dtype: dtype, zeroed: true)
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    /// A tensor of ones, like `torch.ones`.
    ///
    /// ```swift
    /// let b = Tensor.ones(2)
    /// ```
    public static func ones(_ shape: Int..., dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1.0, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of ones with the shape given as an array.
    public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1.0, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Zeros with the shape and dtype of `other` (`torch.zeros_like`), laid out in memory as
    /// `other` is (a transposed matrix gives transposed zeros, as PyTorch's `preserve_format`).
    ///
    /// ```swift
    /// let g = Tensor.zeros(like: w)
    /// ```
    public static func zeros(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        other.isContiguous ? zeros(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
            : full(like: other, 0, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Ones with the shape and dtype of `other` (`torch.ones_like`), laid out as `other` is.
    public static func ones(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        full(like: other, 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// `value` everywhere, with the shape and dtype of `other` (`torch.full_like`), laid out as
    /// `other` is.
    public static func full(
        like other: Tensor, _ value: Double, dtype: DType? = nil, requiresGrad: Bool = false
    ) -> Tensor {
        if other.isContiguous { return full(other.shape, value, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad) }
        let t = other._freshInLayout(dtype ?? other.dtype)
        t._fillRaw(value)
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    /// The identity matrix, or an `n` x `m` matrix with ones on the diagonal.
    ///
    /// ```swift
    /// let i = Tensor.eye(3)
    /// ```
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        let cols = m ?? n
        // Written from Swift, zeros and all: inside a compiled step the matrix is a constant of
        // the plan (it depends on the shape alone), where zeros a replay clears again would not be.
        let t = Tensor(uninitializedShape: [n, cols], dtype: dtype)
        t.data.initializeMemory(as: UInt8.self, repeating: 0, count: n * cols * dtype.itemSize)
        if _CaptureTape.isActive { _CaptureTape.wroteFromSwift(t) }
        for i in 0..<Swift.min(n, cols) { t._setRaw(i * cols + i, 1) }
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    /// Integers `0..<end` as int64, like `torch.arange(end)`.
    ///
    /// ```swift
    /// Tensor.arange(5)          // tensor([0, 1, 2, 3, 4])
    /// Tensor.arange(0, 10, step: 3)
    /// ```
    public static func arange(_ end: Int, dtype: DType = .int64) -> Tensor {
        arange(0, end, step: 1, dtype: dtype)
    }

    /// Integers from `start` up to but not including `end`, `step` apart.
    public static func arange(_ start: Int, _ end: Int, step: Int = 1, dtype: DType = .int64) -> Tensor {
        _arange(Double(start), Double(end), Double(step), dtype: dtype)
    }

    /// Values `0, 1, ...` below `end` as float32, like `torch.arange(5.0)`.
    public static func arange(_ end: Double, dtype: DType = .float32) -> Tensor {
        arange(0, end, step: 1, dtype: dtype)
    }

    /// Values from `start` below `end`, `step` apart, as float32 unless `dtype` says otherwise.
    ///
    /// ```swift
    /// Tensor.arange(0.0, 1.0, step: 0.25)   // tensor([0.0000, 0.2500, 0.5000, 0.7500])
    /// ```
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        _arange(start, end, step, dtype: dtype)
    }

    private static func _arange(_ start: Double, _ end: Double, _ step: Double, dtype: DType) -> Tensor {
        guard step != 0 else { _fail("step must be nonzero") }
        guard (step > 0 && end >= start) || (step < 0 && end <= start) else {
            _fail("upper bound and larger bound inconsistent with step sign")
        }
        let n = Int(((end - start) / step).rounded(.up))
        let t = Tensor(uninitializedShape: [n], dtype: dtype)
        for i in 0..<n { t._setRaw(i, start + Double(i) * step) }
        return t
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive, like `torch.linspace`.
    ///
    /// ```swift
    /// Tensor.linspace(0, 1, steps: 5)   // tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    /// ```
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32) -> Tensor {
        guard steps >= 0 else { _fail("number of steps must be non-negative") }
        let t = Tensor(uninitializedShape: [steps], dtype: dtype)
        if steps == 1 { t._setRaw(0, start) }
        guard steps > 1 else { return t }
        // PyTorch fills from both ends toward the middle so that `end` is exact.
        func fill<T: _FloatElement>(_: T.Type) {
            let p = t.pointer(T.self)
            let s = T(start), e = T(end)
            let step = (e - s) / T(steps - 1)
            let half = steps / 2
            for i in 0..<steps {
                p[i] = i < half ? s + step * T(i) : e - step * T(steps - i - 1)
            }
        }
        switch dtype {
        case .float32: fill(Float.self)
        case .float64: fill(Double.self)
        default:
            let step = (end - start) / Double(steps - 1)
            for i in 0..<steps { t._setRaw(i, start + step * Double(i)) }
        }
        return t
    }

    static func _checkShape(_ shape: [Int]) {
        if let bad = shape.first(where: { $0 < 0 }) {
            _fail("Trying to create tensor with negative dimension \(bad): \(_shapeString(shape))")
        }
    }

    /// Positions worked out from shapes alone (a padding's source index): inside a compiled
    /// step a constant of the plan, as `tril`'s mask is.
    static func _shapeConstant(_ positions: [Int64]) -> Tensor {
        let t = Tensor(positions, dtype: .int64)
        if _CaptureTape.isActive { _CaptureTape.wroteFromSwift(t) }
        return t
    }

    /// Writes `value`, converted to the dtype, at storage index `offset` past the start.
    func _setRaw(_ offset: Int, _ value: Double) {
        if _CaptureTape.isActive { _CaptureTape.wroteFromSwift(self) }
        switch dtype {
        case .float32: pointer(Float.self)[offset] = Float(value)
        case .float64: pointer(Double.self)[offset] = value
        case .int64: pointer(Int64.self)[offset] = _truncate(value)
        case .bool: pointer(Bool.self)[offset] = value != 0
        }
    }

    /// Fills every element (any layout) with `value` without touching autograd or versions.
    func _fillRaw(_ value: Double) {
        func fill<T: _Element>(_ v: T) {
            let p = pointer(T.self), n = scalarCount
            if isContiguous {
                p.update(repeating: v, count: n)
                if _CaptureTape.isActive { _CaptureTape.record({ p.update(repeating: v, count: n) }, writes: self, inPlace: true) }
                return
            }
            let (shape, strides) = (shape, strides)
            func strided() {
                _forEachRun(shape, [strides]) { offsets, count, steps in
                    var q = p + offsets[0]
                    for _ in 0..<count {
                        q.pointee = v
                        q += steps[0]
                    }
                }
            }
            strided()
            if _CaptureTape.isActive { _CaptureTape.record({ strided() }, writes: self, inPlace: true) }
        }
        switch dtype {
        case .float32: fill(Float(value))
        case .float64: fill(value)
        case .int64: fill(_truncate(value))
        case .bool: fill(value != 0)
        }
    }
}
