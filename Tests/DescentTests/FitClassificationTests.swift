import Foundation
import Testing

/// `descent fit --task classification`, text and missing columns, and the HTML report, end to
/// end through the built executable.
struct FitClassificationTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Fixtures/fit"))
    }

    @Test func irisTrainsPredictsAndReports() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("iris.safetensors"), json = dir.appendingPathComponent("r.json")
        let html = dir.appendingPathComponent("r.html"), plots = dir.appendingPathComponent("plots")
        let args = ["fit", try Self.fixture("iris").path, "--target", "label", "--task", "classification", "--standardize",
                    "--optimizer", "adam", "--lr", "0.05", "--epochs", "400", "--l2", "0.001", "--val-fraction", "0.2"]
        let out = try DescentExecutable.run(args + ["--output", model.path, "--report", json.path, "--plot", plots.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("Confusion matrix (validation rows"))
        #expect(out.stdout.contains("Exact optimum by Newton's method"))
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        #expect(report["classes"] as? [String] == ["setosa", "versicolor", "virginica"])
        let metrics = try #require(report["metrics"] as? [String: Any])
        let validation = try #require(metrics["validation"] as? [String: Any])
        #expect((validation["accuracy"] as? Double ?? 0) > 0.9)
        for chart in ["loss.svg", "confusion.svg", "roc.svg"] {
            #expect(FileManager.default.fileExists(atPath: plots.appendingPathComponent(chart).path), "\(chart)")
        }
        let page = try DescentExecutable.run(args + ["--report", html.path, "--quiet"])
        #expect(page.status == 0, "\(page.stderr)")
        let text = try String(contentsOf: html, encoding: .utf8)
        #expect(text.hasPrefix("<!DOCTYPE html>") && text.contains("<svg"))
        #expect(!text.contains("<script") && !text.contains("<link"), "the report must not load anything")

        let predictions = dir.appendingPathComponent("p.csv")
        let predicted = try DescentExecutable.run(["predict", model.path, try Self.fixture("iris").path, "--output", predictions.path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let lines = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "label,p_setosa,p_versicolor,p_virginica")
        #expect(lines.count == 151)
        let correct = zip(lines.dropFirst(), try String(contentsOf: Self.fixture("iris"), encoding: .utf8).split(separator: "\n").dropFirst())
            .filter { $0.0.split(separator: ",")[0] == $0.1.split(separator: ",").last! }.count
        #expect(correct >= 140)
    }

    @Test func theReportLoadsInAHeadlessBrowserWithItsCharts() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else {
            print("skipped: no Chromium at /usr/bin/chromium (Debian: apt-get install chromium)")
            return
        }
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ page: URL) throws -> (dom: String, console: [Substring]) {
            let out = try DescentExecutable.runProgram(URL(fileURLWithPath: chromium), [
                "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--dump-dom", page.absoluteString,
            ])
            return (out.stdout, out.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") })
        }
        // The check can fail: a page with a script error is caught.
        let broken = dir.appendingPathComponent("broken.html")
        try "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>".write(to: broken, atomically: true, encoding: .utf8)
        #expect(try !load(broken).console.isEmpty)

        for (name, args) in [
            ("classification.html", ["fit", try Self.fixture("iris").path, "--target", "label", "--task", "classification",
                                     "--standardize", "--optimizer", "adam", "--lr", "0.05", "--epochs", "200", "--val-fraction", "0.2"]),
            ("regression.html", ["fit", try FitCommandTests.exactCSV(in: dir).path, "--target", "y", "--standardize",
                                 "--optimizer", "adam", "--lr", "0.01", "--epochs", "300", "--val-fraction", "0.2"]),
        ] {
            let page = dir.appendingPathComponent(name)
            let out = try DescentExecutable.run(args + ["--report", page.path, "--quiet"])
            #expect(out.status == 0, "\(out.stderr)")
            let (dom, console) = try load(page)
            #expect(console.isEmpty, "\(name): \(console)")
            #expect(dom.contains("<h2>Charts</h2>") && dom.contains("<h2>Metrics</h2>"), "\(name)")
            let charts = dom.components(separatedBy: "<svg").count - 1
            #expect(charts >= 3, "\(name): \(charts) charts")
            #expect(dom.contains("id=\"loss.svg\""))
        }
    }

    @Test func textColumnsAreOneHotEncodedAndMissingNumbersFilled() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // y = 3 size + 10 [colour = red] - 4 [colour = blue] + 1, with gaps in size.
        var text = "size,colour,y\n"
        let colours = ["red", "green", "blue"]
        for i in 0..<60 {
            let size = Double(i % 7), colour = colours[i % 3]
            let y = 3 * size + (colour == "red" ? 10 : colour == "blue" ? -4 : 0) + 1
            text += (i % 10 == 9 ? "" : "\(size)") + ",\(colour),\(y)\n"
        }
        let csv = dir.appendingPathComponent("t.csv"), model = dir.appendingPathComponent("m.safetensors")
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let refused = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--output", model.path])
        #expect(refused.status == 1 && refused.stderr.contains("column \"size\": row 10 is missing a value; use --impute"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model.path))
        let out = try DescentExecutable.run(["fit", csv.path, "--target", "y", "--impute", "median", "--epochs", "10", "--output", model.path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("from size, colour=blue, colour=green, colour=red"), "\(out.stdout)")
        let inspect = try DescentExecutable.run(["inspect", model.path])
        #expect(inspect.stdout.contains("metadata encoding = "), "\(inspect.stdout)")
        #expect(inspect.stdout.contains(#""categories":["blue","green","red"]"#), "\(inspect.stdout)")

        let newRows = dir.appendingPathComponent("new.csv")
        try "colour,size\nred,2\npurple,1\n,3\n".write(to: newRows, atomically: true, encoding: .utf8)
        let unseen = try DescentExecutable.run(["predict", model.path, newRows.path])
        #expect(unseen.status == 1 && unseen.stderr.contains("row 2 has \"purple\", a category not seen in training"), "\(unseen.stderr)")
        try "colour,size\nred,2\npurple,1\nblue,\n".write(to: newRows, atomically: true, encoding: .utf8)
        let ignored = try DescentExecutable.run(["predict", model.path, newRows.path, "--unknown", "ignore"])
        #expect(ignored.status == 0, "\(ignored.stderr)")
        #expect(ignored.stdout.split(separator: "\n").count == 4)
    }

    @Test(arguments: [
        ("a,b,label\n1,2,x\n2,3,x\n3,4,x\n", ["--task", "classification"], "every row has the same label (\"x\")"),
        ("a,b,label\n1,2,x\n2,3,y\n3,4,x\n4,5,y\n5,6,z\n6,7,x\n7,8,y\n8,9,x\n", ["--task", "classification", "--val-fraction", "0.25"],
         "class \"z\" has 1 row(s), too few to split"),
        ("a,b,label\n1,2,cat\n2,3,dog\n3,4,cat\n", [], "the target holds text: for classes use --task classification"),
        ("a,b,y\n,2,1\n,3,2\n,4,3\n", ["--impute", "mean"], "column \"a\": every value is missing"),
        ("a,b,label\n1,2,x\n2,3,y\n", ["--task", "classification", "--target", "label,b"], "takes one target column"),
    ] as [(String, [String], String)])
    func badTablesGetAMessageAndNoFiles(_ csv: String, _ options: [String], _ expected: String) throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("d.csv"), model = dir.appendingPathComponent("m.safetensors")
        let report = dir.appendingPathComponent("r.html"), plots = dir.appendingPathComponent("plots")
        try csv.write(to: data, atomically: true, encoding: .utf8)
        let target = options.contains("--target") ? [] : ["--target", csv.split(separator: "\n")[0].split(separator: ",").last.map(String.init)!]
        let out = try DescentExecutable.run(["fit", data.path] + target + options + ["--output", model.path, "--report", report.path, "--plot", plots.path])
        #expect(out.status == 1, "\(out.stdout)")
        #expect(out.stderr.contains(expected), "\(out.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["d.csv"])
    }
}

