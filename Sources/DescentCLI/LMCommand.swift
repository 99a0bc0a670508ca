import ArgumentParser
import Descent
import DescentData
import DescentMPI
import DescentNN
import Foundation

/// `descent lm`: character-level GPTs, trained on a text file and sampled from.
struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Train a character-level GPT on a text file, or sample from one.",
        discussion: """
            Examples:
              descent lm train Data/shakespeare/input.txt --steps 500 --output shakespeare.safetensors
              descent lm sample shakespeare.safetensors --prompt "MENENIUS:" --tokens 200 --seed 1
            """,
        subcommands: [LMTrainCommand.self, LMSampleCommand.self]
    )
}

/// A text as character ids: its vocabulary is its distinct Unicode scalars in code-point order,
/// as nanoGPT's `shakespeare_char` builds it.
struct CharacterText {
    let vocabulary: [Unicode.Scalar]
    let ids: [Int64]

    /// Reads `path` as UTF-8 text, refusing what is not one.
    init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("\(path): cannot read the file (\((error as NSError).localizedDescription))")
        }
        if data.isEmpty { throw CLIError("\(path): the file is empty; give a text file to train on") }
        if let zero = data.firstIndex(of: 0) {
            throw CLIError("\(path): not a text file (a zero byte at offset \(zero - data.startIndex)); give a UTF-8 text file")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CLIError("\(path): not UTF-8 text; give a UTF-8 text file")
        }
        let scalars = Array(text.unicodeScalars)
        vocabulary = Set(scalars).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, Int64($0.offset)) })
        ids = scalars.map { index[$0]! }
    }

    /// The vocabulary as the JSON array of one-character strings a model file's metadata holds.
    var vocabularyJSON: String {
        let strings = vocabulary.map { String(Character($0)) }
        return String(decoding: try! JSONEncoder().encode(strings), as: UTF8.self)
    }
}

/// The model file: nanoGPT's state dict (`transformer.wte.weight`, …, `lm_head.weight`) with the
/// configuration and the vocabulary in the safetensors metadata.
enum LMModelFile {
    static func write(_ model: GPT, vocabulary: String, to url: URL, extra: [String: String] = [:]) throws {
        let c = model.config
        let config = "{\"block_size\": \(c.blockSize), \"vocab_size\": \(c.vocabSize), \"n_layer\": \(c.nLayer), \"n_head\": \(c.nHead), \"n_embd\": \(c.nEmbd), \"dropout\": \(c.dropout), \"bias\": \(c.bias)}"
        let state = model.stateDict()
        try Safetensors.write(state.items.map { ($0.0, $0.1.contiguous()) },
                              metadata: ["format": "pt", "config": config, "vocabulary": vocabulary].merging(extra) { $1 }, to: url)
    }

    /// The model and vocabulary in `path`, with errors that name the file and what is wrong.
    static func read(_ path: String) throws -> (GPT, [Unicode.Scalar]) {
        let file: Safetensors.File
        do {
            file = try Safetensors.read(from: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("\(error)")
        }
        guard let configText = file.metadata["config"], let vocabularyText = file.metadata["vocabulary"] else {
            throw CLIError("\(path): not a model written by `descent lm train` (no config or vocabulary in its metadata)")
        }
        struct Config: Decodable {
            let block_size: Int, vocab_size: Int, n_layer: Int, n_head: Int, n_embd: Int
            let dropout: Double?, bias: Bool?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(configText.utf8)),
              let strings = try? JSONDecoder().decode([String].self, from: Data(vocabularyText.utf8)) else {
            throw CLIError("\(path): its config or vocabulary metadata is not valid JSON")
        }
        let vocabulary = strings.compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first : nil }
        guard vocabulary.count == strings.count, vocabulary.count == config.vocab_size, config.block_size > 0, config.n_layer > 0,
              config.n_head > 0, config.n_embd > 0, config.n_embd % config.n_head == 0, config.n_embd * config.n_layer < 1 << 24 else {
            throw CLIError("\(path): its config or vocabulary metadata is inconsistent")
        }
        let model = GPT(GPTConfig(blockSize: config.block_size, vocabSize: config.vocab_size, nLayer: config.n_layer, nHead: config.n_head,
                                  nEmbd: config.n_embd, dropout: 0, bias: config.bias ?? true), generator: Generator(seed: 0))
        do {
            try model.loadStateDict(StateDict(file.tensors.map { ($0.key, $0.value) }))
        } catch {
            throw CLIError("\(path): the tensors do not fit the model its metadata describes: \(error)")
        }
        return (model.eval(), vocabulary)
    }
}

