import Descent
import DescentData
import DescentMPI
import DescentNN
import Foundation
import Testing

/// Data for the distributed and checkpoint tests: `rows` rows of three features and two noisy
/// linear targets, with values of different scales, from a fixed seed.
enum DistributedData {
    static func csv(in dir: URL, rows: Int = 403, name: String = "data.csv") throws -> URL {
        let g = Generator(seed: 11)
        let x = Tensor.randn(rows, 3, dtype: .float64, generator: g) * Tensor([1.0, 10, 0.1], dtype: .float64) + Tensor([5.0, 0, -1], dtype: .float64)
        let noise = Tensor.randn(rows, 2, dtype: .float64, generator: g) * 0.3
        let y = x.matmul(Tensor([[2.0, -0.25, 7], [1, 1, 1]], dtype: .float64).t()) + Tensor([3.0, -2], dtype: .float64) + noise
        var text = "a,b,c,y,z\n"
        for (xr, yr) in zip(x.rows(as: Double.self), y.rows(as: Double.self)) {
            text += (xr + yr).map { String(format: "%.6f", $0) }.joined(separator: ",") + "\n"
        }
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `weight` and `bias` of a model file, as float64 values.
    static func parameters(_ url: URL) throws -> [Double] {
        let file = try Safetensors.read(from: url)
        return file.tensors["weight"]!.scalars(as: Double.self) + file.tensors["bias"]!.scalars(as: Double.self)
    }
}

/// Process groups, samplers and sharded reads, without MPI.
struct DistributedPartsTests {
    @Test func singleProcessGroupAndDataParallelLeaveGradientsAlone() {
        let group = SingleProcessGroup()
        let w = Tensor([[1.0, 2]], requiresGrad: true), b = Tensor([0.5], requiresGrad: true)
        let parallel = DataParallel(parameters: [w, b], group: group, bucketMegabytes: 1e-6)   // one bucket per tensor
        #expect(parallel.bucketSizes == [1, 1])
        (Tensor.linear(Tensor([[3.0, 4]]), weight: w, bias: b).sum() * 2).backward()
        parallel.averageGradients()
        #expect(w.grad!.scalars(as: Double.self) == [6, 8])
        #expect(b.grad!.scalars(as: Double.self) == [2])
        #expect(group.allReduce(2.5) == 2.5)
    }

    @Test func distributedSamplerSharesAreDisjointEqualAndCoverEveryRow() {
        for (count, world) in [(10, 3), (12, 4), (7, 2), (5, 5)] {
            for epoch in 0..<3 {
                let shares = (0..<world).map { DistributedSampler(count: count, rank: $0, worldSize: world, seed: 4).indices(epoch: epoch).scalars(as: Int.self) }
                #expect(Set(shares.map(\.count)).count == 1)
                #expect(Set(shares.joined()) == Set(0..<count))
                #expect(shares.joined().count == (count + world - 1) / world * world)
                if count % world == 0 { #expect(shares.joined().count == count) }
            }
            let sampler = DistributedSampler(count: count, rank: 0, worldSize: world, seed: 4)
            #expect(sampler.indices(epoch: 1).scalars(as: Int.self) == sampler.indices(epoch: 1).scalars(as: Int.self))
            let dropped = (0..<world).map { DistributedSampler(count: count, rank: $0, worldSize: world, seed: 4, dropLast: true).indices(epoch: 0).scalars(as: Int.self) }
            #expect(Set(dropped.joined()).count == count / world * world)
        }
        // PyTorch's order: randperm seeded with seed + epoch, then every worldSize-th position.
        let perm = Tensor.randperm(10, generator: Generator(seed: 9)).scalars(as: Int.self)
        #expect(DistributedSampler(count: 10, rank: 1, worldSize: 2, seed: 7).indices(epoch: 2).scalars(as: Int.self) == [1, 3, 5, 7, 9].map { perm[$0] })
        // Without shuffling, rank r takes r, r + world, ...; the padding repeats the start.
        #expect(DistributedSampler(count: 5, rank: 1, worldSize: 3, shuffle: false).indices(epoch: 0).scalars(as: Int.self) == [1, 4])
        #expect(DistributedSampler(count: 5, rank: 2, worldSize: 3, shuffle: false).indices(epoch: 0).scalars(as: Int.self) == [2, 0])
    }

    @Test(arguments: ["sampler rank", "non-contiguous allReduce", "int64 mean"])
    func programmerErrorsStopWithPyTorchsMessage(_ name: String) async {
        let expected = ["sampler rank": "Invalid rank 3, rank should be in the interval [0, 1]",
                        "non-contiguous allReduce": "Tensors must be contiguous",
                        "int64 mean": ".mean needs a floating-point tensor"][name]!
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name] in
            switch name {
            case "sampler rank": _ = DistributedSampler(count: 10, rank: 3, worldSize: 2)
            case "non-contiguous allReduce": SingleProcessGroup().allReduce(Tensor.ones(2, 3).t(), op: .sum)
            default: SingleProcessGroup().allReduce(Tensor.ones(2, dtype: .int64), op: .mean)
            }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(expected), "\(name): \(stderr)")
    }

