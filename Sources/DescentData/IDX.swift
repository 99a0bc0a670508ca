import Descent
import Foundation

/// An array read from an IDX file, MNIST's format: its shape, element type, and the elements
/// as stored (big-endian), converted to a tensor on request.
///
/// ```swift
/// let images = try IDX.read(from: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// images.shape                 // [60000, 28, 28]
/// let x = images.scaled()      // float32 in [0, 1]
/// let raw = images.tensor()    // int64, 0...255
/// ```
public struct IDXArray: Sendable {
    /// The element types IDX files declare (the third magic byte).
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The stored element type.
    public let elementType: ElementType
    /// The elements as stored: one byte each for `uint8` (MNIST's images and labels).
    public let bytes: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as a tensor: int64 for integer types, float32 or float64 for float types.
    public func tensor() -> Tensor {
        switch elementType {
        case .uint8: return Tensor(shape: shape, scalars: bytes.map { Int64($0) })
        case .int8: return Tensor(shape: shape, scalars: bytes.map { Int64(Int8(bitPattern: $0)) })
        case .int16: return Tensor(shape: shape, scalars: (0..<count).map { Int64(Int16(bitPattern: UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]))) })
        case .int32: return Tensor(shape: shape, scalars: (0..<count).map { Int64(Int32(bitPattern: word($0))) })
        case .float32: return Tensor(shape: shape, scalars: (0..<count).map { Float(bitPattern: word($0)) })
        case .float64:
            return Tensor(shape: shape, scalars: (0..<count).map { i -> Double in
                var v: UInt64 = 0
                for k in 0..<8 { v = v << 8 | UInt64(bytes[8 * i + k]) }
                return Double(bitPattern: v)
            }, dtype: .float64)
        }
    }

    private func word(_ i: Int) -> UInt32 {
        UInt32(bytes[4 * i]) << 24 | UInt32(bytes[4 * i + 1]) << 16 | UInt32(bytes[4 * i + 2]) << 8 | UInt32(bytes[4 * i + 3])
    }

    /// Unsigned bytes as float32 in [0, 1] (`value / 255`), as torchvision's `ToTensor` scales
    /// images; other types as ``tensor()`` converted to float32.
    public func scaled() -> Tensor {
        guard elementType == .uint8 else { return tensor().to(.float32) }
        return Tensor(shape: shape, scalars: bytes.map { Float($0) / 255 })
    }
}

/// Reads IDX files (MNIST's format), raw or gzipped.
///
/// A damaged or hostile file throws a ``TensorFileError`` naming the file and the problem
/// (a wrong magic number, dimensions whose product disagrees with the file's size, a truncated
/// gzip stream), and nothing is allocated beyond what the file's size allows.
public enum IDX {
    /// The array in the file at `url` (gzipped when it starts with gzip's magic bytes).
    public static func read(from url: URL) throws -> IDXArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TensorFileError(url.path, "could not be read: \(error.localizedDescription)")
        }
        return try read(data, path: url.path)
    }

    /// The array in `data`, raw or gzipped (`path` names it in errors).
    public static func read(_ data: Data, path: String = "<memory>") throws -> IDXArray {
        let raw = Gzip.isCompressed(data) ? try Gzip.decompress(data, path: path) : data
        let bytes = [UInt8](raw)
        guard bytes.count >= 4 else { throw TensorFileError(path, "\(bytes.count) bytes are too few for an IDX header (at least 4)") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw TensorFileError(path, "not an IDX file: magic number starts \(bytes[0]) \(bytes[1]), expected 0 0")
        }
        guard let type = IDXArray.ElementType(rawValue: bytes[2]) else {
            throw TensorFileError(path, "unknown IDX element type 0x\(String(bytes[2], radix: 16)) (expected 08, 09, 0B, 0C, 0D or 0E)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw TensorFileError(path, "IDX file declares no dimensions") }
        let header = 4 + 4 * rank
        guard bytes.count >= header else {
            throw TensorFileError(path, "IDX header of \(rank) dimensions needs \(header) bytes, the file has \(bytes.count)")
        }
        var shape: [Int] = []
        var elements = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3]))
            shape.append(size)
            // Checked against the file's size as it goes, so the product cannot overflow.
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow, product <= bytes.count else {
                throw TensorFileError(path, "IDX dimensions \(shape) hold more elements than the file's \(bytes.count) bytes")
            }
            elements = product
        }
        // An empty array may still declare huge dimensions, whose strides would overflow.
        var strideProduct = 1
        for size in shape where size > 0 {
            let (product, overflow) = strideProduct.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int(Int32.max) * 1 << 16 else {
                throw TensorFileError(path, "IDX dimensions \(shape) are too large for a tensor")
            }
            strideProduct = product
        }
        let payload = bytes.count - header
        guard elements * type.size == payload else {
            throw TensorFileError(path, "IDX dimensions \(shape) of \(type) need \(elements * type.size) bytes of data, the file has \(payload)")
        }
        return IDXArray(shape: shape, elementType: type, bytes: Array(bytes[header...]))
    }
}
