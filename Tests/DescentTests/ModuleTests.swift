import Testing
import Descent
import DescentNN

/// Modules find their parameters, children and buffers by themselves, under PyTorch's names.
struct ModuleTests {
    final class Block: Module {
        let fc = Linear(inFeatures: 3, outFeatures: 3)
        override func forward(_ x: Tensor) -> Tensor { fc(x).relu() + x }
    }

    final class Net: Module {
        let scale = Parameter(Tensor.ones([]))
        let blocks = [Block(), Block()]
        let head: Linear? = Linear(inFeatures: 3, outFeatures: 1, bias: false)
        let missing: Linear? = nil
        let inProjWeight = Parameter(Tensor.zeros(2, 3))
        let notAParameter = Tensor.zeros(4)   // a plain tensor attribute is not registered, as in PyTorch
        override init() {
            super.init()
            registerBuffer("running_mean", Tensor.zeros(3))
            registerBuffer("scratch", Tensor.zeros(1), persistent: false)
        }
        override func forward(_ x: Tensor) -> Tensor { head!(blocks.reduce(x) { $1($0) }) * scale }
    }

    @Test func reflectionFindsEverythingInDeclarationOrder() {
        exclusiveGlobalGenerator {
            let net = Net()
            #expect(net.namedParameters().map(\.0) == [
                "scale", "in_proj_weight", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.1.fc.weight", "blocks.1.fc.bias",
                "head.weight",
            ])
            #expect(net.namedChildren.map(\.0) == ["blocks", "head"])
            #expect(net.stateDict().keys == [
                "scale", "in_proj_weight", "running_mean", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.1.fc.weight",
                "blocks.1.fc.bias", "head.weight",
            ])
            #expect(net.namedBuffers().map(\.0) == ["running_mean", "scratch"])
            #expect(net.parameters().allSatisfy { $0.requiresGrad })
        }
    }

    @Test func trainEvalAndZeroGradReachArrayChildren() {
        exclusiveGlobalGenerator {
            let net = Net()
            net.eval()
            #expect(!net.blocks[1].isTraining && !net.blocks[1].fc.isTraining)
            net.train()
            #expect(net.blocks[1].fc.isTraining)
            let y = net(Tensor.ones(2, 3)).sum()
            y.backward()
            #expect(net.blocks[0].fc.weight.grad != nil)
            net.zeroGrad()
            #expect(net.blocks[0].fc.weight.grad == nil)
        }
    }

    @Test func stateDictRoundTripsBuffers() throws {
        try exclusiveGlobalGenerator {
            let a = Net(), b = Net()
            noGrad { a.buffer("running_mean")!.fill(2.5) }
            try b.loadStateDict(a.stateDict())
            #expect(b.buffer("running_mean")!.scalars(as: Float.self) == [2.5, 2.5, 2.5])
            #expect(b.blocks[1].fc.weight.scalars(as: Float.self) == a.blocks[1].fc.weight.scalars(as: Float.self))
        }
    }

    @Test func pytorchNames() {
        exclusiveGlobalGenerator {
            let cases = ["fc1": "fc1", "inProj": "in_proj", "weightIhL0": "weight_ih_l0", "runningMean": "running_mean",
                         "conv2d": "conv2d", "qkvProj": "qkv_proj", "lnF": "ln_f"]
            final class Probe: Module {
                let fc1 = Parameter(Tensor.zeros(1)), inProj = Parameter(Tensor.zeros(1))
                let weightIhL0 = Parameter(Tensor.zeros(1)), runningMean = Parameter(Tensor.zeros(1))
                let conv2d = Parameter(Tensor.zeros(1)), qkvProj = Parameter(Tensor.zeros(1)), lnF = Parameter(Tensor.zeros(1))
            }
            #expect(Probe().namedParameters().map(\.0) == ["fc1", "inProj", "weightIhL0", "runningMean", "conv2d", "qkvProj", "lnF"].map { cases[$0]! })
        }
    }

    @Test func parameterPrintsAsPyTorchDoes() {
        exclusiveGlobalGenerator {
            // torch.nn.Parameter(torch.zeros(2)) prints exactly this.
            #expect(Parameter(Tensor.zeros(2)).description == "Parameter containing:\ntensor([0., 0.], requires_grad=True)")
            let p = Parameter(Tensor.ones(2))
            #expect((p * 2).description == "tensor([2., 2.], grad_fn=<MulBackward0>)")
            #expect(p.isLeaf && p.requiresGrad)
        }
    }

    @Test func sequentialIndexesAndSlices() {
        exclusiveGlobalGenerator {
            let model = Sequential(Linear(inFeatures: 4, outFeatures: 8), ReLU(), Linear(inFeatures: 8, outFeatures: 2))
            #expect(model[0] is Linear)
            #expect(model[-1] is Linear)
            let firstTwo = model[0..<2]
            #expect(firstTwo.count == 2)
            #expect(firstTwo.namedParameters().map(\.0) == ["0.weight", "0.bias"])
            #expect(firstTwo.parameters()[0] === model.parameters()[0])
        }
    }

    @Test func moduleListAndDict() {
        exclusiveGlobalGenerator {
            let list = ModuleList([Linear(inFeatures: 2, outFeatures: 2)])
            list.append(Linear(inFeatures: 2, outFeatures: 2))
            #expect(list.count == 2)
            #expect(list.namedParameters().map(\.0) == ["0.weight", "0.bias", "1.weight", "1.bias"])
            let dict = ModuleDict(["encoder": Linear(inFeatures: 2, outFeatures: 3), "decoder": Linear(inFeatures: 3, outFeatures: 2)])
            #expect(dict.keys == ["encoder", "decoder"])
            #expect(dict.namedParameters().map(\.0) == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"])
            #expect(dict["decoder"] is Linear)
        }
    }

    @Test func parametersAndBuffersMoveWithTheModule() {
        exclusiveGlobalGenerator {
            let net = Net()
            let weight = net.blocks[0].fc.weight
            let before = weight.scalars(as: Double.self)
            net(Tensor.ones(2, 3)).sum().backward()
            net.registerBuffer("steps", Tensor.zeros([], dtype: .int64))
            net.double()
            #expect(net.parameters().allSatisfy { $0.dtype == .float64 })
            #expect(net.buffer("running_mean")!.dtype == .float64)
            #expect(net.buffer("steps")!.dtype == .int64, "integer buffers keep their dtype")
            #expect(weight === net.blocks[0].fc.weight && weight.dtype == .float64, "the same tensor, converted")
            #expect(weight.scalars(as: Double.self) == before)
            #expect(weight.grad?.dtype == .float64)
            #expect(weight.isLeaf && weight.requiresGrad)
            let y = net(Tensor.ones(2, 3, dtype: .float64))
            #expect(y.dtype == .float64)
            y.sum().backward()
            net.float()
            #expect(net.parameters().allSatisfy { $0.dtype == .float32 })
        }
    }
}
