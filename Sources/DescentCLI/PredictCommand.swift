import ArgumentParser
import Descent
import DescentData
import DescentNN
import Foundation

/// `descent predict`: apply a model written by `descent fit` to new rows.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict targets for the rows of a CSV file with a model written by `descent fit`.",
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

    @Option(help: "Write the predictions as CSV to this path (default: print them).")
    var output: String?

    @Flag(help: "Replace an existing output file even when it is not a CSV file.")
    var force = false

    func run() throws {
        var paths = OutputPaths()
        paths.input("the model file", model)
        paths.input("the CSV file", data)
        paths.output("--output", output, .csv)
        try paths.check(force: force)
        let saved: LinearRegression.SavedModel
        do {
            saved = try LinearRegression.SavedModel.read(from: URL(fileURLWithPath: model))
        } catch {
            throw CLIError("\(error)")
        }
        let features = saved.features
        let table: CSVTable
        do {
            table = try CSV.read(from: URL(fileURLWithPath: data))
        } catch {
            throw CLIError("\(error)")
        }
        let missing = features.filter { !table.columns.contains($0) }
        guard missing.isEmpty else {
            throw CLIError("\(data): missing feature column(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) that the model needs")
        }
        let x = try table.tensor(columns: features)
        let predictions = saved.model.predict(x).rows(as: Double.self)
        var csv = saved.targets.map(csvField).joined(separator: ",") + "\n"
        for row in predictions { csv += row.map { "\($0)" }.joined(separator: ",") + "\n" }
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
