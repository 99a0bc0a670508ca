import Descent
import Foundation

/// A numeric table read from a CSV file: named columns, row-major values.
///
/// ```swift
/// let table = try CSV.read(from: URL(fileURLWithPath: "crops.csv"))
/// let x = table.tensor(columns: ["temp", "rainfall", "humidity"])   // [rows, 3] float32
/// ```
public struct CSVTable: Sendable {
    /// Column names from the header row.
    public let columns: [String]
    /// Values row by row (`rowCount x columns.count`).
    public let values: [Double]
    /// Data rows kept.
    public var rowCount: Int { columns.isEmpty ? 0 : values.count / columns.count }
    /// Rows skipped because a value was missing (only with `dropMissing`).
    public let droppedRows: Int
    /// The file the table came from, for error messages.
    public var path: String = "<memory>"
    /// Columns holding text (read with `keepText`), each as one string per row; their
    /// entries in ``values`` are NaN where the cell is not a number. A missing cell is "".
    public var text: [String: [String]] = [:]
    /// For each column in ``text``, the file line of its first cell that is not a number.
    public var firstTextLine: [String: Int] = [:]

    /// A table from its parts.
    public init(columns: [String], values: [Double], droppedRows: Int, path: String = "<memory>", text: [String: [String]] = [:]) {
        self.columns = columns
        self.values = values
        self.droppedRows = droppedRows
        self.path = path
        self.text = text
    }

    /// Rows `rowCount * shard / shards ..< rowCount * (shard + 1) / shards`: this rank's share
    /// of a table already in memory, split as ``CSV/read(from:shard:of:delimiter:dropMissing:)``
    /// splits a file (by rows here, by bytes there).
    ///
    /// ```swift
    /// let mine = table.shard(group.rank, of: group.worldSize)
    /// ```
    public func shard(_ shard: Int, of shards: Int) -> CSVTable {
        if shards <= 0 || !(0..<shards).contains(shard) { fatalError("shard \(shard) of \(shards) does not exist") }
        guard shards > 1 else { return self }
        let range = (rowCount * shard / shards)..<(rowCount * (shard + 1) / shards)
        let width = columns.count
        return CSVTable(columns: columns, values: Array(values[(range.lowerBound * width)..<(range.upperBound * width)]),
                        droppedRows: 0, path: path, text: text.mapValues { Array($0[range]) })
    }

    /// The named columns (all by default) as a `[rows, columns]` tensor.
    ///
    /// - Throws: ``CSVError`` naming a column that is not in the table.
    public func tensor(columns names: [String]? = nil, dtype: DType = .float32) throws -> Tensor {
        let wanted = names ?? columns
        var indices: [Int] = []
        for name in wanted {
            guard let i = columns.firstIndex(of: name) else {
                throw CSVError(path: path, line: 1, column: nil, problem: "no column named \"\(name)\" (columns: \(columns.joined(separator: ", ")))")
            }
            indices.append(i)
        }
        let width = columns.count, count = indices.count, rows = rowCount
        // Written straight into the tensor's memory: a million-row table's columns would
        // otherwise pass through an array of doubles as large as the table first.
        let out = Tensor.empty([rows, count], dtype: dtype)
        values.withUnsafeBufferPointer { v in
            func fill<T>(_: T.Type, _ convert: (Double) -> T) {
                out.withUnsafeMutableRawBytes { raw in
                    let p = raw.bindMemory(to: T.self)
                    for r in 0..<rows {
                        for k in 0..<count { p[r * count + k] = convert(v[r * width + indices[k]]) }
                    }
                }
            }
            switch dtype {
            case .float32: fill(Float.self) { Float($0) }
            case .float64: fill(Double.self) { $0 }
            case .int64: fill(Int64.self) { Swift.abs($0) < 9.2e18 ? Int64($0) : 0 }
            case .bool: fill(Bool.self) { $0 != 0 }
            }
        }
        return out
    }
}

