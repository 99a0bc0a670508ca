import ArgumentParser
import Descent

/// `descent notebook`: the seed notebook, cell by cell, printing what PyTorch prints.
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Replay the seed notebook (linear regression by gradient descent) cell by cell.",
        discussion: """
            Prints each cell's output in PyTorch's format, numbered as in the notebook. By default \
            w and b start from the values the notebook printed, so every number can be held against \
            it; --seed draws them as torch.manual_seed(N); torch.randn would.

            Example:
              descent notebook
              descent notebook --seed 0
            """
    )

    @Option(help: "Draw w and b with this seed instead of using the notebook's printed values.")
    var seed: UInt64?

    @Option(help: "Epochs of the training cell (In [31]).")
    var epochs = 500

    func run() throws {
        print("Linear Regression and Gradient Descent, replayed by Descent\n")
        let inputs = Tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
        let targets = Tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
        cell(5, "print(targets); print(inputs)") {
            print(targets)
            print(inputs)
        }

        let w: Tensor, b: Tensor
        if let seed {
            manualSeed(seed)
            w = Tensor.randn(2, 3, requiresGrad: true)
            b = Tensor.randn(2, requiresGrad: true)
        } else {
            w = Tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]], requiresGrad: true)
            b = Tensor([-0.9878, 0.1373], requiresGrad: true)
        }
        let origin = seed.map { "manualSeed(\($0)); w = Tensor.randn(2, 3, requiresGrad: true); b = Tensor.randn(2, requiresGrad: true)" }
            ?? "w, b = the values the notebook printed, requiresGrad: true"
        cell(6, origin + "; print(w); print(b)") {
            print(w)
            print(b)
        }

        func model(_ x: Tensor) -> Tensor { x.matmul(w.t()) + b }
        func mse(_ t1: Tensor, _ t2: Tensor) -> Tensor {
            let diff = t1 - t2
            return (diff * diff).sum() / diff.scalarCount
        }

        var preds = model(inputs)
        cell(8, "preds = model(inputs); print(preds)") { print(preds) }
        cell(9, "print(targets)") { print(targets) }
        let diff = preds - targets
        cell(11, "diff = preds - targets; diff.scalarCount") { print(diff.scalarCount) }
        cell(12, "(diff * diff).sum()") { print((diff * diff).sum()) }
        var loss = mse(preds, targets)
        cell(14, "loss = mse(preds, targets); print(loss)") { print(loss) }
        cell(15, "loss.backward()") { loss.backward() }
        cell(16, "print(w); print(w.grad!)") {
            print(w)
            print(w.grad!)
        }
        cell(17, "print(b); print(b.grad!)") {
            print(b)
            print(b.grad!)
        }
        cell(19, "noGrad { w -= w.grad! * 1e-5; b -= b.grad! * 1e-5 }   // run twice, as the notebook's output shows") {
            for _ in 0..<2 {
                noGrad {
                    w -= w.grad! * 1e-5
                    b -= b.grad! * 1e-5
                }
            }
        }
        cell(21, "w.grad!.zero(); b.grad!.zero(); print(w.grad!); print(b.grad!)") {
            w.grad!.zero()
            b.grad!.zero()
            print(w.grad!)
            print(b.grad!)
        }
        cell(25, "print(w, b)") { print(w, b) }
        preds = model(inputs)
        cell(22, "preds = model(inputs); print(preds)") { print(preds) }
        loss = mse(preds, targets)
        cell(23, "loss = mse(preds, targets); print(loss)") { print(loss) }
        cell(31, "for _ in 0..<\(epochs) { loss = mse(model(inputs), targets); loss.backward(); noGrad { update w, b; zero grads } }") {
            for _ in 0..<epochs {
                let loss = mse(model(inputs), targets)
                loss.backward()
                noGrad {
                    w -= w.grad! * 1e-5
                    b -= b.grad! * 1e-5
                    w.grad!.zero()
                    b.grad!.zero()
                }
            }
        }
        preds = model(inputs)
        loss = mse(preds, targets)
        cell(32, "loss = mse(model(inputs), targets); print(loss)") { print(loss) }
        cell(33, "preds") { print(preds) }
        cell(34, "targets") { print(targets) }
        if seed == nil {
            print("""
                The notebook itself shows tensor(5.9635) after its training cell: it ran cells more than \
                once (In [31] follows In [25]) from unrounded weights, so its history cannot be replayed \
                exactly. Every value above is what PyTorch prints for the same cells from the printed start.
                """)
        }
    }

    /// Prints one cell: its number and code, then what it prints, then a blank line.
    private func cell(_ number: Int, _ code: String, _ body: () -> Void) {
        print("In [\(number)]: \(code)")
        body()
        print()
    }
}
