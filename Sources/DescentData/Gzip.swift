import Foundation

/// gzip (RFC 1952) members, as MNIST's `.gz` files are, decoded with Descent's DEFLATE decoder.
///
/// The decoder never produces more than the trailer's declared size, and that size is itself
/// refused beyond what DEFLATE can expand the file's bytes to (1032:1), so a hostile file can
/// neither crash the reader nor make it allocate without bound. The CRC-32 is checked.
///
/// ```swift
/// let raw = try Gzip.decompress(Data(contentsOf: url), path: url.path)
/// ```
public enum Gzip {
    /// Whether `data` starts with gzip's magic bytes.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The bytes of the gzip member in `data` (`path` names the file in errors).
    public static func decompress(_ data: Data, path: String) throws -> Data {
        let bytes = [UInt8](data)
        func fail(_ problem: String) -> TensorFileError { TensorFileError(path, "gzip: \(problem)") }
        guard bytes.count >= 18 else { throw fail("\(bytes.count) bytes are too few for a gzip member (at least 18)") }
        guard bytes[0] == 0x1F, bytes[1] == 0x8B else { throw fail("not a gzip file (magic \(bytes[0]) \(bytes[1]))") }
        guard bytes[2] == 8 else { throw fail("compression method \(bytes[2]) is not DEFLATE (8)") }
        let flags = bytes[3]
        if flags & 0xE0 != 0 { throw fail("reserved header flags are set (\(flags))") }
        var position = 10
        if flags & 0x04 != 0 {   // FEXTRA
            guard position + 2 <= bytes.count else { throw fail("header ends inside its extra field") }
            position += 2 + Int(bytes[position]) | Int(bytes[position + 1]) << 8
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
            while position < bytes.count && bytes[position] != 0 { position += 1 }
            position += 1
        }
        if flags & 0x02 != 0 { position += 2 }   // FHCRC
        guard position + 8 <= bytes.count else { throw fail("header runs past the end of the file (\(bytes.count) bytes)") }
        let trailer = bytes.count - 8
        let crc = UInt32(bytes[trailer]) | UInt32(bytes[trailer + 1]) << 8 | UInt32(bytes[trailer + 2]) << 16 | UInt32(bytes[trailer + 3]) << 24
        let size = Int(UInt32(bytes[trailer + 4]) | UInt32(bytes[trailer + 5]) << 8 | UInt32(bytes[trailer + 6]) << 16 | UInt32(bytes[trailer + 7]) << 24)
        let deflated = trailer - position
        if size > deflated * 1032 + 64 {
            throw fail("the trailer declares \(size) bytes, more than \(deflated) compressed bytes can hold (truncated or damaged)")
        }
        let output: Data
        do {
            output = try _Inflate.decompress(Data(bytes[position..<trailer]), expectedSize: size)
        } catch _Inflate.Failure.damaged(let why) {
            throw fail("damaged or truncated compressed data (\(why))")
        }
        let actual = crc32(output)
        guard actual == crc else {
            throw fail("CRC-32 mismatch (file says \(String(crc, radix: 16)), data gives \(String(actual, radix: 16))): damaged")
        }
        return output
    }

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 (ISO 3309) of `data`, as gzip stores it.
    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBytes { raw in
            table.withUnsafeBufferPointer { t in
                for byte in raw { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
            }
        }
        return c ^ 0xFFFF_FFFF
    }
}
