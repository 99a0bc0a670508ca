import Foundation

/// The small part of the ZIP format that `.npz` files use: stored and deflated entries,
/// including the ZIP64 size fields that `numpy.savez` writes.
enum _Zip {
    struct Entry {
        let name: String
        let data: Data
    }

    static func entries(_ data: Data, path: String) throws -> [Entry] {
        func fail(_ problem: String) -> TensorFileError { TensorFileError(path, problem) }
        func u16(_ at: Int) -> Int { Int(data._littleEndian(UInt16.self, at: at)) }
        func u32(_ at: Int) -> Int { Int(data._littleEndian(UInt32.self, at: at)) }
        func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: data._littleEndian(UInt64.self, at: at)) }
        guard data.count >= 22 else { throw fail("too short to be a .npz (ZIP) archive") }
        // The end-of-central-directory record is within the last 64 KiB + 22 bytes.
        var end = -1
        var i = data.count - 22
        while i >= Swift.max(0, data.count - 65_557) {
            if u32(i) == 0x0605_4b50 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw fail("no ZIP end-of-central-directory record: not a .npz archive") }
        let count = u16(end + 10)
        var cursor = u32(end + 16)
        guard cursor <= end else { throw fail("central directory offset \(cursor) is past its end record") }
        var result: [Entry] = []
        for _ in 0..<count {
            guard cursor + 46 <= data.count, u32(cursor) == 0x0201_4b50 else { throw fail("damaged central directory") }
            let method = u16(cursor + 10)
            var size = u32(cursor + 20)
            var uncompressed = u32(cursor + 24)
            let nameLength = u16(cursor + 28), extraLength = u16(cursor + 30), commentLength = u16(cursor + 32)
            var local = u32(cursor + 42)
            guard cursor + 46 + nameLength + extraLength <= data.count else { throw fail("damaged central directory") }
            let nameBytes = data.subdata(in: (data.startIndex + cursor + 46)..<(data.startIndex + cursor + 46 + nameLength))
            let name = String(decoding: nameBytes, as: UTF8.self)
            // ZIP64: sizes or offsets of 0xFFFFFFFF live in extra field 0x0001, in order.
            var e = cursor + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), length = u16(e + 2)
                let fieldEnd = Swift.min(e + 4 + length, extraEnd)   // a lying length stays inside
                if id == 0x0001 {
                    var f = e + 4
                    if u32(cursor + 24) == 0xFFFF_FFFF && f + 8 <= fieldEnd { uncompressed = u64(f); f += 8 }
                    if u32(cursor + 20) == 0xFFFF_FFFF && f + 8 <= fieldEnd { size = u64(f); f += 8 }
                    if u32(cursor + 42) == 0xFFFF_FFFF && f + 8 <= fieldEnd { local = u64(f) }
                }
                e += 4 + length
            }
            guard method == 0 || method == 8 else {
                throw fail("entry \(name) uses compression method \(method); only stored and deflated entries are read")
            }
            guard local >= 0, local + 30 <= data.count, u32(local) == 0x0403_4b50 else { throw fail("entry \(name) has no local header") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard size >= 0, start <= data.count, size <= data.count - start else {
                throw fail("entry \(name) of \(size) bytes runs past the end of the archive")
            }
            let raw = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + size))
            if method == 8 {
                // A deflated entry may not claim to expand beyond what DEFLATE can (1032:1).
                guard uncompressed >= 0, uncompressed <= size * 1032 + 1024 else {
                    throw fail("entry \(name) claims \(uncompressed) bytes from \(size) compressed")
                }
                do {
                    result.append(Entry(name: name, data: try _Inflate.decompress(raw, expectedSize: uncompressed)))
                } catch _Inflate.Failure.damaged(let why) {
                    throw fail("entry \(name) is damaged: \(why)")
                }
            } else {
                result.append(Entry(name: name, data: raw))
            }
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return result
    }

    static func archive(_ entries: [(String, Data)]) -> Data {
        var out = Data()
        var central = Data()
        func put16(_ d: inout Data, _ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        func put32(_ d: inout Data, _ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        for (name, data) in entries {
            let nameBytes = Data(name.utf8)
            let crc = Int(crc32(data))
            let offset = out.count
            put32(&out, 0x0403_4b50); put16(&out, 20); put16(&out, 0); put16(&out, 0)
            put16(&out, 0); put16(&out, 0x21)   // time, date (1980-01-01)
            put32(&out, crc); put32(&out, data.count); put32(&out, data.count)
            put16(&out, nameBytes.count); put16(&out, 0)
            out.append(nameBytes)
            out.append(data)
            put32(&central, 0x0201_4b50); put16(&central, 20); put16(&central, 20); put16(&central, 0); put16(&central, 0)
            put16(&central, 0); put16(&central, 0x21)
            put32(&central, crc); put32(&central, data.count); put32(&central, data.count)
            put16(&central, nameBytes.count); put16(&central, 0); put16(&central, 0); put16(&central, 0); put16(&central, 0)
            put32(&central, 0o100644 << 16); put32(&central, offset)
            central.append(nameBytes)
        }
        let centralOffset = out.count
        out.append(central)
        put32(&out, 0x0605_4b50); put16(&out, 0); put16(&out, 0)
        put16(&out, entries.count); put16(&out, entries.count)
        put32(&out, central.count); put32(&out, centralOffset); put16(&out, 0)
        return out
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
