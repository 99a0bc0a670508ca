import Foundation
import Testing

/// Output paths are checked before any work: a run never replaces its own input, never writes
/// two outputs to one file, and replaces a file of another kind only with `--force`.
struct OutputPathTests {
    /// A folder with `data.csv` (y = 2a - 3b + 5) and a model fitted to it.
    static func setUp() throws -> (dir: URL, csv: URL, model: URL) {
        let dir = try FitCommandTests.folder()
        let csv = try FitCommandTests.exactCSV(in: dir)
        let model = dir.appendingPathComponent("model.safetensors")
        let fit = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--epochs", "5", "--output", model.path, "--quiet"])
        #expect(fit.status == 0, "\(fit.stderr)")
        return (dir, csv, model)
    }

    @Test(arguments: [
        (["fit", "@CSV", "--target", "y", "--output", "@CSV"], "--output @CSV is the CSV file this run reads"),
        (["fit", "@CSV", "--target", "y", "--report", "@CSV"], "--report @CSV is the CSV file this run reads"),
        (["fit", "@CSV", "--target", "y", "--output", "@UP/exact.csv"], "is the CSV file this run reads"),
        (["fit", "@CSV", "--target", "y", "--output", "@DIR/out.x", "--report", "@DIR/out.x"], "--output and --report both name"),
        (["fit", "@CSV", "--target", "y", "--output", "@OTHER"], "exists and is not a safetensors model file"),
        (["fit", "@CSV", "--target", "y", "--report", "@OTHER"], "exists and is not a JSON file"),
        (["fit", "@CSV", "--target", "y", "--plot", "@OTHER"], "--plot @OTHER is a file, not a folder"),
        (["fit", "@CSV", "--target", "y", "--output", "@DIR"], "is a folder; name a file"),
        (["fit", "@MODEL", "--target", "y"], "is not a CSV file: it holds binary data"),
        (["predict", "@MODEL", "@CSV", "--output", "@CSV"], "--output @CSV is the CSV file this run reads"),
        (["predict", "@MODEL", "@CSV", "--output", "@MODEL"], "--output @MODEL is the model file this run reads"),
        (["predict", "@MODEL", "@MODEL"], "is not a CSV file"),
        (["lm", "train", "@CSV", "--output", "@CSV"], "--output @CSV is the text file this run reads"),
    ] as [([String], String)])
    func refusedBeforeAnyWork(_ arguments: [String], _ expected: String) throws {
        let (dir, csv, model) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("notes.txt")
        try "my notes, not a model\n".write(to: other, atomically: true, encoding: .utf8)
        let before = try [csv, model, other].map { try Data(contentsOf: $0) }
        let names = ["@CSV": csv.path, "@MODEL": model.path, "@OTHER": other.path, "@DIR": dir.path,
                     "@UP": dir.path + "/../" + dir.lastPathComponent]
        func substitute(_ s: String) -> String {
            var s = s
            for (k, v) in names.sorted(by: { $0.key.count > $1.key.count }) { s = s.replacingOccurrences(of: k, with: v) }
            return s
        }
        let out = try DescentExecutable.run(arguments.map(substitute))
        #expect(out.status == 1, "\(out.stdout)")
        #expect(out.stderr.contains(substitute(expected)), "\(out.stderr)")
        #expect(!out.stderr.contains("NSCocoaErrorDomain"))
        #expect(try [csv, model, other].map { try Data(contentsOf: $0) } == before, "an input was changed")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.x").path))
    }

    @Test func forceReplacesAFileOfAnotherKindAndAModelIsReplacedWithout() throws {
        let (dir, csv, model) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("notes.txt")
        try "my notes\n".write(to: other, atomically: true, encoding: .utf8)
        let forced = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--epochs", "5", "--output", other.path, "--force", "--quiet"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: other).first != UInt8(ascii: "m"))
        // A model where a model goes is what the option writes: replaced without --force.
        let again = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--epochs", "5", "--output", model.path, "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        // A resumed run goes on writing the checkpoint it resumed from.
        let checkpoint = dir.appendingPathComponent("c.safetensors")
        let first = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--epochs", "4", "--checkpoint-every", "2",
                                               "--checkpoint", checkpoint.path, "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--epochs", "8", "--checkpoint-every", "2",
                                                 "--checkpoint", checkpoint.path, "--resume", checkpoint.path, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }
}
