// Getting values out of tensors and changing dtype.

extension Tensor {
    /// The value of a one-element tensor as a Double, like `tensor.item()`.
    ///
    /// ```swift
    /// let l = loss.item()   // 21231.642578125
    /// ```
    public func item() -> Double {
        if scalarCount != 1 { _fail("a Tensor with \(scalarCount) elements cannot be converted to Scalar") }
        return _double(at: storageOffset)
    }

    /// The value of a one-element tensor as `type`.
    ///
    /// ```swift
    /// let n = count.item(as: Int.self)
    /// ```
    public func item<T: TensorScalar>(as type: T.Type) -> T {
        if scalarCount != 1 { _fail("a Tensor with \(scalarCount) elements cannot be converted to Scalar") }
        return scalars(as: T.self)[0]
    }

    /// Every element in row-major order, converted to `type`.
    ///
    /// ```swift
    /// let values: [Float] = w.scalars(as: Float.self)
    /// ```
    public func scalars<T: TensorScalar>(as type: T.Type) -> [T] {
        // Called from another module this function runs unspecialized, where a per-element
        // closure cost about 110 ns per element; each Swift type goes to its own specialized
        // copy instead. T is that very type there, so the array is reinterpreted, not converted
        // (`as! [T]` would convert element by element).
        if T.self == Float.self { return unsafeBitCast(_scalars(Float.self), to: [T].self) }
        if T.self == Double.self { return unsafeBitCast(_scalars(Double.self), to: [T].self) }
        if T.self == Int64.self { return unsafeBitCast(_scalars(Int64.self), to: [T].self) }
        if T.self == Int.self { return unsafeBitCast(_scalars(Int.self), to: [T].self) }
        if T.self == Bool.self { return unsafeBitCast(_scalars(Bool.self), to: [T].self) }
        return _scalars(T.self)
    }

    func _scalars<T: TensorScalar>(_: T.Type) -> [T] {
        _CaptureTape.refuse("the step reads a tensor's values back (scalars(as:))")
        let n = scalarCount
        // Empty: `[T](unsafeUninitializedCapacity: 0)` hands out the process-wide empty array
        // storage, and setting its count writes to that global (a race the thread sanitizer
        // reported between two tests).
        if n == 0 { return [] }
        let c = contiguous()
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            let o = out.baseAddress!
            switch dtype {
            case .float32:
                let p = c.pointer(Float.self)
                if T.self == Float.self {
                    UnsafeMutableRawPointer(o).copyMemory(from: p, byteCount: n * MemoryLayout<Float>.stride)
                } else {
                    for i in 0..<n { (o + i).initialize(to: T._convert(Double(p[i]))) }
                }
            case .float64:
                let p = c.pointer(Double.self)
                for i in 0..<n { (o + i).initialize(to: T._convert(p[i])) }
            case .int64:
                let p = c.pointer(Int64.self)
                for i in 0..<n { (o + i).initialize(to: T._convert(p[i])) }
            case .bool:
                let p = c.pointer(Bool.self)
                for i in 0..<n { (o + i).initialize(to: T._convert(p[i])) }
            }
            initialized = n
        }
    }

    /// The rows of a matrix as nested arrays.
    ///
    /// ```swift
    /// let rows: [[Float]] = preds.rows(as: Float.self)
    /// ```
    public func rows<T: TensorScalar>(as type: T.Type) -> [[T]] {
        if rank != 2 { _fail("rows(as:) expects a 2-D tensor, but got \(rank)D") }
        let flat = scalars(as: T.self)
        let cols = shape[1]
        return (0..<shape[0]).map { Array(flat[($0 * cols)..<(($0 + 1) * cols)]) }
    }

    /// Every element in row-major order, widened to Double.
    var _doubles: [Double] { scalars(as: Double.self) }

    /// The element at storage index `i`, widened to Double.
    func _double(at i: Int) -> Double {
        _CaptureTape.refuse("the step reads a tensor's value back (item(), or an op that decides from a value)")
        return switch dtype {
        case .float32: Double(data.assumingMemoryBound(to: Float.self)[i])
        case .float64: data.assumingMemoryBound(to: Double.self)[i]
        case .int64: Double(data.assumingMemoryBound(to: Int64.self)[i])
        case .bool: data.assumingMemoryBound(to: Bool.self)[i] ? 1 : 0
        }
    }

    /// The same values in another dtype (`ToCopyBackward0`); returns `self` when the dtype
    /// already matches.
    ///
    /// ```swift
    /// let x64 = x.to(.float64)
    /// let mask = (x .> 0).to(.float32)
    /// ```
    public func to(_ dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let out = _freshInLayout(dtype)   // `_to_copy` keeps a dense layout, as `clone()` does
        CopyKernel.copy(self, into: out)
        guard dtype.isFloatingPoint && self.dtype.isFloatingPoint else { return out }
        let source = self.dtype
        return out._recorded("ToCopyBackward0", self) { g, _ in (g.to(source), nil) }
    }
}
