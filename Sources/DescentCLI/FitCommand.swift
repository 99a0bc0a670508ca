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
        abstract: "Fit a linear model to a CSV file by gradient descent, beside the exact answer: least squares for numbers, logistic or softmax regression for classes.",
        discussion: """
            With no file, fits the seed notebook's crop table (temperature, rainfall, humidity -> \
            apples, oranges) with the notebook's settings. Text feature columns are one-hot encoded; \
            --report ending in .html writes one self-contained page with tables and charts.

            Examples:
              descent fit
              descent fit houses.csv --target price --standardize --optimizer adam --lr 0.01 --epochs 2000
              descent fit data.csv --target y1,y2 --output model.safetensors --report report.json --plot plots
              descent fit iris.csv --target species --task classification --standardize --optimizer adam --lr 0.05 --report iris.html
            """
    )

    @Argument(help: "A CSV file with a header row. Omit it to use the seed notebook's table.")
    var file: String?

    @Option(help: "Target column(s), comma-separated (default: the last column).")
    var target: String?

    @Option(help: "Feature columns, comma-separated (default: every column that is not a target).")
    var features: String?

    @Option(help: "What to predict: regression (numbers) or classification (classes, as text or whole numbers).")
    var task: FitTask = .regression

    @Option(help: "The model: linear (with its exact solution), or mlp, a small network (the exact linear fit then its baseline).")
    var model: FitModel = .linear

    @Option(help: "With --model mlp: the hidden layers' widths, comma-separated (default: 64).")
    var hidden: String?

    @Option(help: "With --model mlp: the activation between layers, relu, gelu or tanh.")
    var activation: MultilayerPerceptron.Activation = .relu

    @Option(help: "With --model mlp: dropout probability after each hidden layer, in training.")
    var dropout = 0.0

    @Option(help: "Classification: ridge penalty λ on the weights (mean log-loss + λ/2 |W|², scikit-learn's C = 1/(n λ)).")
    var l2 = 0.0

    @Option(help: "Fill missing numbers in feature columns with the training rows' mean or median (stored in the model).")
    var impute: FeatureEncoding.Impute?

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

    @Option(help: "Write a report of settings, coefficients, metrics (and charts, for .html) to this path: .json or .html.")
    var report: String?

    @Option(help: "Write SVG charts (loss curve; predicted vs actual and residuals, or confusion matrix and ROC curves) into this folder.")
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

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard (0...0.9).contains(valFraction) else { throw ValidationError("--val-fraction must be between 0 and 0.9") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let delimiter, delimiter.count != 1 { throw ValidationError("--delimiter must be one character") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        guard l2 >= 0 && l2.isFinite else { throw ValidationError("--l2 must be a number of at least 0") }
        if l2 > 0 && task == .regression { throw ValidationError("--l2 applies to --task classification") }
        guard hiddenSizes != nil else { throw ValidationError("--hidden must be positive whole numbers separated by commas, such as 64,32") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        if model == .linear && (dropout > 0 || hidden != nil) { throw ValidationError("--hidden and --dropout apply to --model mlp") }
        if model == .mlp && l2 > 0 { throw ValidationError("--l2 applies to the linear model; a network takes --dropout") }
        if dropMissing && impute != nil { throw ValidationError("--drop-missing and --impute exclude each other: skip incomplete rows, or fill them") }
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

    /// One run, from file to report: read and encode (``FitInput``), train and evaluate the
    /// task's model (``fitRegression(_:_:group:started:)`` or ``fitClassification(_:_:group:started:)``), then
    /// write what was asked for (``finish(_:_:group:started:)``).
    func fit(group: ProcessGroup) throws {
        let started = ContinuousClock.now
        let quiet = self.quiet || !group.isMain
        let input = try FitInput.read(self, group: group)
        if dropMissing && input.droppedRows > 0 && !quiet { print("Skipped \(input.droppedRows) rows with missing values.") }
        if !quiet {
            let world = group.worldSize
            let trainRows = input.totalRows - input.validationTotal
            let what = task == .classification ? "Classifying \(input.targets[0])" : "Fitting \(input.targets.joined(separator: ", "))"
            print("\(what) from \(input.featureNames.joined(separator: ", ")): \(trainRows) training rows\(input.validationTotal > 0 ? ", \(input.validationTotal) for validation" : "")\(world > 1 ? " over \(world) processes" : "")")
            if model == .mlp { print("A network: \(input.featureNames.count) -> \(hidden ?? "64") -> \(task == .classification ? "classes" : "targets"), \(activation.rawValue)\(dropout > 0 ? ", dropout \(dropout)" : "")") }
            print("\(optimizer.rawValue), lr \(lr), \(epochs) epochs\(batchSize.map { ", batches of \($0)" } ?? ", full batch")\(standardize ? ", standardized" : "")\(l2 > 0 ? ", l2 \(l2)" : "")")
            if let hint = input.classificationHint() { print(hint) }
        }
        let outcome: FitOutcome
        switch input.target {
        case let .numbers(y): outcome = try fitRegression(input, y, group: group, started: started)
        case let .classes(labels): outcome = try fitClassification(input, labels, group: group, started: started)
        }
        try finish(outcome, input, group: group, started: started)
    }

    /// `--hidden` as widths (64 when not given), or nil when it does not read as such.
    var hiddenSizes: [Int]? {
        let sizes = (hidden ?? "64").split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return sizes.map { $0! }
    }

    var trainingOptions: LinearRegression.Options {
        LinearRegression.Options(epochs: epochs, lr: lr, optimizer: optimizer, batchSize: batchSize, standardize: standardize, seed: seed)
    }

    /// Reads the checkpoint to resume from, before anything is trained.
    func resumed(quiet: Bool) throws -> Checkpoint? {
        guard let resume else { return nil }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: resume))
        } catch {
            throw CLIError("\(error)")
        }
        if !quiet { print("Resuming after epoch \(checkpoint.epoch) from \(resume)") }
        return checkpoint
    }

    /// Checkpoints every `--checkpoint-every` epochs, with what a resumed run must share.
    func checkpointing(_ input: FitInput, quiet: Bool) -> LinearRegression.Checkpointing? {
        let settings = ["features": ModelMetadata.list(input.featureNames),
                        "targets": ModelMetadata.list(input.targets), "val_fraction": "\(valFraction)",
                        "task": task.rawValue]
        guard let checkpointEvery else { return nil }
        if !quiet { print("Saving a checkpoint every \(checkpointEvery) epochs to \(checkpoint)") }
        return LinearRegression.Checkpointing(url: URL(fileURLWithPath: checkpoint), every: checkpointEvery, metadata: settings)
    }

    /// Runs `train` with a progress bar, turning its errors into the tool's.
    func withProgress<T>(_ group: ProcessGroup, _ train: (@escaping (Int, Double) -> Void) throws -> T) throws -> T {
        let progress = Progress(total: epochs, quiet: quiet || !group.isMain)
        defer { progress.finish() }
        do {
            return try train { progress.update($0, $1) }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }

    func fitRegression(_ input: FitInput, _ y: Tensor, group: ProcessGroup, started: ContinuousClock.Instant) throws -> FitOutcome {
        let quiet = self.quiet || !group.isMain
        let resume = try resumed(quiet: quiet)
        let checkpointing = checkpointing(input, quiet: quiet)
        let (xTrain, yTrain) = (input.train(input.x), input.train(y))
        var fitted: LinearRegression?, network: MultilayerPerceptron?
        let losses: [Double]
        if model == .mlp {
            (network, losses) = try withProgress(group) { onEpoch in
                try MultilayerPerceptron.fit(x: xTrain, y: yTrain, task: .regression(y.shape[1]), hidden: hiddenSizes!,
                                             activation: activation, dropout: dropout, options: trainingOptions, group: group,
                                             checkpointing: checkpointing, resume: resume, onEpoch: onEpoch)
            }
        } else {
            (fitted, losses) = try withProgress(group) { onEpoch in
                try LinearRegression.fit(x: xTrain, y: yTrain, options: trainingOptions, group: group,
                                         checkpointing: checkpointing, resume: resume, onEpoch: onEpoch)
            }
        }
        let predict = { (x: Tensor) in network?.predict(x) ?? fitted!.predict(x) }
        let exact = LinearRegression.fitExact(x: xTrain, y: yTrain, group: group)
        let predicted = predict(xTrain)
        let train = LinearRegression.metrics(predicted: predicted, actual: yTrain, group: group)
        // Every rank takes part in the collective, even one whose share of validation rows is empty.
        let xValidation = input.validation(input.x), yValidation = input.validation(y)
        let validationPredicted = xValidation.map { predict($0) }
        let validation = validationPredicted.map { LinearRegression.metrics(predicted: $0, actual: yValidation!, group: group) }
        let exactTrain = LinearRegression.metrics(predicted: exact.predict(xTrain), actual: yTrain, group: group)
        return FitSummary(
            source: input.source, features: input.featureNames, targets: input.targets, encoding: input.encoding,
            losses: losses, model: fitted, network: network, exact: exact, train: train, validation: validation, exactTrain: exactTrain,
            seconds: (ContinuousClock.now - started).seconds,
            trainPairs: FitSummary.pairs(actual: yTrain, predicted: predicted),
            validationPairs: validationPredicted.map { FitSummary.pairs(actual: yValidation!, predicted: $0) })
    }

    func fitClassification(_ input: FitInput, _ labels: ClassLabels, group: ProcessGroup, started: ContinuousClock.Instant) throws -> FitOutcome {
        let quiet = self.quiet || !group.isMain
        let resume = try resumed(quiet: quiet)
        let checkpointing = checkpointing(input, quiet: quiet)
        let (xTrain, yTrain) = (input.train(input.x), input.train(labels.indices))
        let classes = labels.classes
        var fitted: LogisticRegression?, network: MultilayerPerceptron?
        let losses: [Double]
        if model == .mlp {
            (network, losses) = try withProgress(group) { onEpoch in
                try MultilayerPerceptron.fit(x: xTrain, y: yTrain, task: .classification(classes.count), hidden: hiddenSizes!,
                                             activation: activation, dropout: dropout, options: trainingOptions, group: group,
                                             checkpointing: checkpointing, resume: resume, onEpoch: onEpoch)
            }
        } else {
            (fitted, losses) = try withProgress(group) { onEpoch in
                try LogisticRegression.fit(x: xTrain, labels: yTrain, classes: classes, l2: l2, options: trainingOptions,
                                           group: group, checkpointing: checkpointing, resume: resume, onEpoch: onEpoch)
            }
        }
        let probabilities = { (x: Tensor) in
            network.map { LogisticRegression.probabilities(logits: $0.predict(x)) } ?? fitted!.probabilities(x)
        }
        let exact = Result { try LogisticRegression.fitExact(x: xTrain, labels: yTrain, classes: classes, l2: l2,
                                                             standardize: standardize, group: group) }
            .mapError { $0 as! LogisticRegression.ExactFitError }
        let trainProbabilities = probabilities(xTrain)
        let train = ClassificationMetrics(probabilities: trainProbabilities, labels: yTrain, classes: classes, group: group)
        let xValidation = input.validation(input.x), yValidation = input.validation(labels.indices)
        let validationProbabilities = xValidation.map { probabilities($0) }
        let validation = validationProbabilities.map { ClassificationMetrics(probabilities: $0, labels: yValidation!, classes: classes, group: group) }
        let exactTrain = (try? exact.get()).map {
            ClassificationMetrics(probabilities: $0.model.probabilities(xTrain), labels: yTrain, classes: classes, group: group)
        }
        let (rocProbabilities, rocLabels) = validationProbabilities.map { ($0, yValidation!) } ?? (trainProbabilities, yTrain)
        return ClassificationSummary(
            source: input.source, features: input.featureNames, target: input.targets[0], encoding: input.encoding,
            losses: losses, classes: classes, model: fitted, network: network, exact: exact, l2: l2, train: train, validation: validation, exactTrain: exactTrain,
            seconds: (ContinuousClock.now - started).seconds,
            rocCurves: ClassificationSummary.rocCurves(probabilities: rocProbabilities, labels: rocLabels, classes: classes))
    }

    /// The end of every run: check that the processes agree, print the results, and write the
    /// model, the report and the charts asked for.
    func finish(_ outcome: FitOutcome, _ input: FitInput, group: ProcessGroup, started: ContinuousClock.Instant) throws {
        let world = group.worldSize
        // Every rank should hold the same parameters; check it rather than assume it.
        var agreement: String?
        if world > 1 {
            let mine = Tensor(shape: [outcome.parameters.count], scalars: outcome.parameters, dtype: .float64)
            let highest = mine.clone(), lowest = mine.clone()
            group.allReduce(highest, op: .max)
            group.allReduce(lowest, op: .min)
            agreement = highest.scalars(as: Double.self) == lowest.scalars(as: Double.self)
                ? "Parameters identical on all \(world) processes."
                : "Warning: the processes ended with different parameters."
        }
        guard group.isMain else { return }
        print(outcome.text)
        if let agreement { print(agreement) }
        do {
            if let output { try outcome.writeModel(to: URL(fileURLWithPath: output)) }
            if let report {
                let settings = reportSettings(input)
                if report.lowercased().hasSuffix(".html") || report.lowercased().hasSuffix(".htm") {
                    let html = FitReport.html(title: "descent fit: \(input.targets.joined(separator: ", ")) from \(input.source)",
                                              settings: settings, sections: outcome.sections, charts: outcome.charts)
                    try AtomicFile.write(Data(html.utf8), to: URL(fileURLWithPath: report))
                } else {
                    try AtomicFile.write(reportJSON(outcome, input, started: started), to: URL(fileURLWithPath: report))
                }
            }
            if let plot {
                let folder = try OutputPaths.folder("--plot", plot)
                for chart in outcome.charts { try AtomicFile.write(Data(chart.svg.utf8), to: folder.appendingPathComponent(chart.file)) }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }

    func reportSettings(_ input: FitInput) -> [(String, String)] {
        var rows: [(String, String)] = [
            ("data", input.source), ("task", task.rawValue), ("target", input.targets.joined(separator: ", ")),
            ("features", input.featureNames.joined(separator: ", ")),
            ("rows", "\(input.totalRows - input.validationTotal) training, \(input.validationTotal) validation"),
            ("optimizer", optimizer.rawValue), ("learning rate", "\(lr)"), ("epochs", "\(epochs)"),
            ("batch size", batchSize.map(String.init) ?? "all rows"), ("standardized", standardize ? "yes" : "no"), ("seed", "\(seed)"),
        ]
        if task == .classification { rows.append(("l2", "\(l2)")) }
        if model == .mlp {
            rows.append(("model", "network: \(hidden ?? "64") hidden, \(activation.rawValue)\(dropout > 0 ? ", dropout \(dropout)" : "")"))
        }
        if let impute { rows.append(("missing numbers", "filled with the training rows' \(impute.rawValue)")) }
        if input.droppedRows > 0 { rows.append(("rows skipped (missing values)", "\(input.droppedRows)")) }
        return rows
    }

    func reportJSON(_ outcome: FitOutcome, _ input: FitInput, started: ContinuousClock.Instant) -> Data {
        var report = outcome.json
        report["source"] = input.source
        report["features"] = input.featureNames
        report["targets"] = input.targets
        report["settings"] = ["epochs": epochs, "lr": lr, "optimizer": optimizer.rawValue, "task": task.rawValue,
                              "batch_size": batchSize as Any? ?? NSNull(), "standardize": standardize, "seed": seed,
                              "l2": l2, "val_fraction": valFraction, "model": model.rawValue, "hidden": hiddenSizes ?? [],
                              "activation": activation.rawValue, "dropout": dropout] as [String: Any]
        if let summary = outcome as? FitSummary {
            report["final_loss"] = summary.losses.last ?? NSNull()
            report["losses"] = summary.losses
        } else if let summary = outcome as? ClassificationSummary {
            report["final_loss"] = summary.losses.last ?? NSNull()
            report["losses"] = summary.losses
        }
        report["wall_time_seconds"] = (ContinuousClock.now - started).seconds
        return (try? JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}

/// What `descent fit` trains.
enum FitModel: String, CaseIterable, ExpressibleByArgument {
    /// A linear model, with its exact solution.
    case linear
    /// A small network, with the linear model's exact solution as its baseline.
    case mlp
}

extension MultilayerPerceptron.Activation: ExpressibleByArgument {}

/// What `descent fit` predicts.
enum FitTask: String, CaseIterable, ExpressibleByArgument {
    /// Numbers: the mean squared error.
    case regression
    /// Classes: the log-loss.
    case classification
}

extension FeatureEncoding.Impute: ExpressibleByArgument {}
extension FeatureEncoding.Unknown: ExpressibleByArgument {}

/// An error the tool prints as `error: ...` before exiting with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension LinearRegression.Options.Method: ExpressibleByArgument {}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
