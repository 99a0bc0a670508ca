import Foundation

/// The files a command reads and writes, checked before any work so that a run never replaces
/// its own input, never writes two outputs to one file, and never overwrites a file of another
/// kind (a CSV where a model goes) unless the user says `--force`.
///
/// Found as a new user would: `descent fit data.csv --output data.csv` trained, then replaced
/// the data with the model without a word.
struct OutputPaths {
    /// What an option writes, which decides what an existing file at its path may be.
    enum Kind {
        /// A safetensors file (a model or a checkpoint).
        case safetensors
        /// A JSON document.
        case json
        /// An HTML page.
        case html
        /// A CSV file (predictions).
        case csv
        /// A folder that files are written into.
        case folder

        var name: String {
            switch self {
            case .safetensors: "a safetensors model file"
            case .json: "a JSON file"
            case .html: "an HTML file"
            case .csv: "a CSV file"
            case .folder: "a folder"
            }
        }
    }

    struct Input {
        let option: String, path: String
    }

    struct Output {
        let option: String, path: String, kind: Kind
        /// An input option this output may name too (a checkpoint that a resumed run goes on
        /// writing).
        let mayReplace: String?
    }

    var inputs: [Input] = []
    var outputs: [Output] = []

    mutating func input(_ option: String, _ path: String?) {
        if let path { inputs.append(Input(option: option, path: path)) }
    }

    mutating func output(_ option: String, _ path: String?, _ kind: Kind, mayReplace: String? = nil) {
        if let path { outputs.append(Output(option: option, path: path, kind: kind, mayReplace: mayReplace)) }
    }

    /// Throws a ``CLIError`` for the first problem: an output that is an input, two outputs
    /// on one file, a folder option naming a file (or a file option a folder), or an existing
    /// file of another kind without `force`.
    func check(force: Bool) throws {
        for (i, output) in outputs.enumerated() {
            if let input = inputs.first(where: { $0.option != output.mayReplace && Self.same($0.path, output.path) }) {
                throw CLIError("\(output.option) \(output.path) is \(input.option) this run reads; writing there would replace it. Choose another path.")
            }
            if let other = outputs[..<i].first(where: { Self.same($0.path, output.path) }) {
                throw CLIError("\(other.option) and \(output.option) both name \(output.path); give each its own path.")
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: output.path, isDirectory: &isFolder) else { continue }
            if output.kind == .folder {
                if !isFolder.boolValue {
                    throw CLIError("\(output.option) \(output.path) is a file, not a folder: name a folder (it is created if missing).")
                }
                continue
            }
            if isFolder.boolValue {
                throw CLIError("\(output.option) \(output.path) is a folder; name a file to write \(output.kind.name) to.")
            }
            if !force && !Self.holds(output.kind, at: output.path) {
                throw CLIError("\(output.option) \(output.path) exists and is not \(output.kind.name); it was left alone. Add --force to replace it, or choose another path.")
            }
        }
    }

    /// Whether two paths name one file: the same path once symbolic links and `..` are
    /// resolved, or the same device and inode (a hard link).
    static func same(_ a: String, _ b: String) -> Bool {
        let resolve = { (p: String) in URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        if resolve(a) == resolve(b) { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Whether the file at `path` looks like what an option of `kind` writes, judged from its
    /// first bytes.
    static func holds(_ kind: Kind, at path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        if head.isEmpty { return true }   // An empty file holds nothing to lose.
        let bytes = [UInt8](head)
        let text = String(decoding: bytes.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        switch kind {
        case .safetensors:
            guard bytes.count >= 9 else { return false }
            let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
            return length >= 2 && length <= size - 8 && bytes[8] == UInt8(ascii: "{")
        case .json:
            return text.hasPrefix("{") || text.hasPrefix("[")
        case .html:
            return text.hasPrefix("<!doctype html") || text.hasPrefix("<html")
        case .csv:
            return !bytes.contains(0)
        case .folder:
            return false
        }
    }
}

extension OutputPaths {
    /// Creates the folder an option names (and its parents), with an error that reads like the
    /// tool's others rather than Foundation's `NSCocoaErrorDomain` text.
    static func folder(_ option: String, _ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw CLIError("\(option) \(path) is a file, not a folder: name a folder (it is created if missing).")
            }
            return url
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
            throw CLIError("\(option) \(path): the folder could not be created (\(reason)); check the path and its permissions.")
        }
        return url
    }
}
