import RealModule

/// A Swift type that can be stored in a tensor: `Float`, `Double`, `Int64`, `Int` or `Bool`.
///
/// Use it to read values back out of a tensor:
/// ```swift
/// let t = Tensor([[1, 2], [3, 4]])
/// let flat: [Float] = t.scalars(as: Float.self)   // [1.0, 2.0, 3.0, 4.0]
/// ```
public protocol TensorScalar: Sendable {
    /// The dtype a tensor of this Swift type has.
    static var naturalDType: DType { get }
    /// Converts a stored element into this type, truncating floats toward zero for integers.
    static func _convert(_ value: Double) -> Self
    static func _convert(_ value: Int64) -> Self
    static func _convert(_ value: Bool) -> Self
    /// This value, exactly, in the form a tensor stores any number.
    var _literal: _LiteralScalar { get }
}

extension Float: TensorScalar {
    public static var naturalDType: DType { .float32 }
    public static func _convert(_ value: Double) -> Float { Float(value) }
    public static func _convert(_ value: Int64) -> Float { Float(value) }
    public static func _convert(_ value: Bool) -> Float { value ? 1 : 0 }
    public var _literal: _LiteralScalar { .double(Double(self)) }
}

extension Double: TensorScalar {
    public static var naturalDType: DType { .float64 }
    public static func _convert(_ value: Double) -> Double { value }
    public static func _convert(_ value: Int64) -> Double { Double(value) }
    public static func _convert(_ value: Bool) -> Double { value ? 1 : 0 }
    public var _literal: _LiteralScalar { .double(self) }
}

extension Int64: TensorScalar {
    public static var naturalDType: DType { .int64 }
    public static func _convert(_ value: Double) -> Int64 { _truncate(value) }
    public static func _convert(_ value: Int64) -> Int64 { value }
    public static func _convert(_ value: Bool) -> Int64 { value ? 1 : 0 }
    public var _literal: _LiteralScalar { .int(self) }
}

extension Int: TensorScalar {
    public static var naturalDType: DType { .int64 }
    public static func _convert(_ value: Double) -> Int { Int(_truncate(value)) }
    public static func _convert(_ value: Int64) -> Int { Int(value) }
    public static func _convert(_ value: Bool) -> Int { value ? 1 : 0 }
    public var _literal: _LiteralScalar { .int(Int64(self)) }
}

extension Bool: TensorScalar {
    public static var naturalDType: DType { .bool }
    public static func _convert(_ value: Double) -> Bool { value != 0 }
    public static func _convert(_ value: Int64) -> Bool { value != 0 }
    public static func _convert(_ value: Bool) -> Bool { value }
    public var _literal: _LiteralScalar { .bool(self) }
}

/// C's float-to-integer conversion, which PyTorch uses. NaN and out-of-range values are
/// undefined in C; x86's conversion instruction gives the "integer indefinite" value, the most
/// negative integer, for all of them, so PyTorch prints that for `inf.long()` there.
@inline(__always)
func _truncate(_ value: Double) -> Int64 {
    if value.isNaN || value >= 9.2233720368547758e18 || value < -9.2233720368547758e18 { return Int64.min }
    return Int64(value.rounded(.towardZero))
}

/// The element types kernels are written over; `Int` is only a front-end convenience.
protocol _Element: Sendable {
    static var dtype: DType { get }
    static var zeroValue: Self { get }
    static var oneValue: Self { get }
    /// Widened to Double for printing and scalar extraction.
    var doubleValue: Double { get }
    init(fromDouble value: Double)
}

/// Elements with arithmetic: float32, float64 and int64.
protocol _NumericElement: _Element, Numeric, Comparable {
    /// `+`, `-` and `*` as ATen's kernels compute them: integers wrap on overflow as C++'s
    /// do (Swift's operators would stop the program).
    static func _plus(_ a: Self, _ b: Self) -> Self
    static func _minus(_ a: Self, _ b: Self) -> Self
    static func _times(_ a: Self, _ b: Self) -> Self
    /// True division for floats; integer division (a zero divisor gives 0 rather than a trap,
    /// though no op divides integers through it: division promotes them to float first).
    static func _divide(_ a: Self, _ b: Self) -> Self
}

extension _NumericElement where Self: BinaryFloatingPoint {
    @inline(__always) static func _plus(_ a: Self, _ b: Self) -> Self { a + b }
    @inline(__always) static func _minus(_ a: Self, _ b: Self) -> Self { a - b }
    @inline(__always) static func _times(_ a: Self, _ b: Self) -> Self { a * b }
    @inline(__always) static func _divide(_ a: Self, _ b: Self) -> Self { a / b }
}

/// Floating-point elements: float32 and float64.
protocol _FloatElement: _NumericElement, Real, BinaryFloatingPoint, _CascadeValue {
    /// ATen's `RowwiseMoments` in this type's vector lanes (`_RowwiseMoments`).
    static func _rowwiseMoments(_ x: UnsafePointer<Self>, _ n: Int) -> (mean: Self, variance: Self)
}

extension Float: _FloatElement {
    static var dtype: DType { .float32 }
    static var zeroValue: Float { 0 }
    static var oneValue: Float { 1 }
    var doubleValue: Double { Double(self) }
    init(fromDouble value: Double) { self = Float(value) }
    static func _rowwiseMoments(_ x: UnsafePointer<Float>, _ n: Int) -> (mean: Float, variance: Float) { _RowwiseMoments.compute(x, n) }
}

extension Double: _FloatElement {
    static var dtype: DType { .float64 }
    static var zeroValue: Double { 0 }
    static var oneValue: Double { 1 }
    var doubleValue: Double { self }
    init(fromDouble value: Double) { self = value }
    static func _rowwiseMoments(_ x: UnsafePointer<Double>, _ n: Int) -> (mean: Double, variance: Double) { _RowwiseMoments.compute(x, n) }
}

extension Int64: _NumericElement {
    @inline(__always) static func _plus(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func _minus(_ a: Int64, _ b: Int64) -> Int64 { a &- b }
    @inline(__always) static func _times(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    @inline(__always) static func _divide(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue }
    static var dtype: DType { .int64 }
    static var zeroValue: Int64 { 0 }
    static var oneValue: Int64 { 1 }
    var doubleValue: Double { Double(self) }
    init(fromDouble value: Double) { self = _truncate(value) }
}

extension Bool: _Element {
    static var dtype: DType { .bool }
    static var zeroValue: Bool { false }
    static var oneValue: Bool { true }
    var doubleValue: Double { self ? 1 : 0 }
    init(fromDouble value: Double) { self = value != 0 }
}
