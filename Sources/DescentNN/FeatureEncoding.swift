import Descent
import DescentData
import Foundation

/// How a table's columns become a model's features: numbers as they are (missing ones filled
/// with a stored value when imputing), text one-hot encoded over the categories seen in
/// training. `descent fit` learns it and stores it in the model file, so `descent predict`
/// encodes new rows exactly the same way.
///
/// ```swift
/// let encoding = try FeatureEncoding.fit(table, columns: ["size", "colour"], impute: .mean)
/// print(encoding.featureNames)           // ["size", "colour=blue", "colour=red"]
/// let x = try encoding.encode(table)     // [rows, 3] float32
/// ```
public struct FeatureEncoding: Codable, Sendable, Equatable {
    /// One input column and what it becomes.
    public struct Column: Codable, Sendable, Equatable {
        /// The column's name in the CSV header.
        public var name: String
        /// The categories of a text column, sorted, one feature each; nil for a numeric column.
        public var categories: [String]?
        /// The value a missing number is replaced with (imputation), if any.
        public var fill: Double?

        /// A column read as it is: numbers, or categories when given, filled when given.
        public init(name: String, categories: [String]? = nil, fill: Double? = nil) {
            self.name = name
            self.categories = categories
            self.fill = fill
        }
    }

    /// How missing numbers are filled.
    public enum Impute: String, Sendable, CaseIterable, Codable {
        /// The mean of the column's present values.
        case mean
        /// The median of the column's present values (the mean of the middle two for an even count).
        case median
    }

    /// What to do with a category a text column did not have in training.
    public enum Unknown: String, Sendable, CaseIterable {
        /// Stop with an error naming the row and value.
        case error
        /// Encode the row with zeros in every one of the column's features.
        case ignore
    }

    /// Why a column cannot be encoded.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        /// The file.
        public let path: String
        /// The column.
        public let column: String
        /// What is wrong and what to do.
        public let problem: String

