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
