import Descent

/// The classes of a classification target and each row's class index.
///
/// Labels may be text ("setosa") or whole numbers ("0", "3"); the classes are sorted (as
/// numbers when every label is one, as text otherwise), which is also the order of a
/// classifier's probability columns.
///
/// ```swift
/// let labels = try ClassLabels(["b", "a", "b"])
/// print(labels.classes, labels.indices)   // ["a", "b"] tensor([1, 0, 1])
/// ```
public struct ClassLabels: Sendable {
    /// The distinct labels in order.
    public let classes: [String]
    /// Each row's position in ``classes``, `[rows]` int64.
    public let indices: Tensor

    /// Why a column cannot be a classification target.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// A row's label is missing (1-based row).
        case missing(row: Int)
        /// Every row has the same label.
        case oneClass(String)

        public var description: String {
            switch self {
            case let .missing(row): "row \(row) has no label"
            case let .oneClass(label): "every row has the same label (\"\(label)\"): a classifier needs at least two classes"
            }
        }
    }

    /// Classes from a column's labels.
    public init(_ labels: [String]) throws {
        if let row = labels.firstIndex(of: "") { throw Problem.missing(row: row + 1) }
        let distinct = Set(labels)
        let numbers = distinct.compactMap { Double($0) }
        let classes = numbers.count == distinct.count
            ? distinct.sorted { Double($0)! < Double($1)! }
            : distinct.sorted()
        if classes.count == 1 { throw Problem.oneClass(classes[0]) }
        try self.init(classes: classes, labels: labels)
    }

    /// Indices of `labels` among known `classes` (a saved model's).
    ///
    /// - Throws: ``UnknownLabel`` for a label that is not one of them.
    public init(classes: [String], labels: [String]) throws {
        let position = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int64($0)) })
        var indices = [Int64](repeating: 0, count: labels.count)
        for (row, label) in labels.enumerated() {
            guard let i = position[label] else { throw UnknownLabel(row: row + 1, label: label) }
            indices[row] = i
        }
        self.classes = classes
        self.indices = Tensor(shape: [labels.count], scalars: indices, dtype: .int64)
    }

    /// A label that is not one of a model's classes.
    public struct UnknownLabel: Error, CustomStringConvertible {
        /// 1-based row.
        public let row: Int
        /// The label.
        public let label: String

        public var description: String { "row \(row): \"\(label)\" is not one of the model's classes" }
    }

    /// How many rows each class has, in class order.
    public var counts: [Int] { Self.counts(indices, classes: classes.count) }

    /// How many of `indices` fall in each of `classes` classes.
    public static func counts(_ indices: Tensor, classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for i in indices.scalars(as: Int.self) { counts[i] += 1 }
        return counts
    }
}
