import Testing
@testable import Descent
import DescentNN

/// The examples in the doc comments of the APIs issue 15 added, run as written (with their
/// results checked), so that an example cannot call an API that does not exist.
@Suite(.referenceKernels) struct DocExampleTests {
    @Test func powers() {
        #expect(Tensor([-2, 3]).pow(3).scalars(as: Double.self) == [-8, 27])
        let i = Tensor(shape: [3], scalars: [Int64(1), 2, 3]).pow(2)
        #expect(i.dtype == .int64 && i.scalars(as: Int64.self) == [1, 4, 9])
        #expect(Tensor.pow(-2, Tensor([2, 3])).scalars(as: Double.self) == [4, -8])
        let p = Tensor.pow(2, Tensor(shape: [3], scalars: [0, 1, 2]))
        #expect(p.dtype == .int64 && p.scalars(as: Int64.self) == [1, 2, 4])
    }

    @Test func integerDraws() {
        let g = Generator(seed: 0)
        let dice = Tensor.empty([3], dtype: .int64).random(from: 1, to: 7, generator: g)
        #expect(dice.scalars(as: Int64.self).allSatisfy { (1..<7).contains($0) })
        let seed = Tensor.empty([], dtype: .int64).random(generator: g).item(as: Int64.self)
        #expect(seed >= 0)
    }

    @Test func indexAssignment() {
        let d = Tensor([-1, 2, -3])
        d[d .< 0] = Tensor(0)
        #expect(d.scalars(as: Double.self) == [0, 2, 0])
        let c = Tensor([1, 2, 3])
        c[Tensor([0, 2], dtype: .int64)] = Tensor(9)
        #expect(c.scalars(as: Double.self) == [9, 2, 9])
    }

    @Test func severalIndexTensors() {
        let logProbs = Tensor(shape: [3, 2], scalars: [0.1, 0.9, 0.8, 0.2, 0.3, 0.7]).log()
        let targets = Tensor(shape: [3], scalars: [Int64(1), 0, 1])
        let picked = logProbs[Tensor.arange(logProbs.size(0)), targets]   // one per row
        #expect(picked.shape == [3])
        #expect(picked.scalars(as: Double.self) == [logProbs[0, 1].item(), logProbs[1, 0].item(), logProbs[2, 1].item()])
    }

    @Test func creationDTypes() {
        #expect(Tensor.full([2, 2], 7).dtype == .int64)
        #expect(Tensor.full([2, 2], 7.5).dtype == .float32)
        #expect(Tensor(shape: [2, 3], scalars: [1.0, 2, 3, 4, 5, 6]).dtype == .float32)
        #expect(Tensor(shape: [3], scalars: [2, 0, 1]).dtype == .int64)
        #expect(Tensor.resultType(Tensor.ones(3), Tensor(2.0, dtype: .float64)) == .float32)
    }

    @Test func fillWithATensor() {
        let x = Tensor.zeros(3)
        x.fill(Tensor(0.5))
        #expect(x.scalars(as: Double.self) == [0.5, 0.5, 0.5])
    }

    @Test func fusedLosses() {
        let preds = Tensor([0.5, 1.5, -1], requiresGrad: true), targets = Tensor([1, 1, 0])
        #expect(Tensor.mseLoss(preds, targets).gradFn?.name == "MseLossBackward0")
        #expect(Tensor.huberLoss(preds, targets, delta: 1).gradFn?.name == "HuberLossBackward0")
        #expect(Tensor.smoothL1Loss(preds, targets, beta: 0.5).gradFn?.name == "SmoothL1LossBackward0")
        let probs = preds.sigmoid(), labels = Tensor([1, 0, 1])
        #expect(Tensor.binaryCrossEntropy(probs, labels).gradFn?.name == "BinaryCrossEntropyBackward0")
        #expect(Tensor.binaryCrossEntropyWithLogits(preds, labels).gradFn?.name == "BinaryCrossEntropyWithLogitsBackward0")
        #expect(Functional.mseLoss(preds, targets).gradFn?.name == "MseLossBackward0")
    }

    @Test func capability() {
        #expect(CPUCapability.current == .default)   // pinned by the suite's trait
        #expect(CPUCapability(rawValue: "avx2") == .avx2)
    }
}

/// The examples of `CompiledStep` and `compile`, as written there.
struct CompileDocExampleTests {
    @Test func compiledStepExample() {
        let x = Tensor([[73, 67, 43], [91, 88, 64]]), y = Tensor([[56, 70], [81, 101]])
        let (w, b) = exclusiveGlobalGenerator { (Tensor.randn(2, 3, requiresGrad: true), Tensor.randn(2, requiresGrad: true)) }
        let step = compile { (x: Tensor, y: Tensor) -> Tensor in
            let d = x.matmul(w.t()) + b - y
            let loss = (d * d).sum() / d.scalarCount
            loss.backward()
            noGrad {
                w -= w.grad! * 1e-5
                b -= b.grad! * 1e-5
                w.grad!.zero()
                b.grad!.zero()
            }
            return loss
        }
        for _ in 0..<100 { _ = step(x, y) }
        #expect(step.replays == 98)
        let last = step.repeated(500, x, y)
        #expect(last.rank == 0 && last.gradFn == nil)
    }
}

extension CompileDocExampleTests {
    @Test func compileWithoutInputsExample() {
        let inputs = Tensor([[73, 67, 43], [91, 88, 64]]), targets = Tensor([[56, 70], [81, 101]])
        let (w, b) = exclusiveGlobalGenerator { (Tensor.randn(2, 3, requiresGrad: true), Tensor.randn(2, requiresGrad: true)) }
        let step = compile { () -> Tensor in
            let d = inputs.matmul(w.t()) + b - targets
            let loss = (d * d).mean()
            loss.backward()
            noGrad {
                w -= w.grad! * 1e-5
                b -= b.grad! * 1e-5
                w.grad = nil
                b.grad = nil
            }
            return loss
        }
        let loss = step.repeated(500)   // 500 epochs in one call
        #expect(step.fallbackReason == nil)
        #expect(step.replays == 498)
        #expect(loss.rank == 0)
    }
}