    @Test(arguments: [1, 2, 3, 4, 7])
    func csvShardsPartitionTheRows(_ shards: Int) throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in [("lf.csv", "a,b\n" + (0..<23).map { "\($0),\($0 * 2)\n" }.joined()),
                             ("crlf-no-final.csv", "a;b\r\n" + (0..<9).map { "\($0);-\($0)" }.joined(separator: "\r\n")),
                             ("quoted.csv", "\"a\",\"b\"\n" + (0..<6).map { "\"\($0)\",\($0)\n" }.joined())] {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            let whole = try CSV.read(from: url)
            let parts = try (0..<shards).map { try CSV.read(from: url, shard: $0, of: shards) }
            #expect(parts.allSatisfy { $0.columns == whole.columns }, "\(name)")
            #expect(parts.flatMap(\.values) == whole.values, "\(name) with \(shards) shards")
        }
        let broken = dir.appendingPathComponent("broken.csv")
        try "a,b\n1,2\n3,x\n5,6\n".write(to: broken, atomically: true, encoding: .utf8)
        #expect { _ = try (0..<shards).map { try CSV.read(from: broken, shard: $0, of: shards) } } throws: { error in
            (error as? CSVError)?.line == 3
        }
    }

    @Test func quotedLineBreaksRefuseToShard() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("multiline.csv")
        try ("a,b\n" + (0..<20).map { "\"\($0)\n\",\($0)\n" }.joined()).write(to: url, atomically: true, encoding: .utf8)
        #expect { _ = try (0..<3).map { try CSV.read(from: url, shard: $0, of: 3) } } throws: { error in
            "\(error)".contains("line break") || "\(error)".contains("not a number")
        }
    }

    @Test func npyShardsPartitionTheRows() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.npy")
        let x = Tensor.arange(0, 33, dtype: .float64).reshape(11, 3)
        try NumPy.write(x, to: url)
        for shards in [1, 2, 3, 5, 11, 12] {
            let parts = try (0..<shards).map { try NumPy.readShard(from: url, shard: $0, of: shards) }
            #expect(parts.allSatisfy { $0.totalRows == 11 })
            #expect(parts.flatMap { $0.tensor.scalars(as: Double.self) } == x.scalars(as: Double.self))
        }
        #expect(try NumPy.read(from: url, rows: 4..<6).scalars(as: Double.self) == Array(12..<18).map(Double.init))
        #expect(throws: TensorFileError.self) { try NumPy.read(from: url, rows: 10..<12) }
    }
}

