import Foundation

/// Why a tensor file could not be read or written: what is wrong, and where.
///
/// ```swift
/// do { _ = try Safetensors.read(from: url) }
/// catch let error as TensorFileError { print(error) }   // model.safetensors: header length 9999999999 is past the end of the file (120 bytes)
/// ```
public struct TensorFileError: Error, CustomStringConvertible, Equatable {
    /// The file, as given.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    /// An error about `path`.
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// Writes whole files atomically.
public enum AtomicFile {
    /// Writes `data` to `url` through a temporary file in the same folder and a rename, so a
    /// failure never leaves a half-written file at `url`.
    ///
    /// ```swift
    /// try AtomicFile.write(Data(json.utf8), to: URL(fileURLWithPath: "report.json"))
    /// ```
    public static func write(_ data: Data, to url: URL) throws { try _writeAtomically(data, to: url) }
}

/// Writes `data` to `url` through a temporary file in the same folder and a rename, so that a
/// failure never leaves a half-written file at `url`.
func _writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        try data.write(to: temporary)
        // rename(2) replaces the destination atomically.
        guard rename(temporary.path, url.path) == 0 else {
            throw TensorFileError(url.path, "could not be written: rename failed (errno \(errno))")
        }
    } catch let error as TensorFileError {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw TensorFileError(url.path, "could not be written: \(error.localizedDescription)")
    }
}

/// Little-endian integers from raw bytes.
extension Data {
    func _littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { dst in
            self.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (startIndex + offset)..<(startIndex + offset + MemoryLayout<T>.size))
        }
        return T(littleEndian: value)
    }
}