        public var description: String { "\(path): column \"\(column)\": \(problem)" }
    }

    /// The input columns in order.
    public var columns: [Column]

    /// The features' names: a numeric column's own, `name=category` for each category.
    public var featureNames: [String] {
        columns.flatMap { c in c.categories.map { $0.map { "\(c.name)=\($0)" } } ?? [c.name] }
    }

    /// Whether any column is more than a plain number column (worth storing in a model file).
    public var isPlain: Bool { columns.allSatisfy { $0.categories == nil && $0.fill == nil } }

    /// An encoding from its columns.
    public init(columns: [Column]) {
        self.columns = columns
    }

    /// Learns the encoding of `names` from `table`'s rows `rows` (all by default; pass the
    /// training rows so that validation rows do not inform the fill values).
    ///
    /// - Throws: ``Problem`` for a column with no numbers at all, a missing number without
    ///   `impute`, or a missing cell in a text column.
    public static func fit(_ table: CSVTable, columns names: [String], impute: Impute? = nil, rows: [Int]? = nil) throws -> FeatureEncoding {
        let width = table.columns.count
        let count = rows?.count ?? table.rowCount
        // Row r of the chosen ones, without an index array for "all rows".
        let row = { (r: Int) in rows?[r] ?? r }
        var columns: [Column] = []
        for name in names {
            guard let c = table.columns.firstIndex(of: name) else {
                throw Problem(path: table.path, column: name, problem: "no such column (columns: \(table.columns.joined(separator: ", ")))")
            }
            if let cells = table.text[name] {
                if let missing = cells.firstIndex(of: "") {
                    throw Problem(path: table.path, column: name,
                                  problem: "row \(missing + 1) is missing a category; fill it in, or use --drop-missing to skip such rows")
                }
                columns.append(Column(name: name, categories: Set((0..<count).map { cells[row($0)] }).sorted()))
                continue
            }
            // One pass, no copies: a million-row column is counted and summed in place.
            var present = 0, sum = 0.0, firstMissing: Int?
            table.values.withUnsafeBufferPointer { v in
                for r in 0..<count {
                    let x = v[row(r) * width + c]
                    if x.isNaN {
                        if firstMissing == nil { firstMissing = row(r) }
                    } else {
                        present += 1
                        sum += x
                    }
                }
            }
            if present == 0 {
                throw Problem(path: table.path, column: name, problem: "every value is missing; leave the column out with --features")
            }
            var fill: Double?
            if let firstMissing {
                guard let impute else {
                    throw Problem(path: table.path, column: name,
                                  problem: "row \(firstMissing + 1) is missing a value; use --impute mean|median to fill missing numbers, or --drop-missing to skip such rows")
                }
                switch impute {
                case .mean: fill = sum / Double(present)
                case .median:
                    let sorted = (0..<count).map { table.values[row($0) * width + c] }.filter { !$0.isNaN }.sorted()
                    let n = sorted.count
                    fill = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
                }
            }
            columns.append(Column(name: name, fill: fill))
        }
        return FeatureEncoding(columns: columns)
    }

    /// The features of every row of `table`, `[rows, featureNames.count]`.
    ///
    /// - Throws: ``Problem`` for a missing column, a category not seen in training (unless
    ///   `unknown` is `.ignore`), text in a numeric column, or a missing number with no fill.
    public func encode(_ table: CSVTable, unknown: Unknown = .error, dtype: DType = .float32) throws -> Tensor {
        let width = table.columns.count, rows = table.rowCount
        let featureCount = featureNames.count
        if isPlain && columns.allSatisfy({ table.text[$0.name] == nil }) {
            // Numbers only: straight from the table into the tensor (a million rows would
            // otherwise pass through an array of doubles as large as the table).
            let x = try table.tensor(columns: columns.map(\.name), dtype: dtype)
            if x.isnan().any().item() == 0 { return x }
        }
        var out = [Double](repeating: 0, count: rows * featureCount)
        var offset = 0
        for column in columns {
            guard let c = table.columns.firstIndex(of: column.name) else {
                throw Problem(path: table.path, column: column.name, problem: "missing: the model needs it")
            }
            if let categories = column.categories {
                let position = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
                let cells = try table.cells(column.name)
                for (r, cell) in cells.enumerated() {
                    if let k = position[cell] {
                        out[r * featureCount + offset + k] = 1
                    } else if unknown == .error {
                        throw Problem(path: table.path, column: column.name,
                                      problem: "row \(r + 1) has \"\(cell)\", a category not seen in training (known: \(categories.joined(separator: ", "))); use --unknown ignore to encode such rows as none of them")
                    }
                }
                offset += categories.count
                continue
            }
            if table.text[column.name] != nil {
                let cells = try table.cells(column.name)
                let row = cells.firstIndex { !$0.isEmpty && Double($0) == nil }.map { $0 + 1 } ?? 1
                throw Problem(path: table.path, column: column.name, problem: "row \(row) holds text, but the model reads numbers here")
            }
            for r in 0..<rows {
                var v = table.values[r * width + c]
                if v.isNaN {
                    guard let fill = column.fill else {
                        throw Problem(path: table.path, column: column.name, problem: "row \(r + 1) is missing a value and the model has no fill value for it")
                    }
                    v = fill
                }
                out[r * featureCount + offset] = v
            }
            offset += 1
        }
        return Tensor(shape: [rows, featureCount], scalars: out, dtype: dtype)
    }

    /// The encoding as JSON, for a model file's metadata.
    public var json: String {
        // Encoding strings and numbers cannot fail.
        String(decoding: try! JSONEncoder().encode(columns), as: UTF8.self)
    }

    /// An encoding from ``json``, or nil when the text is not one.
    public init?(json: String) {
        guard let columns = try? JSONDecoder().decode([Column].self, from: Data(json.utf8)), !columns.isEmpty else { return nil }
        self.columns = columns
    }
}
