// In-place operations. They write into the shared storage, so every view and handle sees the
// change, and bump the version counter that autograd checks (ARCHITECTURE.md §1).

extension Tensor {
    /// PyTorch's `check_inplace`: leaves that require grad (and views of them) may be changed
    /// in place only while grad mode is off.
    /// `overlap: false` for fills, which ATen lets write an expanded tensor.
    func _checkInPlace(overlap: Bool = true) {
        guard GradMode.isEnabled else {
            if overlap { _checkNoInternalOverlap() }
            return
        }
        if _requiresGrad && _gradFn == nil {
            _fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if let base, base._requiresGrad && base._gradFn == nil {
            _fail("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if overlap { _checkNoInternalOverlap() }
    }

    /// ATen's `assert_no_internal_overlap`: an expanded tensor (stride 0 over more than one
    /// element) cannot be written in place.
    func _checkNoInternalOverlap() {
        for d in 0..<rank where strides[d] == 0 && shape[d] > 1 {
            _fail("unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")
        }
    }

    /// Applies `op(self, other)` in place. Without a graph to record, the kernel updates the
    /// storage directly; with one, the result is computed from a snapshot of `self` and
    /// written back, and `self` takes the result's place in the graph (PyTorch's rebase).
    private func _inPlace(_ other: Tensor, _ op: (Tensor, Tensor) -> Tensor, kernel: ((Tensor, Tensor) -> Void)?,
                          internalOverlap: Bool = true) {
        _checkInPlace(overlap: internalOverlap)
        // TensorIterator checks memory overlap before it broadcasts: `x += x` (the same
        // elements in the same layout) is fine, any other overlap is not.
        if Tensor._overlap(self, other) == .partial {
            _fail("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.")
        }
        let broadcast = Shape.broadcast(shape, other.shape)
        if !Shape.same(broadcast, shape) {
            _fail("output with shape \(_shapeString(shape)) doesn't match the broadcast shape \(_shapeString(broadcast))")
        }
        let recording = GradMode.isEnabled && (_requiresGradForRecording || other._requiresGrad)
        if !recording, let kernel {
            let promoted = other.dtype == dtype ? dtype : Tensor._resultType(self, other)
            Tensor._checkCast(promoted, to: dtype)
            if promoted != dtype {
                // A wider operand (float32 /= float64): computed in the wider type and rounded
                // once into this tensor, as ATen does, not rounded first.
                _copyRaw(noGrad { op(self, other) })
                _bumpVersion()
                return
            }
            // Branches rather than `let src = ...; src.to(dtype)`: the common case (another
            // tensor of the same dtype) then passes `other` itself, with no count up and down.
            if other._sharesMemory(with: self) {
                kernel(self, other.clone().to(dtype))
            } else if other.dtype == dtype {
                kernel(self, other)
            } else {
                kernel(self, other.to(dtype))
            }
            _bumpVersion()
            return
        }
        _recordInPlace(other, op, recording: recording)
    }

    /// `self = op(self, other)` through autograd: for a view in a graph, PyTorch's CopySlices
    /// on the base; otherwise the op runs out of place on a snapshot that keeps this tensor's
    /// place in the graph (but not its memory, about to be overwritten), the result is written
    /// back, and this tensor takes the result's node (PyTorch's rebase).
    func _recordInPlace(_ other: Tensor, _ op: (Tensor, Tensor) -> Tensor, recording: Bool = true) {
        if recording && base != nil {
            _inPlaceOnView(other, op)
            return
        }
        let snapshot = noGrad { clone() }
        snapshot._gradFn = _gradFn
        snapshot._requiresGrad = _requiresGrad
        let result = op(snapshot, other)
        Tensor._checkCast(result.dtype, to: dtype)
        _copyRaw(result)
        _bumpVersion()
        if recording, let node = result._gradFn {
            _takeNode(node)
            _requiresGrad = true
        }
    }

    /// Adds `rhs` into `lhs` in place (`add_`).
    ///
    /// ```swift
    /// noGrad { w += update }
    /// ```
    public static func += (lhs: Tensor, rhs: Tensor) {
        lhs._inPlace(rhs, { $0 + $1 }, kernel: { dst, src in
            // On booleans, addition is `or`, as in PyTorch.
            if dst.dtype == .bool { Elementwise.update(dst, src, Bool.self) { $0 || $1 } } else { Elementwise.updateNumeric(dst, src, _Add.self) }
        })
    }
    /// Subtracts `rhs` from `lhs` in place (`sub_`).
    ///
    /// ```swift
    /// noGrad { w -= w.grad! * 1e-5 }
    /// ```
    public static func -= (lhs: Tensor, rhs: Tensor) {
        // Autograd's in-place checks come before the kernel's dtype checks, as in PyTorch.
        lhs._checkInPlace(overlap: false)
        if lhs.dtype == .bool && rhs.dtype == .bool {
            _fail("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
        }
        if lhs.dtype == .bool || rhs.dtype == .bool { _failBoolSubtraction() }
        lhs._inPlace(rhs, { $0 - $1 }, kernel: { Elementwise.updateNumeric($0, $1, _Sub.self) })
    }
    /// Multiplies `lhs` by `rhs` in place (`mul_`).
    public static func *= (lhs: Tensor, rhs: Tensor) {
        lhs._inPlace(rhs, { $0 * $1 }, kernel: { dst, src in
            if dst.dtype == .bool { Elementwise.update(dst, src, Bool.self) { $0 && $1 } } else { Elementwise.updateNumeric(dst, src, _Mul.self) }
        })
    }
    /// Divides `lhs` by `rhs` in place (`div_`).
    public static func /= (lhs: Tensor, rhs: Tensor) {
        lhs._inPlace(rhs, { $0 / $1 }, kernel: lhs.dtype.isFloatingPoint ? { dst, src in
            switch dst.dtype {
            case .float32: Elementwise.update(dst, src, Float.self) { $0 / $1 }
            default: Elementwise.update(dst, src, Double.self) { $0 / $1 }
            }
        } : nil)
    }

    /// Adds a number to every element in place. A floating-point number makes the result
    /// float, which an integer tensor cannot hold: that stops with PyTorch's casting message.
    public static func += (lhs: Tensor, rhs: Double) { lhs += _Number.float(rhs).tensor(lhs._scalarDType(float: true)) }
    /// Subtracts a number from every element in place.
    public static func -= (lhs: Tensor, rhs: Double) { lhs -= _Number.float(rhs).tensor(lhs._scalarDType(float: true)) }
    /// Multiplies every element by a number in place.
    public static func *= (lhs: Tensor, rhs: Double) { lhs *= _Number.float(rhs).tensor(lhs._scalarDType(float: true)) }
    /// Divides every element by a number in place.
    public static func /= (lhs: Tensor, rhs: Double) { lhs /= _Number.float(rhs).tensor(lhs._scalarDType(float: true)) }
    /// Adds an integer to every element in place; integer tensors stay integer.
    public static func += (lhs: Tensor, rhs: Int) { lhs += _Number.int(Int64(rhs)).tensor(lhs._scalarDType(float: false)) }
    /// Subtracts an integer from every element in place.
    public static func -= (lhs: Tensor, rhs: Int) { lhs -= _Number.int(Int64(rhs)).tensor(lhs._scalarDType(float: false)) }
    /// Multiplies every element by an integer in place.
    public static func *= (lhs: Tensor, rhs: Int) { lhs *= _Number.int(Int64(rhs)).tensor(lhs._scalarDType(float: false)) }

    private func _scalarDType(float: Bool) -> DType {
        DType.promote(dtype, scalarIsFloatingPoint: float)
    }

    /// Sets every element to zero in place (`zero_`).
    ///
    /// ```swift
    /// noGrad { w.grad!.zero() }
    /// ```
    public func zero() { _fill(0, name: "ZeroBackward0") }

    /// Sets every element to `value` in place (`fill_`).
    ///
    /// ```swift
    /// b.fill(0.5)
    /// ```
    public func fill(_ value: Double) { _fill(value, name: "FillBackward2") }

    private func _fill(_ value: Double, name: StaticString) {
        _checkInPlace(overlap: false)
        if GradMode.isEnabled && _requiresGrad {
            // A number may fill an expanded view (every copy of an element gets the same
            // value): ATen's `fill_` does not check for internal overlap, with a graph or not.
            _inPlace(Tensor.zeros([], dtype: dtype), { a, _ in
                Tensor.full(like: a, value)._recorded(name, a) { g, _ in (Tensor.zeros(like: g), nil) }
            }, kernel: nil, internalOverlap: false)
            return
        }
        _fillRaw(value)
        _bumpVersion()
    }

    /// Sets every element to the value of a 0-d tensor in place (`fill_`); the value's
    /// gradient is the sum of the incoming one (`FillBackward3`).
    ///
    /// ```swift
    /// x.fill(Tensor(0.5))
    /// ```
    public func fill(_ value: Tensor) {
        if value.rank != 0 {
            _fail("fill_ only supports 0-dimension value tensor but got tensor with \(value.rank) dimensions.")
        }
        // Unlike a number, a tensor value goes through ATen's overlap checks: an expanded view
        // cannot take it.
        _checkInPlace()
        if GradMode.isEnabled && (_requiresGrad || value._requiresGrad) {
            _inPlace(value.detach().to(dtype), { a, _ in
                Tensor.full(like: a, value.item())._recorded("FillBackward3", a, value) { g, _ in
                    (Tensor.zeros(like: g), g.sum())
                }
            }, kernel: nil)
            return
        }
        _fillRaw(value.item())
        _bumpVersion()
    }

    /// Copies `source` (broadcast to this shape, converted to this dtype) into this tensor in
    /// place (`copy_`).
    ///
    /// ```swift
    /// noGrad { target.copy(from: source) }
    /// ```
    public func copy(from source: Tensor) {
        // ATen's copy_ returns before TensorIterator's overlap checks when the source is the
        // same view of the same memory (`t.expand(3, 3)[:-1].copy_(t.expand(2, 3))` is
        // allowed); autograd still records the copy and the version still moves.
        let sameView = source._sharesMemory(with: self) && source.dtype == dtype
            && source.storageOffset == storageOffset && Shape.same(source.shape, shape) && source.strides == strides
        _inPlace(source, { a, b in
            b.to(a.dtype).expand(a.shape).clone()._recorded("CopyBackwards", a, b) { g, _ in
                (Tensor.zeros(like: g), g)
            }
        }, kernel: { dst, src in dst._copyRaw(src) }, internalOverlap: !sameView)
    }

    /// Writes `src` (broadcast, any dtype) into this tensor's elements, outside autograd.
    func _copyRaw(_ src: Tensor) {
        let s = src._sharesMemory(with: self) ? src.clone() : src
        CopyKernel.copy(s, srcStrides: Shape.broadcastStrides(s.shape, s.strides, to: shape), into: self)
    }

    /// `self += other` for gradient accumulation: no autograd checks, but the version moves.
    func _addInPlaceNoGraph(_ other: Tensor) {
        if other.dtype == dtype {
            Elementwise.updateNumeric(self, other, _Add.self)
        } else {
            Elementwise.updateNumeric(self, other.to(dtype), _Add.self)
        }
        _bumpVersion()
    }
}

extension Tensor {
    /// ATen's `canCast` for an in-place result: never from floating to integer or bool, or
    /// from integer to bool.
    static func _checkCast(_ from: DType, to: DType) {
        let allowed = from == to || to.isFloatingPoint || (to == .int64 && from == .bool)
        if !allowed { _fail("result type \(from._resultName) can't be cast to the desired output type \(to._resultName)") }
    }
}

extension DType {
    /// The ScalarType name in PyTorch's casting messages.
    var _resultName: String {
        switch self {
        case .float32: "Float"
        case .float64: "Double"
        case .int64: "Long"
        case .bool: "Bool"
        }
    }
}
