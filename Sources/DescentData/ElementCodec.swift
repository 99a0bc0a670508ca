import Descent
import Foundation

/// Element types that files store, and how each becomes a Descent tensor.
enum _FileElement {
    case f16, bf16, f32, f64, i8, i16, i32, i64, u8, bool

    var size: Int {
        switch self {
        case .i8, .u8, .bool: 1
        case .f16, .bf16, .i16: 2
        case .f32, .i32: 4
        case .f64, .i64: 8
        }
    }

    /// The dtype a tensor read from this element type has: half floats widen to float32,
    /// integers to int64, as Descent's dtypes allow.
    var dtype: DType {
        switch self {
        case .f16, .bf16, .f32: .float32
        case .f64: .float64
        case .i8, .i16, .i32, .i64, .u8: .int64
        case .bool: .bool
        }
    }

    /// Decodes `count` little-endian elements starting at `bytes` into a tensor of `shape`.
    func tensor(_ bytes: UnsafeRawBufferPointer, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        func load<T>(_: T.Type, _ i: Int) -> T { bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) }
        switch self {
        case .f32:
            return Tensor(shape: shape, scalars: (0..<count).map { Float(bitPattern: UInt32(littleEndian: load(UInt32.self, $0))) }, dtype: .float32)
        case .f64:
            return Tensor(shape: shape, scalars: (0..<count).map { Double(bitPattern: UInt64(littleEndian: load(UInt64.self, $0))) }, dtype: .float64)
        case .f16:
            return Tensor(shape: shape, scalars: (0..<count).map { _halfToFloat(UInt16(littleEndian: load(UInt16.self, $0))) }, dtype: .float32)
        case .bf16:
            return Tensor(shape: shape, scalars: (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: load(UInt16.self, $0))) << 16) }, dtype: .float32)
        case .i64:
            return Tensor(shape: shape, scalars: (0..<count).map { Int64(littleEndian: load(Int64.self, $0)) }, dtype: .int64)
        case .i32:
            return Tensor(shape: shape, scalars: (0..<count).map { Int64(Int32(littleEndian: load(Int32.self, $0))) }, dtype: .int64)
        case .i16:
            return Tensor(shape: shape, scalars: (0..<count).map { Int64(Int16(littleEndian: load(Int16.self, $0))) }, dtype: .int64)
        case .i8:
            return Tensor(shape: shape, scalars: (0..<count).map { Int64(load(Int8.self, $0)) }, dtype: .int64)
        case .u8:
            return Tensor(shape: shape, scalars: (0..<count).map { Int64(load(UInt8.self, $0)) }, dtype: .int64)
        case .bool:
            return Tensor(shape: shape, scalars: (0..<count).map { load(UInt8.self, $0) != 0 }, dtype: .bool)
        }
    }

    /// The element type a Descent dtype is written as.
    static func writing(_ dtype: DType) -> _FileElement {
        switch dtype {
        case .float32: .f32
        case .float64: .f64
        case .int64: .i64
        case .bool: .bool
        }
    }
}

/// IEEE half to float, exactly.
func _halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

/// A tensor's elements as little-endian bytes of its own dtype.
func _bytes(of tensor: Tensor) -> Data {
    var data = Data()
    switch tensor.dtype {
    case .float32: for v in tensor.scalars(as: Float.self) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    case .float64: for v in tensor.scalars(as: Double.self) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    case .int64: for v in tensor.scalars(as: Int64.self) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    case .bool: for v in tensor.scalars(as: Bool.self) { data.append(v ? 1 : 0) }
    }
    return data
}

/// The number of elements of `shape` when a file of `limit` bytes can hold them, else `nil`.
///
/// Also refuses a shape whose strides would overflow even when it has no elements: a zero
/// dimension beside dimensions of 10^10 holds nothing, but its row-major strides do not fit in
/// an `Int` (found by fuzzing the `.npy` reader).
func _checkedElementCount(_ shape: [Int], limit: Int) -> Int? {
    var count = 1, strideSpan = 1
    for s in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: s)
        let (span, spanOverflow) = strideSpan.multipliedReportingOverflow(by: Swift.max(s, 1))
        guard !overflow, !spanOverflow, product <= limit, span <= Int.max / 16 else { return nil }
        count = product
        strideSpan = span
    }
    return count
}
