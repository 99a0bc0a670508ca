import Descent
import Foundation

// The machinery under `CSV`: the byte-level parser, the rows a stretch of a file yields, and
// how the stretches of a parallel read are joined into one table.

/// The parsed chunks of a parallel read, each slot written by one thread.
final class _ChunkResults: @unchecked Sendable {
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
struct _SendableBytes: @unchecked Sendable {
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
