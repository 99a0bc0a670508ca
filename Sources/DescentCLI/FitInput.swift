import Descent
import DescentData
import DescentNN
import Foundation

/// The first steps of every `descent fit` run, whatever it trains: read this rank's rows,
/// pick the target and features, encode the features as numbers, and split off validation
/// rows. The table itself is not kept: a million rows are held once, as the feature tensor.
struct FitInput {
    /// What the target column holds, as the task needs it.
    enum Target {
        /// Regression: `[rows, targets]` float32, one column per target.
        case numbers(Tensor)
        /// Classification: each row's class index.
        case classes(ClassLabels)
    }

    let source: String
    let featureColumns: [String]
    let targets: [String]
    let encoding: FeatureEncoding
    /// Encoded features, `[rows, encoding.featureNames.count]` float32 (this rank's rows).
    let x: Tensor
    let target: Target
    /// Rows on every rank, and rows skipped for missing values.
    let totalRows: Int, droppedRows: Int
    /// Training and validation rows of this rank (validation nil without a split).
    let trainIndex: Tensor?, validationIndex: Tensor?
    let validationTotal: Int

    var featureNames: [String] { encoding.featureNames }

    static let seedCSV = """
        temperature,rainfall,humidity,apples,oranges
        73,67,43,56,70
        91,88,64,81,101
        87,134,58,119,133
        102,43,37,22,37
        69,96,70,103,119
        """

    /// Reads and encodes `options`' file for this rank of `group`.
    static func read(_ options: FitCommand, group: ProcessGroup) throws -> FitInput {
        let world = group.worldSize
        let source = options.file ?? "the seed notebook's table"
        let table: CSVTable
        do {
            if let file = options.file {
                let url = URL(fileURLWithPath: file)
                let missing = options.dropMissing ? false : options.impute != nil
                table = world > 1
                    ? try CSV.read(from: url, shard: group.rank, of: world, delimiter: options.delimiter?.first,
                                   dropMissing: options.dropMissing, keepMissing: missing, keepText: true)
                    : try CSV.read(from: url, delimiter: options.delimiter?.first, dropMissing: options.dropMissing,
                                   keepMissing: missing, keepText: true)
            } else {
                table = try CSV.parse(Data(seedCSV.utf8), path: "seed").shard(group.rank, of: world)
            }
        } catch {
            throw world > 1 ? FitCommand.RankError(description: "rank \(group.rank): \(error)") : CLIError("\(error)")
        }
        let split = { (list: String) in list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let targets = options.target.map(split) ?? (options.file == nil ? ["apples", "oranges"] : [table.columns.last!])
        let featureColumns = options.features.map(split) ?? table.columns.filter { !targets.contains($0) }
        let unknown = (targets + featureColumns).filter { !table.columns.contains($0) }
        guard unknown.isEmpty else {
            throw CLIError("\(source): no column named \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")) (columns: \(table.columns.joined(separator: ", ")))")
        }
        guard !featureColumns.isEmpty else { throw CLIError("no feature columns left: name some with --features") }
        if let both = targets.first(where: featureColumns.contains) {
            throw CLIError("column \"\(both)\" is both a target and a feature; leave it out of --features")
        }
        let totalRows = world > 1 ? Int(group.allReduce(Double(table.rowCount))) : table.rowCount
        guard totalRows >= 2 else { throw CLIError("\(source): needs at least 2 data rows, found \(totalRows)") }
        let dropped = world > 1 ? Int(group.allReduce(Double(table.droppedRows))) : table.droppedRows

        // A column with as many numbers as words is numbers with typos, not categories.
        for name in featureColumns + targets {
            guard let cells = table.text[name] else { continue }
            let words = cells.filter { !$0.isEmpty && Double($0) == nil }
            let numbers = cells.filter { Double($0) != nil }.count
            let isTarget = targets.contains(name)
            if words.count <= numbers && !(isTarget && options.task == .classification) || (isTarget && options.task == .regression) {
                let line = table.firstTextLine[name] ?? 0
                var problem = "\"\(words.first ?? "")\" is not a number"
                if isTarget && options.task == .regression {
                    problem += "; the target holds text: for classes use --task classification"
                }
                throw CLIError("\(table.path): line \(line), column \"\(name)\": \(problem)")
            }
        }

        // The split: a seeded random share of this rank's rows for validation.
        let rows = table.rowCount
        let validationRows = Int((Double(rows) * options.valFraction).rounded(.down))
        let order = validationRows > 0 ? Tensor.randperm(rows, generator: Generator(seed: options.seed)) : nil
        let trainIndex = order.map { $0[validationRows...] }, validationIndex = order.map { $0[..<validationRows] }
        let validationTotal = world > 1 ? Int(group.allReduce(Double(validationRows))) : validationRows

        if world > 1 && options.impute == .median {
            throw CLIError("--impute median needs every process's values, which --distributed does not gather yet; use --impute mean")
        }
        // An error in one process's rows names the process (each prints its own).
        let fail = { (error: Error) -> Error in world > 1 ? FitCommand.RankError(description: "rank \(group.rank): \(error)") : CLIError("\(error)") }
        let trainRows = trainIndex?.scalars(as: Int.self)
        var encoding: FeatureEncoding
        do {
            encoding = try FeatureEncoding.fit(table, columns: featureColumns, impute: options.impute, rows: trainRows)
        } catch {
            throw fail(error)
        }
        if world > 1 { encoding = try agreed(encoding, table, trainRows, group: group) }
        let x: Tensor
        do {
            x = try encoding.encode(table)
        } catch {
            throw fail(error)
        }

        let target: Target
        switch options.task {
        case .regression:
            let y = try table.tensor(columns: targets)
            if let name = targets.first(where: { table.columns.contains($0) }), y.isnan().any().item() != 0 {
                throw CLIError("\(table.path): column \"\(name)\": a target value is missing; use --drop-missing to skip such rows (targets are never imputed)")
            }
            target = .numbers(y)
        case .classification:
            guard targets.count == 1 else {
                throw CLIError("--task classification takes one target column, got \(targets.count) (\(targets.joined(separator: ", ")))")
            }
            do {
                let cells = try table.cells(targets[0])
                // The classes are every process's labels together, in one order everywhere.
                let classes = world > 1 ? try ClassLabels(gathered(Array(Set(cells)), group: group)).classes : nil
                target = .classes(try classes.map { try ClassLabels(classes: $0, labels: cells) } ?? ClassLabels(cells))
            } catch let problem as ClassLabels.Problem {
                throw CLIError("\(table.path): target column \"\(targets[0])\": \(problem)" + {
                    if case .oneClass = problem { return "; check --target" }
                    return "; use --drop-missing to skip rows without one"
                }())
            }
        }
        if case let .classes(labels) = target, let validationIndex, let trainIndex {
            // Every class must be trained on, and validated where it can be.
            var counts = labels.counts
            var trained = ClassLabels.counts(labels.indices[trainIndex], classes: labels.classes.count)
            if world > 1 {
                let both = Tensor(shape: [2 * counts.count], scalars: (counts + trained).map(Double.init), dtype: .float64)
                group.allReduce(both, op: .sum)
                let sums = both.scalars(as: Int.self)
                (counts, trained) = (Array(sums[..<counts.count]), Array(sums[counts.count...]))
            }
            for (c, name) in labels.classes.enumerated() where counts[c] < 2 || trained[c] == 0 {
                throw CLIError("\(table.path): target column \"\(targets[0])\": class \"\(name)\" has \(counts[c]) row(s), " +
                               "too few to split between training and validation (\(validationIndex.shape[0]) validation rows); " +
                               "drop the class, add rows, or train without --val-fraction")
            }
        }
        return FitInput(source: source, featureColumns: featureColumns, targets: targets, encoding: encoding, x: x,
                        target: target, totalRows: totalRows, droppedRows: dropped, trainIndex: trainIndex,
                        validationIndex: validationIndex, validationTotal: validationTotal)
    }

