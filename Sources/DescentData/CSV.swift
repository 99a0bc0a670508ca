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

/// The parsed chunks of a parallel read, each slot written by one thread.
private final class _ChunkResults: @unchecked Sendable {
    private var slots: [_CSVRows?]
    private var failed = false
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func store(_ i: Int, _ result: _CSVRows?) {
        lock.lock()
        defer { lock.unlock() }
        if let result { slots[i] = result } else { failed = true }
    }
    /// Every chunk in order (moved out: the slots no longer hold them), or nil if one failed.
    func taken() -> [_CSVRows]? {
        if failed { return nil }
        defer { slots = [] }
        return slots.map { $0! }
    }
}

/// Rows read from one stretch of a file: values row-major, the text cells (rows counted
/// from the stretch's first), and how many rows were dropped.
struct _CSVRows {
    var values: [Double] = []
    var dropped = 0
    var texts: [(row: Int, column: Int, text: String, line: Int)] = []
    /// Lines the parser went through (its text cells' lines count from its first).
    var lines = 0

    /// The same rows with their text cells' lines moved down by `shift`.
    func shifted(_ shift: Int) -> _CSVRows {
        var moved = self
        moved.texts = texts.map { ($0.row, $0.column, $0.text, $0.line + shift) }
        return moved
    }

    /// One table from the stretches in order, each stretch freed as soon as it is copied:
    /// the whole table and one stretch are in memory at once, not the table twice.
    static func joined(_ parts: consuming [_CSVRows], header: [String], path: String) -> CSVTable {
        let width = Swift.max(header.count, 1)
        var values: [Double] = []
        var dropped = 0
        var texts: [(row: Int, column: Int, text: String, line: Int)] = []
        if parts.count == 1 {
            values = parts[0].values
            dropped = parts[0].dropped
            texts = parts[0].texts
            parts = []
        } else {
            values.reserveCapacity(parts.reduce(0) { $0 + $1.values.count })
            for i in parts.indices {
                let offset = values.count / width
                values.append(contentsOf: parts[i].values)
                dropped += parts[i].dropped
                texts += parts[i].texts.map { ($0.row + offset, $0.column, $0.text, $0.line) }
                parts[i] = _CSVRows()
            }
        }
        var text: [String: [String]] = [:]
        let rows = values.count / width
        for column in Set(texts.map(\.column)) {
            // The column's numbers as text too, written as they read ("3", "2.5"); missing as "".
            var cells = (0..<rows).map { CSVTable.format(values[$0 * width + column]) }
            for cell in texts where cell.column == column { cells[cell.row] = cell.text }
            text[header[column]] = cells
        }
        var table = CSVTable(columns: header, values: values, droppedRows: dropped, path: path, text: text)
        for cell in texts where table.firstTextLine[header[cell.column]] == nil { table.firstTextLine[header[cell.column]] = cell.line }
        return table
    }
}

/// The file's bytes, read by several threads at once (nothing writes them).
private struct _SendableBytes: @unchecked Sendable {
    let value: UnsafeBufferPointer<UInt8>
    init(_ value: UnsafeBufferPointer<UInt8>) { self.value = value }
}

/// 10^0 ... 10^22, all exact in a Double (the fast path's table), allocated once and never
/// written again.
nonisolated(unsafe) private let _powersOfTen: UnsafePointer<Double> = {
    let table = UnsafeMutablePointer<Double>.allocate(capacity: 23)
    var p = 1.0
    for i in 0..<23 {
        table[i] = p
        p *= 10
    }
    return UnsafePointer(table)
}()

