import ArgumentParser
import Descent

struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notebook")
    func run() throws {
        let inputs = Tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
        let targets = Tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
        print(targets); print(inputs)
        let w = Tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]], requiresGrad: true)
        let b = Tensor([-0.9878, 0.1373], requiresGrad: true)
        print(w); print(b)
        func model(_ x: Tensor) -> Tensor { x.matmul(w.t()) + b }
        func mse(_ t1: Tensor, _ t2: Tensor) -> Tensor {
            let diff = t1 - t2
            return (diff * diff).sum() / diff.scalarCount
        }
        let preds = model(inputs)
        print(preds)
        let loss = mse(preds, targets)
        print(loss)
        loss.backward()
        print(w.grad!, b.grad!)
        for _ in 0..<500 {
            let loss = mse(model(inputs), targets)
            loss.backward()
            noGrad {
                w -= w.grad! * 1e-5
                b -= b.grad! * 1e-5
                w.grad!.zero()
                b.grad!.zero()
            }
        }
        print(mse(model(inputs), targets))
        manualSeed(0)
        print(Tensor.randn(2, 3))
        print(Tensor.randn(4, 4))
        print(Tensor.arange(2000.0))
    }
}
