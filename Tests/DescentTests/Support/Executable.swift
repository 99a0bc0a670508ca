import Foundation

/// Runs the built `descent` executable, as a user would from the shell.
enum DescentExecutable {
    /// The `descent` binary that `swift build` put beside the test bundle.
    static var url: URL? {
        var candidates: [URL] = []
        for start in [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL] {
            var dir = start
            for _ in 0..<5 {
                dir = dir.deletingLastPathComponent()
                candidates.append(dir.appendingPathComponent("descent"))
            }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        guard let url else { throw CocoaError(.fileNoSuchFile) }
        return try runProgram(url, arguments, environment: environment)
    }

    /// Runs any program to its end. Output goes through files, so a program that fills one
    /// stream while the other is unread cannot deadlock.
    static func runProgram(_ url: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = try start(url, arguments, environment: environment)
        process.waitUntilExit()
        return process.output()
    }

    /// A program started in the background, with its output collected in files.
    final class Running {
        let process: Process
        let out: URL, err: URL
        init(process: Process, out: URL, err: URL) {
            self.process = process
            self.out = out
            self.err = err
        }
        func waitUntilExit() { process.waitUntilExit() }
        func output() -> Output {
            defer {
                try? FileManager.default.removeItem(at: out)
                try? FileManager.default.removeItem(at: err)
            }
            // Through a FileHandle: Foundation's `Data(contentsOf:)` and `String(contentsOf:)`
            // leak a read buffer here (LeakSanitizer reports it under --sanitize=address).
            func text(_ url: URL) -> String {
                guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
                defer { try? handle.close() }
                return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
            }
            return Output(status: process.terminationStatus, stdout: text(out), stderr: text(err))
        }
    }

    static func start(_ url: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("descent-run-\(UUID().uuidString)")
        let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    /// A program on the PATH, if there is one.
    static func onPath(_ name: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
