import ArgumentParser
import Descent
import DescentData
import DescentNN
import Foundation

/// `descent predict`: apply a model written by `descent fit` to new rows.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict targets or classes for the rows of a CSV file with a model written by `descent fit`.",
        discussion: """
            Feature columns are matched by name; the file may have other columns too.

            Example:
              descent predict model.safetensors new.csv --output predictions.csv
            """
    )

    @Argument(help: "A model file written by `descent fit --output`.")
    var model: String

    @Argument(help: "A CSV file with the model's feature columns.")
    var data: String

    @Option(help: "Write the predictions as CSV to this path (default: print them): the target(s), or for a classifier the class and one probability column per class.")
    var output: String?

    @Flag(help: "Replace an existing output file even when it is not a CSV file.")
    var force = false

    @Option(help: "A category a text column did not have in training: error (stop, naming the row) or ignore (encode it as none of the known ones).")
    var unknown: FeatureEncoding.Unknown = .error

    func run() throws {
        var paths = OutputPaths()
        paths.input("the model file", model)
        paths.input("the CSV file", data)
        paths.output("--output", output, .csv)
        try paths.check(force: force)
        let file: Safetensors.File
        do {
            file = try Safetensors.read(from: URL(fileURLWithPath: model))
        } catch {
            throw CLIError("\(error)")
        }
        let csv: String
        do {
            if MultilayerPerceptron.SavedModel.isNetwork(file) {
                let saved = try MultilayerPerceptron.SavedModel.decode(file, path: model)
                let outputs = saved.model.predict(try features(saved.features, saved.encoding))
                if let classes = saved.classes {
                    csv = Self.classes(LogisticRegression.probabilities(logits: outputs), classes, target: saved.targets[0])
                } else {
                    csv = Self.values(outputs, saved.targets)
                }
            } else if LogisticRegression.SavedModel.isClassifier(file) {
                let saved = try LogisticRegression.SavedModel.decode(file, path: model)
                let x = try features(saved.features, saved.encoding)
                csv = Self.classes(saved.model.probabilities(x), saved.model.classes, target: saved.target)
            } else {
                let saved = try LinearRegression.SavedModel.decode(file, path: model)
                csv = Self.values(saved.model.predict(try features(saved.features, saved.encoding)), saved.targets)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
        if let output {
            do {
                try AtomicFile.write(Data(csv.utf8), to: URL(fileURLWithPath: output))
            } catch {
                throw CLIError("\(error)")
            }
        } else {
            print(csv, terminator: "")
        }
    }

    /// Predicted targets as CSV: a header of target names, a row of values per input row.
    static func values(_ predictions: Tensor, _ targets: [String]) -> String {
        var text = targets.map(csvField).joined(separator: ",") + "\n"
        for row in predictions.rows(as: Double.self) { text += row.map { "\($0)" }.joined(separator: ",") + "\n" }
        return text
    }

    /// Predicted classes as CSV: the most probable class, then each class's probability.
    static func classes(_ probabilities: Tensor, _ classes: [String], target: String) -> String {
        var text = ([target] + classes.map { "p_\($0)" }).map(csvField).joined(separator: ",") + "\n"
        for row in probabilities.rows(as: Double.self) {
            let best = row.indices.max { row[$0] < row[$1] }!
            text += ([csvField(classes[best])] + row.map { "\($0)" }).joined(separator: ",") + "\n"
        }
        return text
    }

    /// The model's features from the CSV file: encoded as in training when the model stores
    /// an encoding, otherwise the named numeric columns.
    func features(_ names: [String], _ encoding: FeatureEncoding?) throws -> Tensor {
        // Text and gaps in columns the model does not read are no concern of its.
        let table = try CSV.read(from: URL(fileURLWithPath: data), keepMissing: true, keepText: true)
        let encoding = encoding ?? FeatureEncoding(columns: names.map { FeatureEncoding.Column(name: $0) })
        let missing = encoding.columns.map(\.name).filter { !table.columns.contains($0) }
        guard missing.isEmpty else {
            throw CLIError("\(data): missing feature column(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) that the model needs")
        }
        return try encoding.encode(table, unknown: unknown)
    }
}

/// A CSV field, quoted when the text would otherwise split or break the row.
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `descent inspect`: what a tensor file holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors in a .safetensors, .npy or .npz file: names, dtypes, shapes and metadata.",
        discussion: """
            Example:
              descent inspect model.safetensors
            """
    )

    @Argument(help: "A .safetensors, .npy or .npz file.")
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        do {
            switch url.pathExtension.lowercased() {
            case "npy":
                let t = try NumPy.read(from: url)
                print("\(url.lastPathComponent): \(t.dtype) \(t.shape)")
            case "npz":
                for (name, t) in try NumPy.readArchive(from: url).sorted(by: { $0.key < $1.key }) {
                    print("\(name)  \(t.dtype)  \(t.shape)")
                }
            default:
                let f = try Safetensors.read(from: url)
                for name in f.names {
                    let t = f.tensors[name]!
                    print("\(name)  \(f.storedDTypes[name] ?? "?")  \(t.shape)")
                }
                for (key, value) in f.metadata.sorted(by: { $0.key < $1.key }) { print("metadata \(key) = \(value)") }
            }
        } catch {
            throw CLIError("\(error)")
        }
    }
}