/// Checkpoints: everything needed to continue, and a resumed run equal to an uninterrupted one.
struct CheckpointTests {
    @Test func checkpointRoundTrip() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = Tensor([[1.0, 2]], requiresGrad: true)
        let opt = Adam([w], lr: 0.1)
        (w * w).sum().backward()
        opt.step()
        let g = Generator(seed: 5)
        _ = Tensor.randn(3, generator: g)
        let url = dir.appendingPathComponent("c.safetensors")
        try Checkpoint(model: StateDict([("weight", w)]), optimizer: opt.stateDict(), epoch: 7, generators: [g.getState()],
                       extra: ["losses": Tensor([3.0, 2, 1], dtype: .float64)], metadata: ["note": "x"]).write(to: url)
        let back = try Checkpoint.read(from: url)
        #expect(back.epoch == 7 && back.metadata["note"] == "x")
        #expect(back.model["weight"]!.scalars(as: Double.self) == w.scalars(as: Double.self))
        #expect(back.optimizer.state[0]!.keys.sorted() == ["exp_avg", "exp_avg_sq", "step"])
        #expect(back.optimizer.paramGroups[0]["lr"] == 0.1)
        #expect(back.generators[0].scalars(as: Int64.self) == g.getState().scalars(as: Int64.self))
        #expect(back.extra["losses"]!.scalars(as: Double.self) == [3, 2, 1])
        let model = dir.appendingPathComponent("m.safetensors")
        try Safetensors.write([("weight", w)], to: model)
        #expect { try Checkpoint.read(from: model) } throws: { "\($0)".contains("not a Descent checkpoint") }
    }

    @Test(arguments: [LinearRegression.Options.Method.sgd, .momentum, .adam], [nil, 50] as [Int?])
    func resumedFitEqualsUninterruptedBitForBit(_ method: LinearRegression.Options.Method, _ batch: Int?) throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = try CSV.read(from: DistributedData.csv(in: dir))
        let x = try table.tensor(columns: ["a", "b", "c"]), y = try table.tensor(columns: ["y", "z"])
        let lr = method == .adam ? 0.05 : 0.01
        var options = LinearRegression.Options(epochs: 30, lr: lr, optimizer: method, batchSize: batch, standardize: true, seed: 3)
        let whole = try LinearRegression.fit(x: x, y: y, options: options)
        // Stop after 25 epochs with a checkpoint every 10: the last one is at epoch 20.
        let url = dir.appendingPathComponent("ckpt.safetensors")
        options.epochs = 25
        _ = try LinearRegression.fit(x: x, y: y, options: options, checkpointing: .init(url: url, every: 10))
        let saved = try Checkpoint.read(from: url)
        #expect(saved.epoch == 20)
        options.epochs = 30
        let resumed = try LinearRegression.fit(x: x, y: y, options: options, resume: saved)
        #expect(resumed.model.weights.scalars(as: Float.self) == whole.model.weights.scalars(as: Float.self))
        #expect(resumed.model.bias.scalars(as: Float.self) == whole.model.bias.scalars(as: Float.self))
        #expect(resumed.losses == whole.losses)
        // Other settings cannot resume it.
        options.lr *= 2
        #expect { try LinearRegression.fit(x: x, y: y, options: options, resume: saved) } throws: { "\($0)".contains("cannot resume: the checkpoint was made with lr") }
    }

    /// A real kill: `descent fit` is stopped with SIGKILL once it has written a checkpoint, then
    /// resumed; the model equals that of a run never stopped, bit for bit.
    @Test func killedRunResumesToTheSameModel() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try DistributedData.csv(in: dir, rows: 2000)
        let common = [csv.path, "--target", "y,z", "--standardize", "--optimizer", "adam", "--lr", "0.01",
                      "--batch-size", "64", "--seed", "2", "--quiet"]
        let epochs = 400
        let straight = dir.appendingPathComponent("straight.safetensors")
        let whole = try DescentExecutable.run(["fit"] + common + ["--epochs", "\(epochs)", "--output", straight.path])
        #expect(whole.status == 0, "\(whole.stderr)")

        let checkpoint = dir.appendingPathComponent("run.ckpt")
        let running = try DescentExecutable.start(DescentExecutable.url!, ["fit"] + common + ["--epochs", "\(epochs)", "--checkpoint-every", "7",
                                                                                               "--checkpoint", checkpoint.path])
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && running.process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let killedMidway = running.process.isRunning
        kill(running.process.processIdentifier, SIGKILL)
        running.waitUntilExit()
        _ = running.output()
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(killedMidway, "the run ended before its first checkpoint was seen")
        #expect(saved.epoch % 7 == 0 && saved.epoch < epochs)

        let resumedModel = dir.appendingPathComponent("resumed.safetensors")
        let resumed = try DescentExecutable.run(["fit"] + common + ["--epochs", "\(epochs)", "--resume", checkpoint.path, "--output", resumedModel.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try DistributedData.parameters(resumedModel) == DistributedData.parameters(straight))
        // A changed setting is refused, with what differs.
        let other = try DescentExecutable.run(["fit"] + common.map { $0 == "0.01" ? "0.02" : $0 } + ["--epochs", "\(epochs)", "--resume", checkpoint.path])
        #expect(other.status != 0 && other.stderr.contains("cannot resume: the checkpoint was made with lr = 0.01"))
    }
}

/// `descent fit --distributed` under `mpirun`, where Open MPI is installed.
struct MPITests {
    static let mpirun = DescentExecutable.onPath("mpirun")
    static let environment = [
        "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
        // Under `swift test --sanitize=address`, Open MPI's plug-ins leave allocations at exit
        // from code they have already unloaded, which LeakSanitizer can neither name nor
        // suppress; the ranks keep every other AddressSanitizer check, and the single-process
        // tests check Descent's own code for leaks.
        "ASAN_OPTIONS": "detect_leaks=0",
    ]

