import Descent
import Foundation

/// Reading and writing NumPy's `.npy` files and `.npz` archives (`numpy.savez` and
/// `numpy.savez_compressed` archives read; archives are written uncompressed, as `savez` does).
///
/// ```swift
/// try NumPy.write(x, to: URL(fileURLWithPath: "x.npy"))
/// let y = try NumPy.read(from: URL(fileURLWithPath: "x.npy"))
/// try NumPy.writeArchive(["x": x, "y": y], to: URL(fileURLWithPath: "data.npz"))
/// let arrays = try NumPy.readArchive(from: URL(fileURLWithPath: "data.npz"))
/// ```
public enum NumPy {
    static let codes: [String: _FileElement] = [
        "<f2": .f16, "<f4": .f32, "<f8": .f64, "|i1": .i8, "<i2": .i16, "<i4": .i32, "<i8": .i64,
        "|u1": .u8, "|b1": .bool,
    ]

    /// Reads one `.npy` file; float16 becomes float32, narrower integers int64.
    public static func read(from url: URL) throws -> Tensor {
        try read(mapped(url), path: url.path)
    }

    /// Reads `.npy` bytes already in memory; `path` names them in errors.
    public static func read(_ data: Data, path: String = "<memory>") throws -> Tensor {
        try read(data, path: path, rows: nil)
    }

    /// Reads only the rows `rows` (along the first dimension) of an `.npy` file, touching only
    /// their bytes: the file is memory-mapped and the other rows are never read.
    ///
    /// ```swift
    /// let part = try NumPy.read(from: url, rows: 1000..<2000)   // shape [1000, ...]
    /// ```
    ///
    /// - Throws: ``TensorFileError`` for a damaged file, a 0-d array, rows out of range, or a
    ///   Fortran-order file (its rows are not stored together).
    public static func read(from url: URL, rows: Range<Int>) throws -> Tensor {
        try read(mapped(url), path: url.path, rows: rows)
    }

    /// The rows of shard `shard` of `shards` (`0..<shards`): the first dimension split into
    /// `shards` nearly equal consecutive ranges, as each rank of a data-parallel run reads its
    /// own. Also returns the total row count.
    ///
    /// ```swift
    /// let (x, total) = try NumPy.readShard(from: url, shard: group.rank, of: group.worldSize)
    /// ```
    public static func readShard(from url: URL, shard: Int, of shards: Int) throws -> (tensor: Tensor, totalRows: Int) {
        if shards <= 0 || !(0..<shards).contains(shard) { fatalError("shard \(shard) of \(shards) does not exist") }
        let data = try mapped(url)
        let total = try header(data, path: url.path).shape.first ?? 0
        let rows = (total * shard / shards)..<(total * (shard + 1) / shards)
        return (try read(data, path: url.path, rows: rows), total)
    }