    /// Every process's strings, gathered through a sum over a `[world, length]` table of bytes
    /// in which each process fills its own row (the process group offers sums, not gathers).
    static func gathered(_ strings: [String], group: ProcessGroup) -> [String] {
        let mine = Array(ModelMetadata.list(strings.isEmpty ? [""] : strings).utf8)
        let length = Int(group.allReduce(Double(mine.count), op: .max))
        let table = Tensor.zeros([group.worldSize, length + 1], dtype: .float64)
        table[group.rank] = Tensor(shape: [length + 1], scalars: [Double(mine.count)] + mine.map(Double.init) + Array(repeating: 0, count: length - mine.count), dtype: .float64)
        group.allReduce(table, op: .sum)
        var all = Set<String>()
        for row in table.rows(as: Double.self) {
            let bytes = row[1...Int(row[0])].map { UInt8($0) }
            all.formUnion((try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? [])
        }
        return all.filter { !$0.isEmpty }.sorted()
    }

    /// One encoding on every process: each text column's categories from every process's
    /// training rows, and each filled column's mean over all of them.
    static func agreed(_ local: FeatureEncoding, _ table: CSVTable, _ trainRows: [Int]?, group: ProcessGroup) throws -> FeatureEncoding {
        let rows = trainRows ?? Array(0..<table.rowCount)
        // A column that is text on any process is categories on all of them.
        let textColumns = Set(gathered(local.columns.filter { $0.categories != nil }.map(\.name), group: group))
        var columns: [FeatureEncoding.Column] = []
        let width = table.columns.count
        for column in local.columns {
            if textColumns.contains(column.name) {
                let cells = try table.cells(column.name)
                let categories = gathered(Array(Set(rows.map { cells[$0] })), group: group)
                columns.append(FeatureEncoding.Column(name: column.name, categories: categories))
                continue
            }
            let c = table.columns.firstIndex(of: column.name)!
            let values = rows.map { table.values[$0 * width + c] }.filter { !$0.isNaN }
            let sums = Tensor([Double(values.count), values.reduce(0, +), Double(rows.count - values.count)], dtype: .float64)
            group.allReduce(sums, op: .sum)
            let (present, total, missing) = (sums[0].item(), sums[1].item(), sums[2].item())
            columns.append(FeatureEncoding.Column(name: column.name, fill: missing > 0 && present > 0 ? total / present : nil))
        }
        return FeatureEncoding(columns: columns)
    }

    /// Rows of `t` in the training split (all rows without a split, not a copy).
    func train(_ t: Tensor) -> Tensor { trainIndex.map { t[$0] } ?? t }
    /// Rows of `t` in the validation split.
    func validation(_ t: Tensor) -> Tensor? { validationIndex.map { t[$0] } }

    /// A few distinct whole numbers in a regression target suggest classes.
    func classificationHint() -> String? {
        guard case let .numbers(y) = target, y.shape[1] == 1, totalRows >= 20 else { return nil }
        var values = Set<Double>()
        for v in y.scalars(as: Double.self) {
            guard v == v.rounded() else { return nil }
            values.insert(v)
            if values.count > 10 { return nil }
        }
        let listed = values.sorted().map { String(Int($0)) }.joined(separator: ", ")
        return "Note: \(targets[0]) holds only \(values.count) distinct whole numbers (\(listed)); if they are classes, use --task classification."
    }
}