struct LMTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character-level GPT on a UTF-8 text file (the last --val-fraction held out).")

    @Argument(help: "A UTF-8 text file.")
    var file: String
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Attention heads per block.") var heads = 4
    @Option(help: "Model width (a multiple of --heads).") var width = 128
    @Option(help: "Context length in characters.") var context = 64
    @Option(help: "Sequences per step.") var batch = 16
    @Option(help: "Dropout probability.") var dropout = 0.0
    @Option(help: "Training steps.") var steps = 1000
    @Option(help: "Peak learning rate.") var lr = 1e-3
    @Option(name: .customLong("min-lr"), help: "Learning rate at the end of the cosine decay.") var minLR = 1e-4
    @Option(help: "Steps of linear warm-up.") var warmup = 50
    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay, applied to matrices only.") var weightDecay = 0.1
    @Option(help: "Clip the gradient norm to this (0: no clipping).") var clip = 1.0
    @Option(name: .customLong("eval-every"), help: "Evaluate on both splits every N steps.") var evalEvery = 100
    @Option(name: .customLong("eval-batches"), help: "Batches per evaluation.") var evalBatches = 10
    @Option(name: .customLong("val-fraction"), help: "Share of the text, at its end, held out for validation.") var valFraction = 0.1
    @Option(help: "Threads for the kernels (default: all cores).") var threads: Int?
    @Option(help: "Seed for the weights and the batches.") var seed: UInt64 = 1337
    @Option(help: "Write the model (safetensors, nanoGPT's names) here.") var output = "lm.safetensors"
    @Option(help: "Write loss curves (SVG) into this folder.") var plot: String?
    @Option(name: .customLong("checkpoint-every"), help: "Save a checkpoint every N steps (to --checkpoint).") var checkpointEvery: Int?
    @Option(help: "The checkpoint file --checkpoint-every writes; `{step}` in it becomes the step, keeping every one.")
    var checkpoint = "lm-checkpoint.safetensors"
    @Option(help: "Continue from a checkpoint written by --checkpoint-every, with the same settings.") var resume: String?
    @Flag(help: "Train over MPI: run under `mpirun -np N descent lm train --distributed ...`.") var distributed = false
    @Flag(help: "Print only the results.") var quiet = false
    @Flag(help: "Replace existing output files even when they are not what the option writes.") var force = false

    func validate() throws {
        for (name, value) in [("--layers", layers), ("--heads", heads), ("--width", width), ("--context", context), ("--batch", batch),
                              ("--steps", steps), ("--eval-every", evalEvery), ("--eval-batches", evalBatches)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard width % heads == 0 else { throw ValidationError("--width (\(width)) must be a multiple of --heads (\(heads))") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        guard lr > 0 && lr.isFinite, minLR >= 0 && minLR <= lr else { throw ValidationError("--lr must be positive and --min-lr between 0 and --lr") }
        guard warmup >= 0, weightDecay >= 0, clip >= 0 else { throw ValidationError("--warmup, --weight-decay and --clip must not be negative") }
        guard valFraction > 0 && valFraction < 0.5 else { throw ValidationError("--val-fraction must be between 0 and 0.5") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
    }

    func run() throws {
        if let threads { Threads.count = threads }
        try runProcesses(distributed: distributed) { try train(group: $0) }
    }

    /// nanoGPT's schedule: linear warm-up, cosine decay to `minLR` at the last step.
    func learningRate(_ step: Int) -> Double {
        if step < warmup { return lr * Double(step + 1) / Double(warmup + 1) }
        let progress = Double(step - warmup) / Double(Swift.max(1, steps - warmup))
        return minLR + 0.5 * (1 + Foundation.cos(Double.pi * Swift.min(progress, 1))) * (lr - minLR)
    }

    func train(group: ProcessGroup) throws {
        let main = group.isMain, world = group.worldSize
        let quiet = self.quiet || !main
        var paths = OutputPaths()
        paths.input("the text file", file)
        paths.input("the checkpoint --resume names", resume)
        paths.output("--output", output, .safetensors)
        paths.output("--plot", plot, .folder)
        paths.output("--checkpoint", checkpointEvery == nil ? nil : checkpoint, .safetensors, mayReplace: "the checkpoint --resume names")
        try paths.check(force: force)
        let text = try CharacterText(path: file)
        let validationCount = Int(Double(text.ids.count) * valFraction)
        let trainIds = Array(text.ids.dropLast(validationCount)), validationIds = Array(text.ids.suffix(validationCount))
        guard trainIds.count > context + 1, validationIds.count > context + 1 else {
            throw CLIError("\(file): \(text.ids.count) characters is too short for --context \(context): each split needs more than \(context + 1) (give a longer text or a shorter --context)")
        }
        let splits = [Tensor(shape: [trainIds.count], scalars: trainIds), Tensor(shape: [validationIds.count], scalars: validationIds)]
        let config = GPTConfig(blockSize: context, vocabSize: text.vocabulary.count, nLayer: layers, nHead: heads, nEmbd: width,
                               dropout: dropout, bias: true)
        let model = GPT(config, generator: Generator(seed: seed))
        // Weight decay on matrices only, as nanoGPT configures AdamW.
        let parameters = model.parameters()
        let optimizer = AdamW([ParamGroup(parameters.filter { $0.rank >= 2 }, weightDecay: weightDecay),
                               ParamGroup(parameters.filter { $0.rank < 2 }, weightDecay: 0)], lr: lr, betas: (0.9, 0.99))
        let parallel = world > 1 ? DataParallel(model, group: group) : nil
        // Each rank draws its own batches; evaluation batches have a generator of their own,
        // so evaluating does not change the training batches.
        let batches = Generator(seed: seed &+ 1 &+ UInt64(group.rank)), evaluation = Generator(seed: seed &+ 1_000_003 &+ UInt64(group.rank))
        var trainLosses: [Double] = [], evalPoints: [(step: Int, train: Double, validation: Double)] = []
        var start = 0
        let settings = ["file_characters": "\(text.ids.count)", "vocabulary": text.vocabularyJSON, "layers": "\(layers)", "heads": "\(heads)",
                        "width": "\(width)", "context": "\(context)", "batch": "\(batch)", "dropout": "\(dropout)", "steps": "\(steps)",
                        "lr": "\(lr)", "min_lr": "\(minLR)", "warmup": "\(warmup)", "weight_decay": "\(weightDecay)", "clip": "\(clip)",
                        "eval_every": "\(evalEvery)", "eval_batches": "\(evalBatches)", "val_fraction": "\(valFraction)",
                        "seed": "\(seed)", "world": "\(world)"]
        if let resume {
            let saved: Checkpoint
            do {
                saved = try Checkpoint.read(from: URL(fileURLWithPath: resume))
            } catch {
                throw CLIError("\(error)")
            }
                let differing = settings.keys.sorted().filter { saved.metadata[$0] != settings[$0] }
            guard differing.isEmpty else {
                throw CLIError("\(resume) was written with other settings (\(differing.joined(separator: ", "))): resume with the same text and options")
            }
            do {
                try model.loadStateDict(saved.model)
                try optimizer.loadStateDict(saved.optimizer)
            } catch {
                throw CLIError("\(resume): \(error)")
            }
            guard saved.generators.count == 3, batches.setState(saved.generators[0]), evaluation.setState(saved.generators[1]),
                  Generator.default.setState(saved.generators[2]) else {
                throw CLIError("\(resume): the generator states are damaged")
            }
            trainLosses = saved.extra["train_losses"]?.scalars(as: Double.self) ?? []
            let points = saved.extra["evaluations"]?.scalars(as: Double.self) ?? []
            evalPoints = stride(from: 0, to: points.count - 2, by: 3).map { (Int(points[$0]), points[$0 + 1], points[$0 + 2]) }
            start = saved.epoch
            if !quiet { print("Resuming after step \(start) from \(resume)") }
        }
        if !quiet {
            let count = parameters.reduce(0) { $0 + $1.scalarCount }
            print("Training a GPT on \(file): \(text.ids.count) characters, vocabulary \(text.vocabulary.count), \(trainIds.count) for training, \(validationIds.count) held out")
            print("\(layers) layers, \(heads) heads, width \(width), context \(context): \(count) parameters; batch \(batch)\(world > 1 ? " on each of \(world) processes" : ""), \(steps) steps, lr \(lr) (warm-up \(warmup), cosine to \(minLR))")
        }

        func sample(_ split: Tensor, _ generator: Generator) -> (Tensor, Tensor) {
            let offsets = Tensor.randint(0, split.scalarCount - context - 1, [batch], generator: generator).scalars(as: Int.self)
            let x = Tensor.stack(offsets.map { split.narrow(0, $0, context) })
            let y = Tensor.stack(offsets.map { split.narrow(0, $0 + 1, context) })
            return (x, y)
        }
        func estimate() -> (Double, Double) {
            model.eval()
            defer { model.train() }
            let means = noGrad {
                splits.map { split in
                    (0..<evalBatches).map { _ in
                        let (x, y) = sample(split, evaluation)
                        return model.loss(x, targets: y).item()
                    }.reduce(0, +) / Double(evalBatches)
                }
            }
            return world > 1 ? (group.allReduce(means[0]) / Double(world), group.allReduce(means[1]) / Double(world)) : (means[0], means[1])
        }
        func saveCheckpoint(after step: Int) throws {
            let evaluations = evalPoints.flatMap { [Double($0.step), $0.train, $0.validation] }
            let state = Checkpoint(model: model.stateDict(), optimizer: optimizer.stateDict(), epoch: step,
                                   generators: [batches.getState(), evaluation.getState(), Generator.default.getState()],
                                   extra: ["train_losses": Tensor(shape: [trainLosses.count], scalars: trainLosses, dtype: .float64),
                                           "evaluations": Tensor(shape: [evaluations.count], scalars: evaluations, dtype: .float64)],
                                   metadata: settings)
            try state.write(to: URL(fileURLWithPath: checkpoint.replacingOccurrences(of: "{step}", with: "\(step)")))
        }

        let progress = LMProgress(total: steps, quiet: quiet)
        model.train()
        let started = ContinuousClock.now
        for step in start..<steps {
            let rate = learningRate(step)
            for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].lr = rate }
            let (x, y) = sample(splits[0], batches)
            optimizer.zeroGrad()
            let loss = model.loss(x, targets: y)
            loss.backward()
            parallel?.averageGradients()
            if clip > 0 { _ = clipGradNorm(parameters, maxNorm: clip) }
            optimizer.step()
            let value = world > 1 ? group.allReduce(loss.item()) / Double(world) : loss.item()
            guard value.isFinite else {
                progress.finish()
                throw CLIError("the loss became \(value) at step \(step + 1): lower --lr or raise --warmup")
            }
            trainLosses.append(value)
            if (step + 1) % evalEvery == 0 || step + 1 == steps {
                let (t, v) = estimate()
                evalPoints.append((step + 1, t, v))
                progress.evaluated(step + 1, train: t, validation: v)
            }
            let seconds = (ContinuousClock.now - started).seconds
            progress.update(step + 1, loss: value, tokensPerSecond: Double((step + 1 - start) * batch * context * world) / Swift.max(seconds, 1e-9))
            if let checkpointEvery, (step + 1) % checkpointEvery == 0, main {
                do {
                    try saveCheckpoint(after: step + 1)
                } catch {
                    progress.finish()
                    throw CLIError("\(error)")
                }
            }
        }
        progress.finish()
        // Every rank should hold the same weights after averaged gradients; check it.
        var agreement: String?
        if world > 1 {
            let mine = Tensor.cat(parameters.map { $0.detach().reshape(-1) }).to(.float64)
            let highest = mine.clone(), lowest = mine.clone()
            group.allReduce(highest, op: .max)
            group.allReduce(lowest, op: .min)
            agreement = highest.scalars(as: Double.self) == lowest.scalars(as: Double.self)
                ? "Parameters identical on all \(world) processes." : "Warning: the processes ended with different parameters."
        }
        guard main else { return }
        if let agreement { print(agreement) }
        if let last = evalPoints.last {
            print(String(format: "step %d: train loss %.4f, val loss %.4f", last.step, last.train, last.validation))
        }
        do {
            try LMModelFile.write(model, vocabulary: text.vocabularyJSON, to: URL(fileURLWithPath: output),
                                  extra: ["source": URL(fileURLWithPath: file).lastPathComponent, "steps": "\(steps)"])
            print("Wrote \(output)")
            if let plot {
                let folder = try OutputPaths.folder("--plot", plot)
                let svg = SVGPlot.curves([("train (per step)", trainLosses.enumerated().map { (Double($0.offset + 1), $0.element) }),
                                          ("train (evaluated)", evalPoints.map { (Double($0.step), $0.train) }),
                                          ("validation", evalPoints.map { (Double($0.step), $0.validation) })],
                                         title: "Cross-entropy by step", xLabel: "step", yLabel: "loss")
                try AtomicFile.write(Data(svg.utf8), to: folder.appendingPathComponent("loss.svg"))
                print("Wrote \(folder.appendingPathComponent("loss.svg").path)")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}

struct LMSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Continue a prompt with a model from `descent lm train`.")

    @Argument(help: "A model written by `descent lm train`.") var model: String
    @Option(help: "The text to continue (default: a newline).") var prompt = "\n"
    @Option(help: "Characters to generate.") var tokens = 200
    @Option(help: "Softmax temperature (0: always the most likely character).") var temperature = 0.8
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely characters only.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample among the most likely characters whose probabilities sum to P.") var topP: Double?
    @Option(help: "Seed for the draws.") var seed: UInt64 = 1337

    func validate() throws {
        guard tokens >= 0 else { throw ValidationError("--tokens must not be negative") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must not be empty") }
    }

    func run() throws {
        let (gpt, vocabulary) = try LMModelFile.read(model)
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, Int64($0.offset)) })
        var ids: [Int64] = []
        for (offset, scalar) in prompt.unicodeScalars.enumerated() {
            guard let id = index[scalar] else {
                let shown = scalar.properties.isWhitespace || scalar.value < 32 ? "U+\(String(scalar.value, radix: 16, uppercase: true))" : "\"\(scalar)\""
                throw CLIError("the prompt's character \(shown) (at position \(offset + 1)) is not in the model's vocabulary of \(vocabulary.count) characters")
            }
            ids.append(id)
        }
        let generated = gpt.generate(Tensor(shape: [1, ids.count], scalars: ids), maxNewTokens: tokens, temperature: temperature,
                                     topK: topK, topP: topP, generator: Generator(seed: seed))
        let text = String(String.UnicodeScalarView(generated.scalars(as: Int.self).map { vocabulary[$0] }))
        print(text)
    }
}