    static func mapped(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TensorFileError(url.path, "could not be read: \(error.localizedDescription)")
        }
    }

    /// The checked header: element type, order, shape and where the elements start.
    static func header(_ data: Data, path: String) throws -> (element: _FileElement, descr: String, fortran: Bool, shape: [Int], bodyStart: Int) {
        func fail(_ problem: String) -> TensorFileError { TensorFileError(path, problem) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw fail("not an .npy file (bad magic)") }
        let major = data[data.startIndex + 6]
        let lengthSize = major == 1 ? 2 : 4
        guard major >= 1 && major <= 3, data.count >= 8 + lengthSize else { throw fail("unsupported .npy version \(major)") }
        let headerLength = lengthSize == 2 ? Int(data._littleEndian(UInt16.self, at: 8)) : Int(data._littleEndian(UInt32.self, at: 8))
        let start = 8 + lengthSize
        guard headerLength <= data.count - start else {
            throw fail("header length \(headerLength) is past the end of the file (\(data.count) bytes)")
        }
        guard let header = String(data: data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + headerLength)), encoding: .ascii) else {
            throw fail("header is not ASCII")
        }
        let (descr, fortran, shape) = try parseHeader(header, fail)
        guard let element = codes[descr] else { throw fail("unsupported dtype '\(descr)'") }
        let bodyStart = start + headerLength
        guard let count = _checkedElementCount(shape, limit: data.count) else { throw fail("shape \(shape) is larger than the file") }
        guard data.count - bodyStart == count * element.size else {
            throw fail("shape \(shape) of '\(descr)' needs \(count * element.size) bytes but the file has \(data.count - bodyStart)")
        }
        return (element, descr, fortran, shape, bodyStart)
    }

    static func read(_ data: Data, path: String, rows: Range<Int>?) throws -> Tensor {
        let (element, _, fortran, fullShape, bodyStart) = try header(data, path: path)
        var shape = fullShape
        var first = bodyStart, byteCount = data.count - bodyStart
        if let rows {
            func fail(_ problem: String) -> TensorFileError { TensorFileError(path, problem) }
            guard let total = shape.first else { throw fail("a 0-d array has no rows to read") }
            guard rows.lowerBound >= 0, rows.upperBound <= total else { throw fail("rows \(rows) are outside the file's \(total) rows") }
            guard !fortran || shape.count == 1 else { throw fail("rows of a Fortran-order array are not stored together; read it whole") }
            let rowBytes = shape.dropFirst().reduce(element.size, *)
            shape[0] = rows.count
            first = bodyStart + rows.lowerBound * rowBytes
            byteCount = rows.count * rowBytes
        }
        let tensor = data.withUnsafeBytes { raw in
            element.tensor(UnsafeRawBufferPointer(rebasing: raw[first..<(first + byteCount)]), shape: fortran ? shape.reversed() : shape)
        }
        if fortran && shape.count > 1 {
            return tensor.permute(Array((0..<shape.count).reversed())).contiguous()
        }
        return tensor
    }

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    static func parseHeader(_ header: String, _ fail: (String) -> TensorFileError) throws -> (String, Bool, [Int]) {
        func value(after key: String) -> Substring? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return header[r.upperBound...].drop { $0 == " " }
        }
        guard let d = value(after: "descr"), d.first == "'", let close = d.dropFirst().firstIndex(of: "'") else {
            throw fail("header has no 'descr'")
        }
        let descr = String(d[d.index(after: d.startIndex)..<close])
        guard let f = value(after: "fortran_order") else { throw fail("header has no 'fortran_order'") }
        let fortran = f.hasPrefix("True")
        guard let s = value(after: "shape"), s.first == "(", let end = s.firstIndex(of: ")") else {
            throw fail("header has no 'shape'")
        }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<end].split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let n = Int(text), n >= 0 else { throw fail("shape entry '\(text)' is not a size") }
            shape.append(n)
        }
        return (descr, fortran, shape)
    }

    /// The `.npy` bytes of a tensor (format version 1.0).
    public static func encode(_ tensor: Tensor) -> Data {
        let descr = codes.first { $0.value == _FileElement.writing(tensor.dtype) }!.key
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Pad with spaces and a newline so the data starts 64-byte aligned, as NumPy does.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(header.data(using: .ascii)!)
        out.append(_bytes(of: tensor))
        return out
    }

    /// Writes a tensor as `.npy`, atomically.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try _writeAtomically(encode(tensor), to: url)
    }

    /// Reads every array of an `.npz` archive, by name (without the `.npy` suffix).
    ///
    /// - Throws: ``TensorFileError`` for a damaged archive or a damaged array inside.
    public static func readArchive(from url: URL) throws -> [String: Tensor] {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TensorFileError(url.path, "could not be read: \(error.localizedDescription)")
        }
        return try readArchive(data, path: url.path)
    }

    /// Reads `.npz` bytes already in memory; `path` names them in errors.
    public static func readArchive(_ data: Data, path: String = "<memory>") throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for entry in try _Zip.entries(data, path: path) {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            result[name] = try read(entry.data, path: "\(path)[\(entry.name)]")
        }
        return result
    }

    /// Writes tensors as an uncompressed `.npz` archive, atomically.
    public static func writeArchive(_ tensors: [String: Tensor], to url: URL) throws {
        let entries = tensors.sorted { $0.key < $1.key }.map { ($0.key + ".npy", encode($0.value)) }
        try _writeAtomically(_Zip.archive(entries), to: url)
    }
}