    @Test(.enabled(if: mpirun != nil, "mpirun is not installed"), arguments: [2, 4])
    func distributedFullBatchEqualsOneProcess(_ processes: Int) throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try DistributedData.csv(in: dir)
        let common = ["fit", csv.path, "--target", "y,z", "--standardize", "--lr", "0.1", "--epochs", "20", "--quiet"]
        let single = dir.appendingPathComponent("single.safetensors")
        let one = try DescentExecutable.run(common + ["--output", single.path])
        #expect(one.status == 0, "\(one.stderr)")
        let spread = dir.appendingPathComponent("spread.safetensors")
        let many = try DescentExecutable.runProgram(Self.mpirun!, ["--oversubscribe", "-np", "\(processes)", DescentExecutable.url!.path]
                                                    + common + ["--distributed", "--output", spread.path], environment: Self.environment)
        #expect(many.status == 0, "\(many.stderr)")
        #expect(many.stdout.contains("Parameters identical on all \(processes) processes."), "\(many.stdout)")
        let a = try DistributedData.parameters(single), b = try DistributedData.parameters(spread)
        for (u, v) in zip(a, b) { #expect(Swift.abs(u - v) <= 1e-5 * Swift.abs(u), "\(u) vs \(v)") }
    }

    @Test(.enabled(if: mpirun != nil, "mpirun is not installed"))
    func distributedClassificationMatchesOneProcess() throws {
        // Iris is sorted by species, so each process's share lacks a class: the classes, the
        // one-hot categories and the fill values must still be the same on every process.
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let iris = try String(contentsOf: FitClassificationTests.fixture("iris"), encoding: .utf8).split(separator: "\n")
        var text = "size,shade," + iris[0] + "\n"
        for (i, line) in iris.dropFirst().enumerated() {
            text += (i % 17 == 3 ? "" : "\(i % 5)") + "," + ["dark", "light", "pale"][i / 50] + "," + line + "\n"
        }
        let csv = dir.appendingPathComponent("iris.csv")
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let common = ["fit", csv.path, "--target", "label", "--task", "classification", "--impute", "mean", "--standardize",
                      "--optimizer", "adam", "--lr", "0.05", "--epochs", "50", "--l2", "0.01", "--quiet"]
        let single = dir.appendingPathComponent("single.json"), spread = dir.appendingPathComponent("spread.json")
        let one = try DescentExecutable.run(common + ["--report", single.path])
        #expect(one.status == 0, "\(one.stderr)")
        let many = try DescentExecutable.runProgram(Self.mpirun!, ["--oversubscribe", "-np", "3", DescentExecutable.url!.path]
                                                    + common + ["--distributed", "--report", spread.path], environment: Self.environment)
        #expect(many.status == 0, "\(many.stderr)")
        #expect(many.stdout.contains("Parameters identical on all 3 processes."), "\(many.stdout)")
        let a = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: single)) as? [String: Any])
        let b = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: spread)) as? [String: Any])
        #expect(a["classes"] as? [String] == b["classes"] as? [String])
        #expect(a["features"] as? [String] == b["features"] as? [String])
        let accuracy = { (r: [String: Any], key: String) in ((r["metrics"] as? [String: Any])?[key] as? [String: Any])?["accuracy"] as? Double }
        #expect(accuracy(a, "train") != nil && accuracy(a, "train") == accuracy(b, "train"))
        #expect(accuracy(a, "exact_train") != nil && accuracy(a, "exact_train") == accuracy(b, "exact_train"))
    }

    @Test(.enabled(if: mpirun != nil, "mpirun is not installed"))
    func distributedMiniBatchesAgreeAndResume() throws {
        let dir = try FitCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try DistributedData.csv(in: dir)
        let checkpoint = dir.appendingPathComponent("ckpt")
        let args = ["--oversubscribe", "-np", "3", DescentExecutable.url!.path, "fit", csv.path, "--target", "y", "--standardize",
                    "--optimizer", "momentum", "--lr", "0.01", "--batch-size", "32", "--distributed", "--checkpoint", checkpoint.path]
        let run = try DescentExecutable.runProgram(Self.mpirun!, args + ["--epochs", "10", "--checkpoint-every", "5"], environment: Self.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Parameters identical on all 3 processes."))
        #expect(try Checkpoint.read(from: checkpoint).epoch == 10)
        let resumed = try DescentExecutable.runProgram(Self.mpirun!, args + ["--epochs", "15", "--resume", checkpoint.path], environment: Self.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("Resuming after epoch 10") && resumed.stdout.contains("after 15 epochs"))
    }

    @Test func withoutMPIDistributedSaysWhatToInstall() throws {
        let out = try DescentExecutable.run(["fit", "--distributed", "--quiet"], environment: ["DESCENT_MPI_LIBRARY": "/nonexistent/libmpi.so"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("--distributed needs Open MPI") && out.stderr.contains("apt install libopenmpi-dev openmpi-bin"), "\(out.stderr)")
    }
}
