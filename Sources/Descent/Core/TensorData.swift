/// Nested Swift arrays of numbers or booleans that describe a tensor's values and shape.
///
/// `Float`, `Double`, `Int`, `Int64`, `Bool` and arrays of any of them nested to any depth
/// conform, so `Tensor([[1, 2], [3, 4]])` is a 2x2 tensor and `Tensor(3.5)` a 0-d one.
public protocol TensorData {
    /// Appends this value's scalars in row-major order and records its shape.
    func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int)
    /// Whether this value's leaves are booleans.
    static var _leafIsBool: Bool { get }
}

/// One leaf value of a `TensorData` literal, kept exact until the dtype is known.
public enum _LiteralScalar: Sendable {
    case double(Double)
    case int(Int64)
    case bool(Bool)
}

extension Float: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        scalars.append(.double(Double(self)))
    }
    public static var _leafIsBool: Bool { false }
}

extension Double: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        scalars.append(.double(self))
    }
    public static var _leafIsBool: Bool { false }
}

extension Int: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        scalars.append(.int(Int64(self)))
    }
    public static var _leafIsBool: Bool { false }
}

extension Int64: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        scalars.append(.int(self))
    }
    public static var _leafIsBool: Bool { false }
}

extension Bool: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        scalars.append(.bool(self))
    }
    public static var _leafIsBool: Bool { true }
}

extension Array: TensorData where Element: TensorData {
    public func _flatten(into scalars: inout [_LiteralScalar], shape: inout [Int], depth: Int) {
        if scalars.isEmpty && depth == shape.count {
            shape.append(count)
        } else if depth >= shape.count || shape[depth] != count {
            let expected = depth < shape.count ? shape[depth] : 0
            _fail("expected sequence of length \(expected) at dim \(depth) (got \(count))")
        }
        for element in self { element._flatten(into: &scalars, shape: &shape, depth: depth + 1) }
    }
    public static var _leafIsBool: Bool { Element._leafIsBool }
}

extension Tensor {
    /// Creates a tensor from nested arrays (or a single number), like `torch.tensor`.
    ///
    /// Numbers give float32, the default dtype, whether written as integers or not (the
    /// notebook's arrays are float32); booleans give bool. Pass `dtype` for anything else.
    ///
    /// ```swift
    /// let inputs = Tensor([[73, 67, 43], [91, 88, 64]])     // float32, shape [2, 3]
    /// let idx = Tensor([0, 2], dtype: .int64)
    /// let s = Tensor(3.5)                                    // 0-d
    /// ```
    public convenience init<D: TensorData>(_ data: D, dtype: DType? = nil, requiresGrad: Bool = false) {
        var scalars: [_LiteralScalar] = []
        var shape: [Int] = []
        data._flatten(into: &scalars, shape: &shape, depth: 0)
        let dtype = dtype ?? (D._leafIsBool ? .bool : .float32)
        self.init(uninitializedShape: shape, dtype: dtype)
        Tensor._store(scalars, into: self)
        if requiresGrad { setRequiresGrad(true, factory: true) }
    }

    /// Creates a tensor of `shape` from values in row-major order.
    ///
    /// The array's element type gives the dtype, as `torch.tensor` and `torch.from_numpy` do:
    /// `Int` and `Int64` give int64, `Bool` gives bool, and `Float` and `Double` give float32,
    /// the default float dtype (pass `dtype: .float64` to keep doubles).
    ///
    /// ```swift
    /// let m = Tensor(shape: [2, 3], scalars: [1.0, 2, 3, 4, 5, 6])   // float32
    /// let i = Tensor(shape: [3], scalars: [2, 0, 1])                   // int64
    /// ```
    public convenience init<T: TensorScalar & TensorData>(
        shape: [Int], scalars: [T], dtype: DType? = nil, requiresGrad: Bool = false
    ) {
        guard Shape.count(shape) == scalars.count, !shape.contains(where: { $0 < 0 }) else {
            _fail("shape '\(_shapeString(shape))' is invalid for input of size \(scalars.count)")
        }
        let dtype = dtype ?? (T.naturalDType == .float64 ? .float32 : T.naturalDType)
        self.init(uninitializedShape: shape, dtype: dtype)
        // Called from another module this initializer runs unspecialized (about 10 ns an
        // element); each Swift type goes to its own specialized copy instead. T is that very
        // type there, so the array is reinterpreted, not converted.
        if T.self == Float.self { _fill(unsafeBitCast(scalars, to: [Float].self)) }
        else if T.self == Double.self { _fill(unsafeBitCast(scalars, to: [Double].self)) }
        else if T.self == Int.self { _fill(unsafeBitCast(scalars, to: [Int].self)) }
        else if T.self == Int64.self { _fill(unsafeBitCast(scalars, to: [Int64].self)) }
        else if T.self == Bool.self { _fill(unsafeBitCast(scalars, to: [Bool].self)) }
        else { _fill(scalars) }
        if requiresGrad { setRequiresGrad(true, factory: true) }
    }

    /// Converts `values` into this fresh tensor's dtype.
    private func _fill<T: TensorScalar>(_ values: [T]) {
        switch dtype {
        case .float32:
            if T.self == Float.self {
                values.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { UnsafeMutableRawPointer(pointer(Float.self)).copyMemory(from: base, byteCount: raw.count) }
                }
            } else {
                Tensor._fill(self, values, Float.self)
            }
        case .float64: Tensor._fill(self, values, Double.self)
        case .int64: Tensor._fill(self, values, Int64.self)
        case .bool: Tensor._fill(self, values, Bool.self)
        }
    }

    private static func _fill<T: TensorScalar, E: _Element & TensorScalar>(
        _ t: Tensor, _ values: [T], _: E.Type
    ) {
        let p = t.pointer(E.self)
        values.withUnsafeBufferPointer { v in
            for i in 0..<v.count {
                switch v[i]._literal {
                case .double(let x): p[i] = E._convert(x)
                case .int(let x): p[i] = E._convert(x)
                case .bool(let x): p[i] = E._convert(x)
                }
            }
        }
    }

    private static func _store(_ scalars: [_LiteralScalar], into t: Tensor) {
        func fill<E: _Element & TensorScalar>(_: E.Type) {
            let p = t.pointer(E.self)
            for (i, s) in scalars.enumerated() {
                switch s {
                case .double(let v): p[i] = E._convert(v)
                case .int(let v): p[i] = E._convert(v)
                case .bool(let v): p[i] = E._convert(v)
                }
            }
        }
        switch t.dtype {
        case .float32: fill(Float.self)
        case .float64: fill(Double.self)
        case .int64: fill(Int64.self)
        case .bool: fill(Bool.self)
        }
    }
}
