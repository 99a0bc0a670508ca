import ArgumentParser
import Descent
import DescentData
import DescentMPI
import DescentNN
import Foundation

/// `descent fit`: linear regression on a CSV file, by gradient descent beside the exact answer.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a linear model to a CSV file by gradient descent, beside the exact least-squares answer.",
        discussion: """
            With no file, fits the seed notebook's crop table (temperature, rainfall, humidity -> \
            apples, oranges) with the notebook's settings.

            Examples:
              descent fit
              descent fit houses.csv --target price --standardize --optimizer adam --lr 0.01 --epochs 2000
              descent fit data.csv --target y1,y2 --output model.safetensors --report report.json --plot plots
            """
    )

    @Argument(help: "A CSV file with a header row. Omit it to use the seed notebook's table.")
    var file: String?

    @Option(help: "Target column(s), comma-separated (default: the last column).")
    var target: String?

    @Option(help: "Feature columns, comma-separated (default: every column that is not a target).")
    var features: String?

    @Option(help: "Training epochs.")
    var epochs = 500

    @Option(help: "Learning rate.")
    var lr = 1e-5

    @Option(help: "Optimizer: sgd, momentum or adam.")
    var optimizer: LinearRegression.Options.Method = .sgd

    @Option(name: .customLong("batch-size"), help: "Rows per step (default: all rows).")
    var batchSize: Int?

    @Flag(help: "Train on standardized features and targets (coefficients are reported in data units).")
    var standardize = false

    @Option(name: .customLong("val-fraction"), help: "Fraction of rows held out for validation (0 to 0.9).")
    var valFraction = 0.0

    @Option(help: "Seed for the initial weights, the split and the batch order.")
    var seed: UInt64 = 0

    @Option(help: "Write the model as safetensors to this path.")
    var output: String?

    @Option(help: "Write a JSON report of settings, coefficients and metrics to this path.")
    var report: String?

    @Option(help: "Write SVG plots (loss curve, predicted vs actual) into this folder.")
    var plot: String?

    @Option(help: "The CSV delimiter (default: detected from the header).")
    var delimiter: String?

    @Flag(name: .customLong("drop-missing"), help: "Skip rows with missing values instead of stopping.")
    var dropMissing = false

    @Flag(help: "Print only the results.")
    var quiet = false

    @Flag(help: "Replace existing output files even when they are not what the option writes.")
    var force = false

    @Flag(help: "Train over MPI: run under `mpirun -np N descent fit --distributed ...`; each process reads its share of the rows.")
    var distributed = false

    @Option(name: .customLong("checkpoint-every"), help: "Save a checkpoint every N epochs (to --checkpoint).")
    var checkpointEvery: Int?

    @Option(help: "The checkpoint file --checkpoint-every writes.")
    var checkpoint = "checkpoint.safetensors"

    @Option(help: "Continue training from a checkpoint written by --checkpoint-every, with the same settings.")
    var resume: String?

    static let seedCSV = """
        temperature,rainfall,humidity,apples,oranges
        73,67,43,56,70
        91,88,64,81,101
        87,134,58,119,133
        102,43,37,22,37
        69,96,70,103,119
        """

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard (0...0.9).contains(valFraction) else { throw ValidationError("--val-fraction must be between 0 and 0.9") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let delimiter, delimiter.count != 1 { throw ValidationError("--delimiter must be one character") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
    }

    func run() throws {
        var paths = OutputPaths()
        paths.input("the CSV file", file)
        paths.input("the checkpoint --resume names", resume)
        paths.output("--output", output, .safetensors)
        paths.output("--report", report, report.map { $0.lowercased().hasSuffix(".html") || $0.lowercased().hasSuffix(".htm") } == true ? .html : .json)
        paths.output("--plot", plot, .folder)
        paths.output("--checkpoint", checkpointEvery == nil ? nil : checkpoint, .safetensors, mayReplace: "the checkpoint --resume names")
        try paths.check(force: force)
        // Data errors differ between ranks and are printed by each; the rest are the same everywhere.
        try runProcesses(distributed: distributed, printedByEveryRank: { $0 is RankError }) { try fit(group: $0) }
    }

    /// Reading this rank's rows failed: the message names the rank.
    struct RankError: Error, CustomStringConvertible {
        let description: String
    }

    func fit(group: ProcessGroup) throws {
        let started = ContinuousClock.now
        let main = group.isMain, world = group.worldSize
        let quiet = self.quiet || !main
        let table: CSVTable
        let source = file ?? "the seed notebook's table"
        do {
            if let file {
                let url = URL(fileURLWithPath: file)
                table = world > 1
                    ? try CSV.read(from: url, shard: group.rank, of: world, delimiter: delimiter?.first, dropMissing: dropMissing)
                    : try CSV.read(from: url, delimiter: delimiter?.first, dropMissing: dropMissing)
            } else {
                table = try CSV.parse(Data(Self.seedCSV.utf8), path: "seed").shard(group.rank, of: world)
            }
        } catch {
            throw world > 1 ? RankError(description: "rank \(group.rank): \(error)") : CLIError("\(error)")
        }
        let targets = target.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? (file == nil ? ["apples", "oranges"] : [table.columns.last!])
        let featureNames = features.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? table.columns.filter { !targets.contains($0) }
        let missing = (targets + featureNames).filter { !table.columns.contains($0) }
        guard missing.isEmpty else {
            throw CLIError("\(source): no column named \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (columns: \(table.columns.joined(separator: ", ")))")
        }
        guard !featureNames.isEmpty else { throw CLIError("no feature columns left: name some with --features") }
        let totalRows = world > 1 ? Int(group.allReduce(Double(table.rowCount))) : table.rowCount
        guard totalRows >= 2 else { throw CLIError("\(source): needs at least 2 data rows, found \(totalRows)") }
        let dropped = world > 1 ? Int(group.allReduce(Double(table.droppedRows))) : table.droppedRows
        if dropMissing && dropped > 0 && !quiet { print("Skipped \(dropped) rows with missing values.") }

        // A checkpoint to resume from is read before anything is printed or trained.
        let resumed: Checkpoint?
        do {
            resumed = try resume.map { try Checkpoint.read(from: URL(fileURLWithPath: $0)) }
        } catch {
            throw CLIError("\(error)")
        }
        let x = try table.tensor(columns: featureNames), y = try table.tensor(columns: targets)
        // Hold out a seeded random share of rows for validation.
        let rows = table.rowCount
        let validationRows = Int((Double(rows) * valFraction).rounded(.down))
        let order = Tensor.randperm(rows, generator: Generator(seed: seed))
        let validationIndex = validationRows > 0 ? order[..<validationRows] : nil
        // Without a validation split the training rows are all of them, not a copy.
        let (xTrain, yTrain) = validationRows > 0 ? (x[order[validationRows...]], y[order[validationRows...]]) : (x, y)

        // Every rank joins every collective, printing or not.
        let validationTotal = world > 1 ? Int(group.allReduce(Double(validationRows))) : validationRows
        if !quiet {
            print("Fitting \(targets.joined(separator: ", ")) from \(featureNames.joined(separator: ", ")): \(totalRows - validationTotal) training rows\(validationTotal > 0 ? ", \(validationTotal) for validation" : "")\(world > 1 ? " over \(world) processes" : "")")
            print("\(optimizer.rawValue), lr \(lr), \(epochs) epochs\(batchSize.map { ", batches of \($0)" } ?? ", full batch")\(standardize ? ", standardized" : "")")
        }
        let progress = Progress(total: epochs, quiet: quiet)
        let options = LinearRegression.Options(epochs: epochs, lr: lr, optimizer: optimizer, batchSize: batchSize,
                                               standardize: standardize, seed: seed)
        // What a resumed run must share with this one, beyond the optimizer's settings.
        let runSettings = ["features": LinearRegression.SavedModel.encode(featureNames),
                           "targets": LinearRegression.SavedModel.encode(targets), "val_fraction": "\(valFraction)"]
        let checkpointing = checkpointEvery.map {
            LinearRegression.Checkpointing(url: URL(fileURLWithPath: checkpoint), every: $0, metadata: runSettings)
        }
        if let resumed, !quiet { print("Resuming after epoch \(resumed.epoch) from \(resume!)") }
        if let checkpointing, !quiet { print("Saving a checkpoint every \(checkpointing.every) epochs to \(checkpoint)") }
        let fitted: LinearRegression, losses: [Double]
        do {
            (fitted, losses) = try LinearRegression.fit(x: xTrain, y: yTrain, options: options, group: group,
                                                        checkpointing: checkpointing, resume: resumed) { progress.update($0, $1) }
        } catch let error as TrainingError {
            progress.finish()
            throw CLIError("\(error)")
        } catch {
            progress.finish()
            throw CLIError("\(error)")
        }
        progress.finish()
        let exact = LinearRegression.fitExact(x: xTrain, y: yTrain, group: group)

        let trainMetrics = LinearRegression.metrics(predicted: fitted.predict(xTrain), actual: yTrain, group: group)
        // Every rank takes part in the collective, even one whose share of validation rows is empty.
        let validationMetrics = validationIndex.map { LinearRegression.metrics(predicted: fitted.predict(x[$0]), actual: y[$0], group: group) }
        let exactMetrics = LinearRegression.metrics(predicted: exact.predict(xTrain), actual: yTrain, group: group)
        // Every rank should hold the same parameters; check it rather than assume it.
        var agreement: String?
        if world > 1 {
            let mine = Tensor.cat([fitted.weights.reshape(-1), fitted.bias.reshape(-1)]).to(.float64)
            let highest = mine.clone(), lowest = mine.clone()
            group.allReduce(highest, op: .max)
            group.allReduce(lowest, op: .min)
            agreement = highest.scalars(as: Double.self) == lowest.scalars(as: Double.self)
                ? "Parameters identical on all \(world) processes."
                : "Warning: the processes ended with different parameters."
        }
        guard main else { return }
        let summary = FitSummary(
            source: source, features: featureNames, targets: targets, options: options, losses: losses,
            model: fitted, exact: exact, train: trainMetrics, validation: validationMetrics, exactTrain: exactMetrics,
            seconds: (ContinuousClock.now - started).seconds)
        print(summary.text)
        if let agreement { print(agreement) }

        do {
            if let output {
                try LinearRegression.SavedModel(model: fitted, features: featureNames, targets: targets, source: source)
                    .write(to: URL(fileURLWithPath: output))
            }
            if let report { try AtomicFile.write(summary.json, to: URL(fileURLWithPath: report)) }
            if let plot {
                let folder = try OutputPaths.folder("--plot", plot)
                try AtomicFile.write(Data(SVGPlot.line(losses, title: "Training loss (MSE) by epoch").utf8),
                                     to: folder.appendingPathComponent("loss.svg"))
                let predicted = fitted.predict(xTrain)
                for (j, name) in targets.enumerated() {
                    let svg = SVGPlot.scatter(actual: yTrain[.all, j].scalars(as: Double.self),
                                              predicted: predicted[.all, j].scalars(as: Double.self),
                                              title: "\(name): predicted vs actual")
                    try AtomicFile.write(Data(svg.utf8), to: folder.appendingPathComponent("predicted-\(name).svg"))
                }
            }
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// An error the tool prints as `error: ...` before exiting with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension LinearRegression.Options.Method: ExpressibleByArgument {}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
