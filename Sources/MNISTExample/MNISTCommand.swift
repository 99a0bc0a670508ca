import ArgumentParser
import Descent
import DescentData
import DescentNN
import Foundation

/// LeNet-5 as PyTorch tutorials write it, with the same attribute names, so that the saved
/// state dict loads into the Python class of the README with `load_state_dict`.
final class LeNet5: Module {
    let conv1 = Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2)
    let conv2 = Conv2d(inChannels: 6, outChannels: 16, kernelSize: 5)
    let fc1 = Linear(inFeatures: 400, outFeatures: 120)
    let fc2 = Linear(inFeatures: 120, outFeatures: 84)
    let fc3 = Linear(inFeatures: 84, outFeatures: 10)

    override func forward(_ x: Tensor) -> Tensor {
        var h = Tensor.maxPool2d(conv1(x).relu(), kernelSize: 2)
        h = Tensor.maxPool2d(conv2(h).relu(), kernelSize: 2)
        h = h.flatten(start: 1)
        return fc3(fc2(fc1(h).relu()).relu())
    }
}

@main
struct MNISTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist",
        abstract: "Train LeNet-5 on MNIST-format digits and save it as safetensors.",
        discussion: """
            Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and \
            t10k-labels-idx1-ubyte (gzipped or not) from --data: by default the handwritten digits \
            shipped in Data/digits; point it at the real MNIST files to train on those.
            """
    )

    @Option(help: "Folder with the four MNIST files.")
    var data = "Data/digits"

    @Option(help: "Passes over the training set.")
    var epochs = 20

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize = 64

    @Option(help: "SGD learning rate.")
    var lr = 0.05

    @Option(help: "SGD momentum.")
    var momentum = 0.9

    @Option(help: "Seed for the initial weights and the shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Threads for Descent's kernels.")
    var threads: Int?

    @Option(help: "Where to save the trained model (safetensors).")
    var output = "lenet5.safetensors"

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
    }

    func run() throws {
        if let threads { Threads.count = threads }
        let root = URL(fileURLWithPath: data)
        let train: MNIST, test: MNIST
        do {
            train = try MNIST(root: root, train: true)
            test = try MNIST(root: root, train: false)
        } catch let error as TensorFileError {
            throw ValidationError("\(error)")
        }
        print("LeNet-5 on \(train.dataset.count) training and \(test.dataset.count) test images from \(data), \(Threads.count) thread(s)")
        manualSeed(seed)
        let model = LeNet5()
        let optimizer = SGD(model.parameters(), lr: lr, momentum: momentum)
        let lossFunction = CrossEntropyLoss()
        let loader = DataLoader(train.dataset, batchSize: batchSize, shuffle: true)
        let testLoader = DataLoader(test.dataset, batchSize: 500)
        var accuracy = 0.0
        for epoch in 1...epochs {
            let started = ContinuousClock.now
            model.train()
            var seen = 0, lossSum = 0.0
            let bar = ProgressBar(total: loader.count, label: "epoch \(epoch)/\(epochs)")
            for (step, batch) in loader.enumerated() {
                optimizer.zeroGrad()
                let loss = lossFunction(model(batch[0]), batch[1])
                loss.backward()
                optimizer.step()
                let n = batch[1].shape[0]
                seen += n
                lossSum += loss.item() * Double(n)
                bar.update(step + 1, loss: lossSum / Double(seen))
            }
            model.eval()
            var correct = 0
            noGrad {
                for batch in testLoader {
                    let predicted = model(batch[0]).argmax(dim: 1)
                    correct += Int((predicted .== batch[1]).sum().item(as: Int64.self))
                }
            }
            accuracy = Double(correct) / Double(test.dataset.count)
            let seconds = (ContinuousClock.now - started).seconds
            bar.finish(String(format: "epoch %d/%d  loss %.4f  test accuracy %.2f%% (%d/%d)  %.1fs",
                              epoch, epochs, lossSum / Double(seen), accuracy * 100, correct, test.dataset.count, seconds))
        }
        let url = URL(fileURLWithPath: output)
        do {
            try model.save(to: url, metadata: ["model": "LeNet-5", "epochs": "\(epochs)", "test_accuracy": String(format: "%.4f", accuracy)])
        } catch {
            throw ValidationError("could not save the model: \(error)")
        }
        print("saved \(output) (load it in PyTorch with model.load_state_dict(safetensors.torch.load_file(\"\(output)\")))")
    }
}

/// One epoch's progress: a bar redrawn in place on a terminal, only the summary line otherwise.
final class ProgressBar {
    let total: Int, label: String
    let live = isatty(STDOUT_FILENO) != 0
    private var lastDraw = ContinuousClock.now

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ step: Int, loss: Double) {
        guard live, step == total || (ContinuousClock.now - lastDraw).seconds > 0.1 else { return }
        lastDraw = ContinuousClock.now
        let width = 30, filled = width * step / Swift.max(total, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardOutput.write(Data("\r\(label) [\(bar)] \(step)/\(total)  loss \(String(format: "%.4f", loss))".utf8))
    }

    /// Replaces the bar with `summary`.
    func finish(_ summary: String) {
        if live { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        print(summary)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