struct _CSVParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    var position = 0
    var line = 1
    /// Set after a delimiter that ends a line: one more, empty field follows.
    var pendingEmptyField = false
    /// Called with ranges of bytes already parsed, every few megabytes (a mapped file drops them).
    var release: (@Sendable (Range<Int>) -> Void)?

    /// What to do with cells that are missing or not numbers.
    struct Mode {
        /// Skip rows with a missing cell.
        var dropMissing = false
        /// Read a missing cell as NaN (when not dropping).
        var keepMissing = false
        /// Keep cells that are not numbers as text.
        var keepText = false
    }

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        // A UTF-8 byte-order mark is not part of the first column's name.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    /// Reads the header row; `position` is then at the first data line.
    mutating func readHeader(delimiter given: UInt8?) throws -> (header: [String], separator: UInt8) {
        guard position < bytes.count else { throw CSVError(path: path, line: 1, column: nil, problem: "the file is empty; expected a header row") }
        // A model or another binary file would otherwise be read as a header of odd "columns".
        if memchr(bytes.baseAddress! + position, 0, Swift.min(bytes.count - position, 4096)) != nil {
            throw CSVError(path: path, line: 1, column: nil,
                           problem: "is not a CSV file: it holds binary data (a model or another binary file?); give a text file with a header row")
        }
        let separator = given ?? detectDelimiter()
        var header: [String] = []
        var fieldStart = 0, fieldEnd = 0, quoted = false
        while try nextField(separator, &fieldStart, &fieldEnd, &quoted) {
            header.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd]), as: UTF8.self)
                .trimmingCharacters(in: .whitespaces))
            if atLineEnd() { break }
        }
        finishLine()
        for (i, name) in header.enumerated() where name.isEmpty {
            throw CSVError(path: path, line: 1, column: nil, problem: "column \(i + 1) of the header has no name")
        }
        return (header, separator)
    }

    /// Reads data rows up to byte `limit` (a line start, or the end).
    mutating func readRows(header: [String], separator: UInt8, mode: Mode, limit: Int) throws -> _CSVRows {
        let width = header.count
        var texts: [(row: Int, column: Int, text: String, line: Int)] = []
        var rowTexts: [(column: Int, text: String)] = []
        var fieldStart = 0, fieldEnd = 0, quoted = false
        var values: [Double] = []
        // Reserve from the first data line's length, so a large file is not copied as it grows.
        var firstLineEnd = position
        while firstLineEnd < limit && bytes[firstLineEnd] != 10 { firstLineEnd += 1 }
        let estimatedRows = (limit - position) / Swift.max(firstLineEnd - position + 1, 1)
        values.reserveCapacity((estimatedRows + estimatedRows / 8 + 16) * width)
        var dropped = 0
        var row = [Double](repeating: 0, count: width)
        var released = position
        while position < limit {
            if let release, position - released >= 8 << 20 {
                release(released..<position)
                released = position
            }
            if isBlankLine() {
                finishLine()
                continue
            }
            let rowLine = line
            var count = 0
            var missing = false
            rowTexts.removeAll(keepingCapacity: true)
            while true {
                if count < width && !pendingEmptyField, let (v, end) = scanPlainNumber(from: position, separator) {
                    // The common case in one pass: a plain number straight up to the delimiter.
                    row[count] = v
                    count += 1
                    position = end
                    if position < bytes.count && bytes[position] == separator {
                        position += 1
                        if position >= bytes.count || bytes[position] == 10 || bytes[position] == 13 { pendingEmptyField = true }
                    }
                    if atLineEnd() { break }
                    continue
                }
                guard try nextField(separator, &fieldStart, &fieldEnd, &quoted) else { break }
                if count >= width {
                    throw CSVError(path: path, line: rowLine, column: nil, problem: "row has more than the header's \(width) cells")
                }
                if let v = number(fieldStart, fieldEnd) {
                    row[count] = v
                } else if isMissing(fieldStart, fieldEnd) {
                    if mode.dropMissing {
                        missing = true
                    } else if mode.keepMissing || mode.keepText {
                        // NaN, "" as text: the caller decides (impute a number, refuse a category).
                        row[count] = .nan
                    } else {
                        throw CSVError(path: path, line: rowLine, column: header[count], problem: "missing value (use --drop-missing to skip incomplete rows)")
                    }
                } else {
                    var text = String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd]), as: UTF8.self)
                    guard mode.keepText else {
                        throw CSVError(path: path, line: rowLine, column: header[count], problem: "\"\(text)\" is not a number")
                    }
                    if quoted { text = text.replacingOccurrences(of: "\"\"", with: "\"") }
                    row[count] = .nan
                    rowTexts.append((count, text.trimmingCharacters(in: .whitespaces)))
                }
                count += 1
                if atLineEnd() { break }
            }
            finishLine()
            guard count == width else {
                throw CSVError(path: path, line: rowLine, column: nil, problem: "row has \(count) cells, the header has \(width)")
            }
            if missing {
                dropped += 1
            } else {
                for cell in rowTexts { texts.append((values.count / Swift.max(width, 1), cell.column, cell.text, rowLine)) }
                values.append(contentsOf: row)
            }
        }
        return _CSVRows(values: values, dropped: dropped, texts: texts, lines: line - 1)
    }

    func detectDelimiter() -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var i = position, inQuotes = false
        while i < bytes.count && (inQuotes || (bytes[i] != 10 && bytes[i] != 13)) {
            if bytes[i] == UInt8(ascii: "\"") { inQuotes.toggle() } else if !inQuotes, counts[bytes[i]] != nil { counts[bytes[i], default: 0] += 1 }
            i += 1
        }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
    }

    func atLineEnd() -> Bool {
        !pendingEmptyField && (position >= bytes.count || bytes[position] == 10 || bytes[position] == 13)
    }

    mutating func finishLine() {
        if position < bytes.count && bytes[position] == 13 { position += 1 }
        if position < bytes.count && bytes[position] == 10 { position += 1 }
        line += 1
    }

    func isBlankLine() -> Bool { bytes[position] == 10 || bytes[position] == 13 }

    /// Reads one field; afterwards `position` is at a line end or past the delimiter.
    mutating func nextField(_ separator: UInt8, _ start: inout Int, _ end: inout Int, _ quoted: inout Bool) throws -> Bool {
        if pendingEmptyField {
            pendingEmptyField = false
            start = position
            end = position
            quoted = false
            return true
        }
        quoted = position < bytes.count && bytes[position] == UInt8(ascii: "\"")
        if quoted {
            position += 1
            start = position
            while true {
                guard position < bytes.count else {
                    throw CSVError(path: path, line: line, column: nil, problem: "a quoted field is not closed")
                }
                if bytes[position] == UInt8(ascii: "\"") {
                    if position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "\"") {
                        position += 2
                        continue
                    }
                    break
                }
                if bytes[position] == 10 { line += 1 }
                position += 1
            }
            end = position
            position += 1
        } else {
            start = position
            while position < bytes.count && bytes[position] != separator && bytes[position] != 10 && bytes[position] != 13 {
                position += 1
            }
            end = position
        }
        if position < bytes.count && bytes[position] == separator {
            position += 1
            // A delimiter right before the line end means one more, empty field.
            if position >= bytes.count || bytes[position] == 10 || bytes[position] == 13 { pendingEmptyField = true }
        }
        return true
    }

    /// A number written plainly (sign, digits, point, exponent; at most 15 significant digits
    /// and a small exponent) that ends at the delimiter or the line end, with where it ends;
    /// nil for anything else, which then takes the general path.
    @inline(__always)
    func scanPlainNumber(from start: Int, _ separator: UInt8) -> (Double, Int)? {
        var i = start
        let n = bytes.count
        guard i < n else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var mantissa: UInt64 = 0, digits = 0, scale = 0
        let integerStart = i
        while i < n, bytes[i] &- 48 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 48)
            i += 1
        }
        digits = i - integerStart
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < n, bytes[i] &- 48 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 48)
                i += 1
            }
            scale = fractionStart - i
            digits += i - fractionStart
        }
        guard digits > 0, digits <= 15 else { return nil }
        if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            let expStart = i
            var exponent = 0
            while i < n, bytes[i] &- 48 < 10, i - expStart < 4 {
                exponent = exponent * 10 + Int(bytes[i] &- 48)
                i += 1
            }
            guard i > expStart else { return nil }
            scale += expNegative ? -exponent : exponent
        }
        guard i == n || bytes[i] == separator || bytes[i] == 10 || bytes[i] == 13, Swift.abs(scale) <= 22 else { return nil }
        var v = Double(mantissa)
        v = scale >= 0 ? v * _powersOfTen[scale] : v / _powersOfTen[-scale]
        return (negative ? -v : v, i)
    }

    func isMissing(_ start: Int, _ end: Int) -> Bool {
        var s = start, e = end
        while s < e && (bytes[s] == 32 || bytes[s] == 9) { s += 1 }
        while e > s && (bytes[e - 1] == 32 || bytes[e - 1] == 9) { e -= 1 }
        if s == e { return true }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self).lowercased()
        return ["na", "n/a", "nan", "null", "none", "?"].contains(text)
    }

    /// A decimal number, or nil. Simple decimals are converted exactly (Clinger's fast path);
    /// anything longer goes through `strtod`.
    func number(_ start: Int, _ end: Int) -> Double? {
        var i = start, e = end
        while i < e && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
        while e > i && (bytes[e - 1] == 32 || bytes[e - 1] == 9) { e -= 1 }
        guard i < e else { return nil }
        let begin = i
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0, digits = 0, scale = 0, sawDigit = false
        while i < e, bytes[i] &- 48 < 10 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 48); digits += mantissa == 0 ? 0 : 1 } else { scale += 1 }
            sawDigit = true
            i += 1
        }
        if i < e && bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < e, bytes[i] &- 48 < 10 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 48); digits += mantissa == 0 ? 0 : 1; scale -= 1 }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < e && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < e && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0, expDigits = 0
            while i < e, bytes[i] &- 48 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[i] - 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            scale += expNegative ? -exponent : exponent
        }
        guard i == e else { return nil }
        if mantissa < (1 << 53) && digits <= 15 && Swift.abs(scale) <= 22 {
            let powers = _powersOfTen
            var v = Double(mantissa)
            v = scale >= 0 ? v * powers[scale] : v / powers[-scale]
            return negative ? -v : v
        }
        // Long mantissas or large exponents: let the C library round correctly.
        var buffer = [CChar](repeating: 0, count: e - begin + 1)
        for k in begin..<e { buffer[k - begin] = CChar(bitPattern: bytes[k]) }
        return strtod(buffer, nil)
    }
}
