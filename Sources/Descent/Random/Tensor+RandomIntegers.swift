// Integer draws: `randint` and the in-place `random_` family, following ATen's
// `random_from_to_impl` and `uniform_int_from_to_distribution` (DistributionTemplates.h).

extension Tensor {
    /// Overwrites every element with an integer drawn uniformly from `from..<to`, like
    /// PyTorch's `tensor.random_(from, to)`; without `to`, from `from` up to the largest
    /// integer the dtype holds exactly (`2^24` for float32, `2^53` for float64, `Int64.max`).
    /// Returns the tensor itself, so it can be chained.
    ///
    /// PyTorch's `DataLoader` seeds its sampler this way
    /// (`torch.empty((), dtype=torch.int64).random_()`).
    ///
    /// ```swift
    /// manualSeed(0)
    /// let dice = Tensor.empty([3], dtype: .int64).random(from: 1, to: 7)
    /// let seed = Tensor.empty([], dtype: .int64).random().item(as: Int64.self)
    /// ```
    @discardableResult
    public func random(from: Int64, to: Int64? = nil, generator: Generator? = nil) -> Tensor {
        _checkInPlace()
        if let to {
            _randomFromTo(from, to, generator: generator)
        } else {
            var from = from
            let toInclusive: Int64
            switch dtype {
            case .float32, .float64:
                let digits = dtype == .float32 ? 24 : 53
                toInclusive = Int64(1) << digits
                from = Tensor._updateFrom(from, digits: digits)
                if from >= toInclusive {
                    _fail("random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, but got from=\(from) > to_inc=\(toInclusive)")
                }
            case .int64: toInclusive = .max
            case .bool: toInclusive = 1
            }
            _checkFromToInRange(from, toInclusive)
            let range = UInt64(bitPattern: toInclusive) &- UInt64(bitPattern: from) &+ 1
            _fillRandomInteger(generator: generator) { g in Tensor._uniformIntFromTo(&g, range: range, base: from) }
        }
        _bumpVersion()
        return self
    }

    /// Overwrites every element with a random integer over the dtype's whole exact range, like
    /// PyTorch's `tensor.random_()`: `0...2^24` for float32, `0...2^53` for float64,
    /// `0...Int64.max` for int64, and `false`/`true` for bool.
    ///
    /// ```swift
    /// let seed = Tensor.empty([], dtype: .int64).random().item(as: Int64.self)
    /// ```
    @discardableResult
    public func random(generator: Generator? = nil) -> Tensor {
        _checkInPlace()
        let dtype = self.dtype
        _fillRandomInteger(generator: generator) { g in
            switch dtype {
            case .float32: Int64(g.random() % ((1 << 24) + 1))
            case .float64: Int64(g.random64() % ((1 << 53) + 1))
            case .int64: Int64(g.random64() % (UInt64(Int64.max) + 1))
            case .bool: Int64(g.random() & 1)
            }
        }
        _bumpVersion()
        return self
    }

    /// `random_(from, to)` without the version bump, shared with `randint`.
    func _randomFromTo(_ from: Int64, _ to: Int64, generator: Generator?) {
        guard from < to else {
            _fail("random_ expects 'from' to be less than 'to', but got from=\(from) >= to=\(to)")
        }
        var from = from, to = to
        if dtype.isFloatingPoint {
            let digits = dtype == .float32 ? 24 : 53
            from = Tensor._updateFrom(from, digits: digits)
            to = Tensor._updateTo(to, digits: digits)
            guard from < to else {
                _fail("random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=\(from) >= to=\(to)")
            }
        }
        _checkFromToInRange(from, to - 1)
        let range = UInt64(bitPattern: to) &- UInt64(bitPattern: from)
        _fillRandomInteger(generator: generator) { g in Tensor._uniformIntFromTo(&g, range: range, base: from) }
    }

    /// `uniform_int_from_to_distribution`: one 32-bit draw for ranges below 2^28, else a
    /// 64-bit one (PyTorch moved the switch down from 2^32 so that the modulo's bias stays
    /// small). The sum wraps as ATen's unsigned arithmetic does.
    @inline(__always)
    static func _uniformIntFromTo(_ g: inout Generator.State, range: UInt64, base: Int64) -> Int64 {
        let draw = range >= 1 << 28 ? g.random64() : UInt64(g.random())
        return Int64(bitPattern: (draw % range) &+ UInt64(bitPattern: base))
    }

