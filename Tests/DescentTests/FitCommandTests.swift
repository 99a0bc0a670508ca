import Foundation
import Testing

/// `descent fit`, end to end through the built executable.
struct FitCommandTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("descent-fit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// y = 2 a - 3 b + 5 exactly, on a well-conditioned grid.
    static func exactCSV(in dir: URL) throws -> URL {
        var text = "a,b,y\n"
        for i in 0..<50 {
            let a = Double(i % 10) - 4.5, b = Double(i / 10) * 1.5 - 3
            text += "\(a),\(b),\(2 * a - 3 * b + 5)\n"
        }
        let url = dir.appendingPathComponent("exact.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func adamWithStandardizationMatchesTheExactSolution() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try Self.exactCSV(in: dir)
        let report = dir.appendingPathComponent("report.json"), model = dir.appendingPathComponent("model.safetensors")
        let plots = dir.appendingPathComponent("plots")
        let out = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--standardize", "--optimizer", "adam",
                                             "--lr", "0.01", "--epochs", "3000", "--report", report.path,
                                             "--output", model.path, "--plot", plots.path, "--quiet"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("gradient descent has converged"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["converged"] as? Bool == true)
        let gd = try #require((json["gradient_descent"] as? [String: Any])?["y"] as? [String: Any])
        let weights = try #require(gd["weights"] as? [String: Double])
        #expect(Swift.abs(weights["a"]! - 2) < 2e-3 && Swift.abs(weights["b"]! + 3) < 3e-3)
        #expect(Swift.abs((gd["bias"] as! Double) - 5) < 5e-3)
        #expect(FileManager.default.fileExists(atPath: model.path))
        let svg = try String(contentsOf: plots.appendingPathComponent("loss.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(FileManager.default.fileExists(atPath: plots.appendingPathComponent("predicted-y.svg").path))
    }

    @Test(arguments: [
        (["fit", "/nonexistent/data.csv"], "could not be read"),
        (["fit", "BAD", "--target", "y"], "line 3, column \"b\": \"oops\" is not a number"),
        (["fit", "EXACT", "--target", "z"], "no column named \"z\""),
        (["fit", "EXACT", "--target", "y", "--lr=-1"], "--lr must be a positive number"),
        (["fit", "EXACT", "--target", "y", "--lr", "10", "--epochs", "200"], "smaller learning rate"),
        (["fit", "--epochs", "banana"], "banana"),
        (["fit", "EXACT", "--target", "y", "--hidden", "8"], "--hidden and --dropout apply to --model mlp"),
        (["fit", "EXACT", "--target", "y", "--model", "mlp", "--hidden", "8,x"], "--hidden must be positive whole numbers"),
        (["fit", "EXACT", "--target", "y", "--l2", "0.1"], "--l2 applies to --task classification"),
    ] as [([String], String)])
    func badInputExitsNonZeroAndWritesNothing(_ arguments: [String], _ expected: String) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exact = try Self.exactCSV(in: dir)
        let bad = dir.appendingPathComponent("bad.csv")
        try "a,b,y\n1,2,3\n4,oops,6\n".write(to: bad, atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("model.safetensors"), report = dir.appendingPathComponent("r.json")
        let args = arguments.map { $0 == "EXACT" ? exact.path : $0 == "BAD" ? bad.path : $0 } + ["--output", output.path, "--report", report.path]
        let out = try DescentExecutable.run(args)
        #expect(out.status != 0)
        #expect(out.stderr.contains(expected), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(!FileManager.default.fileExists(atPath: report.path))
    }

    @Test func helpShowsOptionsAndAnExample() throws {
        let out = try DescentExecutable.run(["fit", "--help"])
        #expect(out.status == 0)
        for option in ["--target", "--features", "--epochs", "--lr", "--optimizer", "--batch-size", "--standardize",
                       "--val-fraction", "--seed", "--output", "--report", "--plot", "--quiet", "Examples:"] {
            #expect(out.stdout.contains(option), "help lacks \(option)")
        }
    }
}

/// `descent predict` and `descent inspect`.
struct PredictInspectTests {
    @Test func fitThenPredictThenInspect() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try FitCommandTests.exactCSV(in: dir)
        let model = dir.appendingPathComponent("m.safetensors")
        let fit = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--standardize", "--optimizer", "adam",
                                             "--lr", "0.01", "--epochs", "3000", "--output", model.path, "--quiet"])
        #expect(fit.status == 0)
        let newRows = dir.appendingPathComponent("new.csv")
        try "b,extra,a\n1,9,2\n0,9,0\n".write(to: newRows, atomically: true, encoding: .utf8)
        let preds = dir.appendingPathComponent("p.csv")
        let out = try DescentExecutable.run(["predict", model.path, newRows.path, "--output", preds.path])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = try String(contentsOf: preds, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "y")
        let values = lines.dropFirst().map { Double($0)! }
        // y = 2a - 3b + 5: (a=2, b=1) -> 6, (0, 0) -> 5
        #expect(Swift.abs(values[0] - 6) < 1e-2 && Swift.abs(values[1] - 5) < 1e-2)

        let missing = dir.appendingPathComponent("missing.csv")
        try "a,c\n1,2\n".write(to: missing, atomically: true, encoding: .utf8)
        let bad = try DescentExecutable.run(["predict", model.path, missing.path])
        #expect(bad.status != 0 && bad.stderr.contains("missing feature column(s) \"b\""))

        let inspect = try DescentExecutable.run(["inspect", model.path])
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("weight  F32  [1, 2]"))
        #expect(inspect.stdout.contains(#"metadata features = ["a","b"]"#))
        let broken = dir.appendingPathComponent("broken.safetensors")
        try Data([1, 2, 3]).write(to: broken)
        let failed = try DescentExecutable.run(["inspect", broken.path])
        #expect(failed.status != 0 && failed.stderr.contains("too short"))
    }
}