extension CSVTable {
    /// A column's cells as text: its text when it holds any (see ``text``), otherwise its
    /// numbers as they would be written ("3", "2.5"), with "" for a missing cell.
    ///
    /// - Throws: ``CSVError`` naming a column that is not in the table.
    public func cells(_ column: String) throws -> [String] {
        if let cells = text[column] { return cells }
        guard let c = columns.firstIndex(of: column) else {
            throw CSVError(path: path, line: 1, column: nil, problem: "no column named \"\(column)\" (columns: \(columns.joined(separator: ", ")))")
        }
        let width = columns.count
        return (0..<rowCount).map { CSVTable.format(values[$0 * width + c]) }
    }

    /// A number as a CSV cell shows it: whole numbers without a decimal point, "" for NaN.
    static func format(_ v: Double) -> String {
        v.isNaN ? "" : v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

/// Why a CSV file could not be read, with the file, line and column.
public struct CSVError: Error, CustomStringConvertible, Equatable {
    /// The file, as given.
    public let path: String
    /// 1-based line in the file (the header is line 1).
    public let line: Int
    /// The column's name, when the problem is in one cell.
    public let column: String?
    /// What is wrong.
    public let problem: String

    public var description: String {
        let place = column.map { "line \(line), column \"\($0)\"" } ?? "line \(line)"
        return "\(path): \(place): \(problem)"
    }
}

/// Reading numeric CSV files: a header row, then one number per cell.
///
/// The delimiter (comma, semicolon or tab) is detected from the header unless given; fields
/// may be quoted (`"1,5"`, with `""` for a quote inside); numbers may have a sign, decimals and
/// an exponent. A cell that is not a number, a row with the wrong number of cells, or a missing
/// value stops with a ``CSVError`` naming the line and column; with `dropMissing`, rows with a
/// missing value are skipped and counted instead.
public enum CSV {
    /// Reads a CSV file.
    ///
    /// ```swift
    /// let table = try CSV.read(from: url, dropMissing: true)
    /// print("skipped \(table.droppedRows) incomplete rows")
    /// ```
    ///
    /// With `keepMissing`, a missing cell is read as NaN instead (for imputation); with
    /// `keepText`, a cell that is not a number is kept in ``CSVTable/text`` instead of stopping
    /// the read.
    public static func read(from url: URL, delimiter: Character? = nil, dropMissing: Bool = false,
                            keepMissing: Bool = false, keepText: Bool = false) throws -> CSVTable {
        let file = try mapped(url)
        let mode = _CSVParser.Mode(dropMissing: dropMissing, keepMissing: keepMissing, keepText: keepText)
        return try _parse(file.bytes, path: url.path, delimiter: delimiter, mode: mode, release: file.release)
    }

    private static func mapped(_ url: URL) throws -> _MappedFile {
        do {
            return try _MappedFile(url)
        } catch {
            throw CSVError(path: url.path, line: 0, column: nil, problem: "could not be read: \(error.localizedDescription)")
        }
    }

    /// Reads only shard `shard` of `shards` (`0..<shards`) of a CSV file's rows, as each rank of
    /// a data-parallel run reads its own share: the data after the header is cut into `shards`
    /// nearly equal byte ranges moved forward to line starts, and a row belongs to the range its
    /// first byte is in. The shards are disjoint and together hold every row; the file is
    /// memory-mapped and the other shards' bytes are not read.
    ///
    /// Quoted fields must not contain line breaks, since the cuts fall at line breaks; such a
    /// file throws a ``CSVError`` saying so. An error in a row names its exact line (the file
    /// is then re-read from the start to count lines).
    ///
    /// ```swift
    /// let mine = try CSV.read(from: url, shard: group.rank, of: group.worldSize)
    /// ```
    public static func read(from url: URL, shard: Int, of shards: Int, delimiter: Character? = nil,
                            dropMissing: Bool = false, keepMissing: Bool = false, keepText: Bool = false) throws -> CSVTable {
        let mode = _CSVParser.Mode(dropMissing: dropMissing, keepMissing: keepMissing, keepText: keepText)
        if shards <= 0 || !(0..<shards).contains(shard) { fatalError("shard \(shard) of \(shards) does not exist") }
        let file = try mapped(url)
        let path = url.path
        let result: CSVTable? = try {
            let bytes = file.bytes
            var parser = _CSVParser(bytes: bytes, path: path)
            let (header, separator) = try parser.readHeader(delimiter: delimiter?.asciiValue)
            let start = parser.position
            func bound(_ p: Int) -> Int {
                var b = start + (bytes.count - start) * p / shards
                while b > start && b < bytes.count && bytes[b - 1] != 10 { b += 1 }
                return b
            }
            var chunk = _CSVParser(bytes: bytes, path: path)
            chunk.position = bound(shard)
            chunk.release = file.release
            guard var rows = try? chunk.readRows(header: header, separator: separator, mode: mode, limit: bound(shard + 1))
            else { return nil }
            if !rows.texts.isEmpty {
                // Lines before this shard, for the text cells' line numbers.
                var before = parser.line - 1, p = start
                while p < bound(shard), let hit = memchr(bytes.baseAddress! + p, 10, bound(shard) - p) {
                    before += 1
                    p = bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                }
                rows = rows.shifted(before)
            }
            return _CSVRows.joined([rows], header: header, path: path)
        }()
        if let result { return result }
        // The shard did not parse: read the whole file serially for the exact line of the error.
        _ = try _parse(file.bytes, path: path, delimiter: delimiter, mode: mode, release: nil)
        throw CSVError(path: path, line: 0, column: nil,
                       problem: "cannot be read in shards: a quoted field holds a line break; read it whole")
    }

    /// Parses CSV bytes; `path` names them in errors.
    public static func parse(_ data: Data, path: String = "<memory>", delimiter: Character? = nil, dropMissing: Bool = false,
                             keepMissing: Bool = false, keepText: Bool = false) throws -> CSVTable {
        let mode = _CSVParser.Mode(dropMissing: dropMissing, keepMissing: keepMissing, keepText: keepText)
        return try data.withUnsafeBytes { raw in
            try _parse(raw.bindMemory(to: UInt8.self), path: path, delimiter: delimiter, mode: mode, release: nil)
        }
    }

    /// Parses `bytes`; `release`, when given, is called with byte ranges already parsed, which
    /// a file mapping drops from memory.
    static func _parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String, delimiter: Character?, mode: _CSVParser.Mode,
                       release: (@Sendable (Range<Int>) -> Void)?) throws -> CSVTable {
        var parser = _CSVParser(bytes: bytes, path: path)
        let (header, separator) = try parser.readHeader(delimiter: delimiter?.asciiValue)
        let start = parser.position
        // Four chunks per thread: joining them holds the table and one chunk at once, so
        // smaller chunks lower the peak (a 280 MB file peaked 100 MB higher with two).
        let parts = Threads.count > 1 && bytes.count - start > 8 << 20 ? 4 * Threads.count : 1
        // Chunks split at line starts can be read in parallel unless a quoted field might
        // hold a line break. Errors are reported by a serial re-read, which knows lines.
        if parts > 1 && memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: "\"")), bytes.count - start) == nil {
            var bounds = [start]
            for p in 1..<parts {
                var b = start + (bytes.count - start) * p / parts
                while b < bytes.count && bytes[b - 1] != 10 { b += 1 }
                bounds.append(Swift.max(b, bounds.last!))
            }
            bounds.append(bytes.count)
            let limits = bounds
            let results = _ChunkResults(count: parts)
            let shared = _SendableBytes(bytes)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                var chunk = _CSVParser(bytes: shared.value, path: path)
                chunk.position = limits[i]
                chunk.release = release
                results.store(i, try? chunk.readRows(header: header, separator: separator, mode: mode, limit: limits[i + 1]))
            }
            if var chunks = results.taken() {
                // Each chunk counted lines from 1; move its text cells' lines to the file's.
                var shift = parser.line - 1
                for i in chunks.indices {
                    let lines = chunks[i].lines
                    if !chunks[i].texts.isEmpty { chunks[i] = chunks[i].shifted(shift) }
                    shift += lines
                }
                return _CSVRows.joined(consume chunks, header: header, path: path)
            }
        }
        parser.release = release
        let rows = try parser.readRows(header: header, separator: separator, mode: mode, limit: bytes.count)
        return _CSVRows.joined([rows], header: header, path: path)
    }
}