/// `descent fit --model mlp`: small networks for both tasks, beside the exact linear baseline.
struct FitNetworkTests {
    @Test func networksTrainPredictAndResumeBitForBit() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let diabetes = try FitClassificationTests.fixture("diabetes").path, iris = try FitClassificationTests.fixture("iris").path
        let model = dir.appendingPathComponent("net.safetensors")
        let regression = try DescentExecutable.run(["fit", diabetes, "--target", "progression", "--model", "mlp", "--hidden", "16,8",
                                                    "--standardize", "--optimizer", "adam", "--lr", "0.01", "--epochs", "200",
                                                    "--output", model.path])
        #expect(regression.status == 0, "\(regression.stderr)")
        #expect(regression.stdout.contains("progression network, train") && regression.stdout.contains("progression linear exact, train"))
        let predicted = try DescentExecutable.run(["predict", model.path, diabetes])
        #expect(predicted.status == 0 && predicted.stdout.split(separator: "\n").count == 443, "\(predicted.stderr)")

        // Dropout draws from the run's generator, which checkpoints keep: a resumed run ends
        // with the same network as one that never stopped.
        let args = ["fit", iris, "--target", "label", "--task", "classification", "--model", "mlp", "--hidden", "8",
                    "--activation", "tanh", "--dropout", "0.2", "--standardize", "--optimizer", "adam", "--lr", "0.02",
                    "--batch-size", "32", "--quiet"]
        let whole = dir.appendingPathComponent("whole.safetensors"), resumed = dir.appendingPathComponent("resumed.safetensors")
        let checkpoint = dir.appendingPathComponent("c.safetensors")
        #expect(try DescentExecutable.run(args + ["--epochs", "30", "--output", whole.path]).status == 0)
        let first = try DescentExecutable.run(args + ["--epochs", "12", "--checkpoint-every", "6", "--checkpoint", checkpoint.path])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try DescentExecutable.run(args + ["--epochs", "30", "--resume", checkpoint.path, "--output", resumed.path])
        #expect(second.status == 0, "\(second.stderr)")
        let a = try DescentExecutable.run(["predict", whole.path, iris]), b = try DescentExecutable.run(["predict", resumed.path, iris])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout.hasPrefix("label,p_setosa,p_versicolor,p_virginica\n"))
        // A checkpoint of another architecture is refused.
        let other = try DescentExecutable.run(args.map { $0 == "8" ? "9" : $0 } + ["--epochs", "30", "--resume", checkpoint.path])
        #expect(other.status == 1 && other.stderr.contains("cannot resume: the checkpoint was made with hidden = 8, this run has 9"), "\(other.stderr)")
    }
}