    /// ATen's `update_from`: the smallest `from` a floating dtype can hold exactly.
    static func _updateFrom(_ from: Int64, digits: Int) -> Int64 {
        let fromPlusOne = _roundTrip(from &+ 1, digits: digits)
        guard fromPlusOne < from else { return from }
        var magnitude = (from &+ 1).magnitude, n = 0
        while magnitude > 1 { magnitude >>= 1; n += 1 }
        return fromPlusOne + (Int64(1) << (n - digits + 1))
    }

    /// ATen's `update_to`: the largest `to` a floating dtype can hold exactly.
    static func _updateTo(_ to: Int64, digits: Int) -> Int64 {
        let toMinusOne = _roundTrip(to &- 1, digits: digits)
        guard toMinusOne >= to else { return to }
        var magnitude = (to &- 1).magnitude, n = 0
        while magnitude > 1 { magnitude >>= 1; n += 1 }
        return toMinusOne - (Int64(1) << (n - digits + 1))
    }

    /// `static_cast<int64_t>(static_cast<scalar_t>(v))`, saturating where C++ is undefined.
    private static func _roundTrip(_ v: Int64, digits: Int) -> Int64 {
        let d = digits == 24 ? Double(Float(v)) : Double(v)
        return d >= 0x1p63 ? .max : Int64(d)
    }

    /// ATen's `check_from_to_in_range`: integer dtypes must hold both ends; floating dtypes
    /// warn past the range of consecutive integers they hold exactly.
    private func _checkFromToInRange(_ from: Int64, _ toInclusive: Int64) {
        switch dtype {
        case .bool:
            if from < 0 || from > 1 { _fail("from is out of bounds for bool") }
            if toInclusive < 0 || toInclusive > 1 { _fail("to - 1 is out of bounds for bool") }
        case .float32, .float64:
            let digits = dtype == .float32 ? 24 : 53
            let limit = Int64(1) << digits, name = dtype == .float32 ? "float" : "double"
            if from < -limit || from > limit {
                _warnOnce("from is out of bounds [-(2^\(digits)), 2^\(digits)]. Due to precision limitations \(name) can support discrete uniform distribution only within this range. This warning will become an error in version 1.7 release, please fix the code in advance")
            }
            if toInclusive < -limit || toInclusive > limit {
                _warnOnce("to - 1 is out of bounds [-(2^\(digits)), 2^\(digits)]. Due to precision limitations \(name) can support discrete uniform distribution only within this range. This warning will become an error in version 1.7 release, please fix the code in advance")
            }
        case .int64:
            break
        }
    }

    /// Writes one integer per element in TensorIterator's order (memory order, so a transposed
    /// view draws as its storage lies), converting it to the dtype exactly as ATen's
    /// `static_cast` does.
    private func _fillRandomInteger(generator: Generator?, _ draw: @escaping (inout Generator.State) -> Int64) {
        let n = scalarCount
        guard n > 0 else { return }
        if isContiguous {
            _draw(from: generator) { out, _, g in
                switch out.dtype {
                case .float32: let p = out.pointer(Float.self); for i in 0..<n { p[i] = Float(draw(&g)) }
                case .float64: let p = out.pointer(Double.self); for i in 0..<n { p[i] = Double(draw(&g)) }
                case .int64: let p = out.pointer(Int64.self); for i in 0..<n { p[i] = draw(&g) }
                case .bool: let p = out.pointer(Bool.self); for i in 0..<n { p[i] = draw(&g) != 0 }
                }
            }
            return
        }
        // TensorIterator's order of dimensions, outermost first: a buffer laid out that way is
        // filled in row-major order, then copied in through the matching view of it.
        let order = Array(CascadeSum._iteratorOrder(shape, [strides], reductionOutput: nil).reversed())
        let target = Tensor(uninitializedShape: order.map { shape[$0] }, dtype: dtype)
        target._fillRandomInteger(generator: generator, draw)
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, d) in order.enumerated() { inverse[d] = i }
        _copyRaw(Tensor(over: target, shape: inverse.map { target.shape[$0] }, strides: inverse.map { target.strides[$0] },
                        offset: 0, base: nil))
    }
}
