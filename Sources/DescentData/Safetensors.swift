import Descent
import Foundation

/// Reading and writing the safetensors format (Hugging Face's), which PyTorch users save
/// state dicts in.
///
/// Every header field is checked against the file before anything is allocated: a corrupt or
/// hostile file throws ``TensorFileError`` naming the problem, and no read allocates more than
/// the file's size.
///
/// ```swift
/// try Safetensors.write(["weight": w, "bias": b], metadata: ["format": "pt"], to: url)
/// let file = try Safetensors.read(from: url)
/// let w2 = file.tensors["weight"]!
/// ```
public enum Safetensors {
    /// The contents of a safetensors file.
    public struct File {
        /// Tensors by name, in the order of their data in the file.
        public var tensors: [String: Tensor]
        /// Names in the order of their data in the file.
        public var names: [String]
        /// The `__metadata__` strings.
        public var metadata: [String: String]
        /// Each tensor's dtype as the file stores it (`F16`, `I32`, ...), before widening.
        public var storedDTypes: [String: String] = [:]
    }

    static let codes: [String: _FileElement] = [
        "F16": .f16, "BF16": .bf16, "F32": .f32, "F64": .f64, "I8": .i8, "I16": .i16,
        "I32": .i32, "I64": .i64, "U8": .u8, "BOOL": .bool,
    ]

    /// Reads a safetensors file; f16 and bf16 become float32, narrower integers int64.
    ///
    /// - Throws: ``TensorFileError`` for a truncated file, a header length past the end, a
    ///   header that is not JSON of the expected form, an unknown dtype, a shape that disagrees
    ///   with its byte count, or offsets out of range or overlapping.
    public static func read(from url: URL) throws -> File {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TensorFileError(path, "could not be read: \(error.localizedDescription)")
        }
        return try read(data, path: path)
    }

    /// Reads safetensors bytes already in memory; `path` names them in errors.
    public static func read(_ data: Data, path: String = "<memory>") throws -> File {
        func fail(_ problem: String) -> TensorFileError { TensorFileError(path, problem) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, too short for the 8-byte header length") }
        let headerLength = data._littleEndian(UInt64.self, at: 0)
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) is past the end of the file (\(data.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + headerEnd))
        guard let json = try? JSONSerialization.jsonObject(with: header), let entries = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataSize = data.count - headerEnd
        var metadata: [String: String] = [:]
        var spans: [(name: String, element: _FileElement, shape: [Int], begin: Int, end: Int)] = []
        var stored: [String: String] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let strings = value as? [String: Any] else { throw fail("__metadata__ is not an object of strings") }
                for (k, v) in strings {
                    guard let s = v as? String else { throw fail("metadata value for \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let code = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any],
                  let offsets = info["data_offsets"] as? [Any], offsets.count == 2
            else { throw fail("tensor \"\(name)\" needs dtype, shape and two data_offsets") }
            guard let element = codes[code] else { throw fail("tensor \"\(name)\" has unknown dtype \"\(code)\"") }
            var shape: [Int] = []
            for s in shapeValues {
                guard let n = (s as? NSNumber)?.int64Value, n >= 0, n <= Int64(dataSize) else {
                    throw fail("tensor \"\(name)\" has an invalid shape \(shapeValues)")
                }
                shape.append(Int(n))
            }
            guard let begin = (offsets[0] as? NSNumber)?.int64Value, let end = (offsets[1] as? NSNumber)?.int64Value,
                  begin >= 0, end >= begin, end <= Int64(dataSize)
            else { throw fail("tensor \"\(name)\" has data_offsets \(offsets) outside the \(dataSize) data bytes") }
            // A hostile shape must not wrap around, in its element count or its strides.
            guard let count = _checkedElementCount(shape, limit: dataSize) else {
                throw fail("tensor \"\(name)\" shape \(shape) is larger than the file")
            }
            guard Int64(count * element.size) == end - begin else {
                throw fail("tensor \"\(name)\" has shape \(shape) of \(code) (\(count * element.size) bytes) but data_offsets span \(end - begin) bytes")
            }
            spans.append((name, element, shape, Int(begin), Int(end)))
            stored[name] = code
        }
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        let filled = spans.filter { $0.end > $0.begin }   // empty tensors occupy no bytes
        for (a, b) in zip(filled, filled.dropFirst()) where b.begin < a.end {
            throw fail("tensors \"\(a.name)\" and \"\(b.name)\" overlap")
        }
        var tensors: [String: Tensor] = [:]
        data.withUnsafeBytes { raw in
            for s in spans {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(headerEnd + s.begin)..<(headerEnd + s.end)])
                tensors[s.name] = s.element.tensor(bytes, shape: s.shape)
            }
        }
        return File(tensors: tensors, names: spans.map(\.name), metadata: metadata, storedDTypes: stored)
    }

    /// Writes tensors (in the given order) and string metadata as safetensors, atomically:
    /// a failure leaves no partial file behind.
    ///
    /// ```swift
    /// try Safetensors.write(model.stateDict().items, metadata: ["epochs": "500"], to: url)
    /// ```
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        try _writeAtomically(encode(tensors, metadata: metadata), to: url)
    }

    /// Writes a dictionary of tensors, ordered by name.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try write(tensors.sorted { $0.key < $1.key }, metadata: metadata, to: url)
    }

    /// The safetensors bytes for `tensors`.
    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for (name, tensor) in tensors {
            let bytes = _bytes(of: tensor)
            let code = codes.first { $0.value == _FileElement.writing(tensor.dtype) }!.key
            header[name] = ["dtype": code, "shape": tensor.shape, "data_offsets": [body.count, body.count + bytes.count]]
            body.append(bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference does.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }
}
