import Foundation
import Testing
@testable import Descent

/// Generated programs (`Scripts/difftest.py`) replayed on Descent: every value, gradient,
/// dtype, shape, `grad_fn` name and leaf flag equals what PyTorch ended with, bit for bit, and
/// a program PyTorch refused stops here with PyTorch's message.
///
/// `DESCENT_DIFFERENTIAL=/path/to/programs.json` replays another generated file instead of the
/// committed corpus.
struct DifferentialTests {
    static let programs: [DifferentialProgram] = {
        if let path = ProcessInfo.processInfo.environment["DESCENT_DIFFERENTIAL"],
           let data = FileManager.default.contents(atPath: path) {
            return (try? JSONDecoder().decode(DifferentialFile.self, from: data).programs) ?? []
        }
        return (try? Fixtures.load("differential", as: DifferentialFile.self).programs) ?? []
    }()

    /// What Descent keeps different on purpose, by PyTorch's message or statement (README,
    /// "What to expect"); a program that meets one is not compared past it.
    static func isKnownDifference(_ program: DifferentialProgram) -> Bool {
        false
    }

    @Test func theCorpusIsThere() {
        #expect(Self.programs.count >= 300)
    }

    @Test func everyProgramEndsAsInPyTorch() {
        var failures: [String] = []
        let trace = ProcessInfo.processInfo.environment["DESCENT_DIFFERENTIAL_TRACE"] != nil
        let skip = Set((ProcessInfo.processInfo.environment["DESCENT_DIFFERENTIAL_SKIP"] ?? "").split(separator: ",").compactMap { Int($0) })
        for p in Self.programs where !Self.isKnownDifference(p) && !skip.contains(p.id) {
            // A program that stops Descent where PyTorch ran on ends the whole test process;
            // the trace names it.
            if trace { FileHandle.standardError.write(Data("program \(p.id)\n".utf8)) }
            var runner = DifferentialRunner(p)
            runner.run()
            let diffs = runner.differences()
            if !diffs.isEmpty { failures.append("program \(p.id): " + diffs.prefix(4).joined(separator: "; ")) }
        }
        let report = "\(failures.count) of \(Self.programs.count) programs differ:\n" + failures.prefix(60).joined(separator: "\n")
        #expect(failures.isEmpty, Comment(rawValue: report))
    }

    static var refused: [Int] { programs.filter { $0.errorIndex != nil && !isKnownDifference($0) }.map(\.id) }

    // One process at a time: exit tests all start at once otherwise, and under the address
    // sanitizer seventy processes of ~360 MB each exhausted the machine's memory.
    @Test(.serialized, arguments: refused)
    func refusedProgramsStopWithPyTorchsMessage(_ id: Int) async throws {
        let p = try #require(Self.programs.first { $0.id == id })
        let expected = try #require(p.error?["message"]?.string)
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [id] in
            let p = DifferentialTests.programs.first { $0.id == id }!
            var runner = DifferentialRunner(p)
            runner.run(upTo: p.program.count)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(expected), "program \(id): PyTorch said \(expected); Descent: \(stderr.suffix(400))")
    }
}

/// The disagreements issue 15 lists, each a named program with PyTorch's end state
/// (`Scripts/difftest.py named`), replayed as the generated ones are.
struct CorrectnessTests {
    static let programs: [DifferentialProgram] = (try? Fixtures.load("correctness", as: DifferentialFile.self).programs) ?? []
    static var names: [String] { programs.compactMap(\.name) }
    static var refused: [String] { programs.filter { $0.errorIndex != nil }.compactMap(\.name) }

    @Test func everyCaseIsThere() {
        #expect(Self.programs.count >= 20)
    }

    @Test(arguments: names)
    func endsAsInPyTorch(_ name: String) throws {
        let p = try #require(Self.programs.first { $0.name == name })
        var runner = DifferentialRunner(p)
        runner.run()
        let diffs = runner.differences()
        #expect(diffs.isEmpty, Comment(rawValue: "\(name): " + diffs.joined(separator: "; ")))
    }

    @Test(.serialized, arguments: refused)
    func stopsWithPyTorchsMessage(_ name: String) async throws {
        let p = try #require(Self.programs.first { $0.name == name })
        let expected = try #require(p.error?["message"]?.string)
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name] in
            let p = CorrectnessTests.programs.first { $0.name == name }!
            var runner = DifferentialRunner(p)
            runner.run(upTo: p.program.count)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(expected), "\(name): PyTorch said \(expected); Descent: \(stderr.suffix(400))")
    }
}
