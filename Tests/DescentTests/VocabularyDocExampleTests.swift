import Testing
@testable import Descent
import DescentNN

/// The examples in the doc comments of the APIs issue 16 added, run as written (with their
/// results checked), so that an example cannot call an API that does not exist.
@Suite(.referenceKernels) struct VocabularyDocExampleTests {
    @Test func gradExamples() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = x.pow(3).sum()
        let dy = grad(outputs: [y], inputs: [x], createGraph: true)[0]!
        let d2y = grad(outputs: [dy.sum()], inputs: [x])[0]!
        #expect(d2y.scalars(as: Double.self) == [6, 12])
        let z = Tensor([0.5], requiresGrad: true)
        let dz = grad(outputs: z.sin().sum(), inputs: [z])[0]!
        #expect(Swift.abs(dz.item() - 0.8775825618903728) < 1e-6)
    }

    @Test func functionExamples() {
        enum ScaledSum: Function {
            static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor { inputs[0] + inputs[1] * 2 }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] { [gradOutput, gradOutput * 2] }
        }
        let a = Tensor([1.0], requiresGrad: true), b = Tensor([2.0], requiresGrad: true)
        #expect(ScaledSum.apply(a, b).gradFn?.name == "ScaledSumBackward")
        enum Hypot: BinaryFunction {
            static func forward(_ ctx: FunctionContext, _ a: Tensor, _ b: Tensor) -> Tensor {
                let r = (a * a + b * b).sqrt()
                ctx.saveForBackward(a, b, r)
                return r
            }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> (Tensor?, Tensor?) {
                let s = ctx.savedTensors
                return (gradOutput * s[0] / s[2], gradOutput * s[1] / s[2])
            }
        }
        let p = Tensor([3.0], dtype: .float64, requiresGrad: true), q = Tensor([4.0], dtype: .float64, requiresGrad: true)
        let r = Hypot.apply(p, q)
        r.backward(gradient: Tensor([1.0], dtype: .float64))
        #expect(r.item() == 5 && p.grad!.item() == 0.6 && q.grad!.item() == 0.8)
    }

    @Test func moduleExample() {
        exclusiveGlobalGenerator {
            final class Block: Module {
                let fc = Linear(inFeatures: 4, outFeatures: 4)
                override func forward(_ x: Tensor) -> Tensor { fc(x).relu() + x }
            }
            final class Net: Module {
                let scale = Parameter(Tensor.ones([]))
                let blocks = [Block(), Block()]
                override func forward(_ x: Tensor) -> Tensor { blocks.reduce(x) { $1($0) } * scale }
            }
            #expect(Net().namedParameters().map(\.0) == ["scale", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.1.fc.weight", "blocks.1.fc.bias"])
            let a = Parameter(Tensor.zeros(2))
            #expect("\(a)" == "Parameter containing:\ntensor([0., 0.], requires_grad=True)")
        }
    }

    @Test func opExamples() {
        #expect(Tensor([1, 2, 3], dtype: .int64).flip(0).scalars(as: Int64.self) == [3, 2, 1])
        #expect(Tensor([1, 2, 3, 4], dtype: .int64).roll(1).scalars(as: Int64.self) == [4, 1, 2, 3])
        #expect(Tensor([1, 2], dtype: .int64).repeat(2, 2).scalars(as: Int64.self) == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(Tensor([1, 2], dtype: .int64).repeatInterleave(2).scalars(as: Int64.self) == [1, 1, 2, 2])
        #expect(Tensor([1, 2, 3], dtype: .int64).cumsum(0).scalars(as: Int64.self) == [1, 3, 6])
        #expect(Tensor.arange(7.0).unfold(0, 3, 2).scalars(as: Double.self) == [0, 1, 2, 2, 3, 4, 4, 5, 6])
        #expect(Tensor.eye(3).diagonal().scalars(as: Double.self) == [1, 1, 1])
        #expect(Tensor([0.5, 1.5, 2.675]).round().scalars(as: Double.self) == [0, 2, 3])
        #expect(Tensor([5, -5], dtype: .int64).remainder(Tensor([3], dtype: .int64)).scalars(as: Int64.self) == [2, 1])
        #expect(Tensor([3.0, 1, 4, 1]).median().item() == 1)
        let q = Tensor.randn(1, 2, 3, 4, generator: Generator(seed: 1)), k = Tensor.randn(1, 2, 5, 4, generator: Generator(seed: 2))
        #expect(Tensor.einsum("bhqd,bhkd->bhqk", q, k).shape == [1, 2, 3, 5])
        let x = Tensor.randn(2, 3, generator: Generator(seed: 3))
        #expect(x.pad([1, 2]).shape == [2, 6])
        #expect(Tensor.ones(4, 4).tril().sum().item() == 10)
    }

    @Test func dataExamples() {
        exclusiveGlobalGenerator {
            let inputs = Tensor.randn(10, 3, generator: Generator(seed: 4)), targets = Tensor.randn(10, 2, generator: Generator(seed: 5))
            let train = TensorDataset(inputs, targets)
            #expect(train[0][0].shape == [3] && train[0][1].shape == [2])
            let parts = randomSplit(train, lengths: [8, 2], generator: Generator(seed: 42))
            #expect(parts[0].count == 8 && parts[1].count == 2)
            let loader = DataLoader(train, batchSize: 5, shuffle: true, generator: Generator(seed: 0))
            var rows = 0
            for batch in loader {
                let (xb, yb) = (batch[0], batch[1])
                rows += xb.shape[0]
                #expect(yb.shape[0] == xb.shape[0])
            }
            #expect(rows == 10)
        }
    }
}
