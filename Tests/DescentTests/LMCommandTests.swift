import Foundation
import Testing
import Descent
import DescentData

/// `descent lm`, end to end through the built executable: a tiny model, so it runs in seconds
/// in a debug build.
struct LMCommandTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("descent-lm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func text(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("text.txt")
        let line = "the quick brown fox jumps over the lazy dog.\nTHE QUICK BROWN FOX, again!\n"
        try String(repeating: line, count: 12).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static let tiny = ["--layers", "1", "--heads", "2", "--width", "16", "--context", "16", "--batch", "4", "--eval-every", "5",
                       "--eval-batches", "2", "--warmup", "2", "--quiet"]

    @Test func trainsSamplesAndWritesNanoGPTNames() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.text(in: dir), model = dir.appendingPathComponent("m.safetensors"), plots = dir.appendingPathComponent("plots")
        let out = try DescentExecutable.run(["lm", "train", text.path, "--steps", "10", "--output", model.path, "--plot", plots.path] + Self.tiny)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("step 10: train loss"))
        let file = try Safetensors.read(from: model)
        #expect(file.tensors["transformer.wte.weight"] != nil && file.tensors["lm_head.weight"] != nil)
        #expect(file.tensors["transformer.h.0.attn.c_attn.weight"]?.shape == [48, 16])
        #expect(file.metadata["config"]?.contains("\"n_embd\": 16") == true)
        let vocabulary = try JSONDecoder().decode([String].self, from: Data(try #require(file.metadata["vocabulary"]).utf8))
        #expect(vocabulary.first == "\n" && vocabulary.contains("Q"))
        #expect(FileManager.default.fileExists(atPath: plots.appendingPathComponent("loss.svg").path))
        let sample = try DescentExecutable.run(["lm", "sample", model.path, "--prompt", "the ", "--tokens", "20", "--seed", "3"])
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.hasPrefix("the ") && sample.stdout.count == 25)
        let again = try DescentExecutable.run(["lm", "sample", model.path, "--prompt", "the ", "--tokens", "20", "--seed", "3"])
        #expect(again.stdout == sample.stdout, "a seed reproduces a sample")
    }

    /// Ten steps in one run, or five, a checkpoint, and five more resumed from it: the same
    /// model, bit for bit (dropout on, so the global generator's state matters too).
    @Test func resumingFromACheckpointIsBitForBit() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.text(in: dir)
        let whole = dir.appendingPathComponent("whole.safetensors"), resumed = dir.appendingPathComponent("resumed.safetensors")
        let options = Self.tiny + ["--dropout", "0.1", "--steps", "10"]
        let first = try DescentExecutable.run(["lm", "train", text.path, "--output", whole.path] + options)
        #expect(first.status == 0, "\(first.stderr)")
        let pattern = dir.appendingPathComponent("ckpt-{step}.safetensors").path
        let checkpointed = try DescentExecutable.run(["lm", "train", text.path, "--output", dir.appendingPathComponent("x.safetensors").path,
                                                      "--checkpoint-every", "5", "--checkpoint", pattern] + options)
        #expect(checkpointed.status == 0, "\(checkpointed.stderr)")
        let five = dir.appendingPathComponent("ckpt-5.safetensors").path
        #expect(FileManager.default.fileExists(atPath: five))
        let second = try DescentExecutable.run(["lm", "train", text.path, "--output", resumed.path, "--resume", five] + options)
        #expect(second.status == 0, "\(second.stderr)")
        let a = try Safetensors.read(from: whole).tensors, b = try Safetensors.read(from: resumed).tensors
        #expect(a.count == b.count)
        for (name, t) in a { #expect(t.scalars(as: Float.self) == b[name]?.scalars(as: Float.self), "\(name) after resuming") }
        let changed = try DescentExecutable.run(["lm", "train", text.path, "--output", resumed.path, "--resume", five, "--lr", "0.01"] + options)
        #expect(changed.status == 1 && changed.stderr.contains("other settings (lr)"), "\(changed.stderr)")
    }

    @Test func badInputGetsAMessageAndNoFile() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.txt"), binary = dir.appendingPathComponent("data.bin")
        try Data().write(to: empty)
        try Data([0x41, 0x00, 0x42, 0xFF]).write(to: binary)
        let output = dir.appendingPathComponent("out.safetensors")
        for (file, message) in [(empty, "the file is empty"), (binary, "not a text file")] {
            let out = try DescentExecutable.run(["lm", "train", file.path, "--output", output.path] + Self.tiny)
            #expect(out.status == 1)
            #expect(out.stderr.contains(message), "\(out.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
        let text = try Self.text(in: dir)
        let short = try DescentExecutable.run(["lm", "train", text.path, "--context", "600", "--output", output.path, "--quiet"])
        #expect(short.status == 1 && short.stderr.contains("too short for --context 600"), "\(short.stderr)")
        let model = dir.appendingPathComponent("m.safetensors")
        #expect(try DescentExecutable.run(["lm", "train", text.path, "--steps", "2", "--output", model.path] + Self.tiny).status == 0)
        let unknown = try DescentExecutable.run(["lm", "sample", model.path, "--prompt", "thé"])
        #expect(unknown.status == 1 && unknown.stderr.contains("\"é\" (at position 3) is not in the model's vocabulary"), "\(unknown.stderr)")
        // A damaged model file: its last bytes cut off.
        let bytes = try Data(contentsOf: model)
        let damaged = dir.appendingPathComponent("damaged.safetensors")
        try bytes.prefix(bytes.count - 100).write(to: damaged)
        let broken = try DescentExecutable.run(["lm", "sample", damaged.path])
        #expect(broken.status == 1 && broken.stderr.contains("damaged.safetensors"), "\(broken.stderr)")
        let notModel = try DescentExecutable.run(["lm", "sample", text.path])
        #expect(notModel.status == 1 && !notModel.stderr.isEmpty)
        let overwrite = try DescentExecutable.run(["lm", "train", text.path, "--output", text.path] + Self.tiny)
        #expect(overwrite.status == 1 && overwrite.stderr.contains("is the text file this run reads"), "\(overwrite.stderr)")
    }

    /// `descent lm train --distributed` under `mpirun`: two processes, their own batches,
    /// averaged gradients, the same weights at the end.
    @Test(.enabled(if: MPITests.mpirun != nil, "mpirun is not installed"))
    func trainsOverMPI() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.text(in: dir), model = dir.appendingPathComponent("m.safetensors")
        let out = try DescentExecutable.runProgram(MPITests.mpirun!, ["--oversubscribe", "-np", "2", DescentExecutable.url!.path, "lm", "train",
                                                                      text.path, "--steps", "6", "--output", model.path, "--distributed"]
                                                   + Self.tiny.filter { $0 != "--quiet" }, environment: MPITests.environment)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("Parameters identical on all 2 processes."), "\(out.stdout)")
        #expect(FileManager.default.fileExists(atPath: model.path))
    }
}