/// Training progress for `descent lm train`: a live bar with the loss and tokens per second on
/// a terminal, periodic lines otherwise; evaluations always get a line.
final class LMProgress {
    let total: Int, quiet: Bool
    let live = isatty(STDOUT_FILENO) != 0
    private var lastDraw = ContinuousClock.now
    private var drew = false
    private var validation: Double?
    private var rate = 0.0

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func update(_ step: Int, loss: Double, tokensPerSecond: Double) {
        rate = tokensPerSecond
        guard !quiet else { return }
        if live {
            guard step == total || (ContinuousClock.now - lastDraw).seconds > 0.1 else { return }
            lastDraw = ContinuousClock.now
            let bar = Progress.bar(step, total)
            let val = validation.map { String(format: "  val %.4f", $0) } ?? ""
            FileHandle.standardOutput.write(Data(String(format: "\r[%@] step %d/%d  loss %.4f%@  %.0f tok/s   ", bar, step, total, loss, val, tokensPerSecond).utf8))
            drew = true
        }
    }

    func evaluated(_ step: Int, train: Double, validation: Double) {
        self.validation = validation
        guard !quiet else { return }
        if drew {
            FileHandle.standardOutput.write(Data("\r".utf8))
            drew = false
        }
        let speed = rate > 0 ? String(format: ", %.0f tok/s", rate) : ""
        print(String(format: "step %d/%d: train loss %.4f, val loss %.4f%@%@", step, total, train, validation, speed,
                     live ? String(repeating: " ", count: 30) : ""))
    }

    func finish() {
        if drew { print() }
        drew = false
    }
}
