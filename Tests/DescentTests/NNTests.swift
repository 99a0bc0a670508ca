import Testing
import Descent
import DescentNN

/// torch.nn and torch.optim behaviour against PyTorch's own numbers.
@Suite(.serialized, .referenceKernels) struct NNTests {
    struct LinearInit: Decodable {
        let seed: UInt64
        let `in`: Int
        let out: Int
        let bias: Bool
        let weight: TensorFixture
        let bias_values: TensorFixture?
    }
    struct LossCase: Decodable {
        let name: String
        let input: TensorFixture
        let target: TensorFixture
        let reduction: String
        let loss: TensorFixture
        let grad: TensorFixture
        let grad_fn: String
    }
    struct Run: Decodable {
        let name: String
        let final_loss: Double
        let lrs: [Double]
        let params: [String: TensorFixture]
    }
    struct Optimizers: Decodable {
        let x: TensorFixture
        let y: TensorFixture
        let runs: [Run]
    }
    struct File: Decodable {
        let linear_init: [LinearInit]
        let losses: [LossCase]
        let optimizers: Optimizers
    }
    static let file: File? = try? Fixtures.load("nn", as: File.self)

    @Test func linearInitialisationIsPyTorchs() throws {
        try exclusiveGlobalGenerator {
            let cases = try #require(Self.file?.linear_init)
            for c in cases {
                manualSeed(c.seed)
                let layer = Linear(inFeatures: c.in, outFeatures: c.out, bias: c.bias)
                #expect(layer.weight.scalars(as: Double.self) == c.weight.doubles, "weight, seed \(c.seed)")
                if let b = c.bias_values {
                    #expect(layer.bias?.scalars(as: Double.self) == b.doubles, "bias, seed \(c.seed)")
                } else {
                    #expect(layer.bias == nil)
                }
            }
        }
    }

    @Test func namesAndParameters() {
        exclusiveGlobalGenerator {
            let net = Sequential(Linear(inFeatures: 4, outFeatures: 8), ReLU(), Linear(inFeatures: 8, outFeatures: 3))
            #expect(net.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
            #expect(net.parameters().count == 4)
            net.eval()
            #expect(!net.children()[0].isTraining)
            net.train()
            #expect(net.children()[2].isTraining)
            let y = net(Tensor.randn(5, 4))
            #expect(y.shape == [5, 3])
            #expect(y.gradFn?.name == "AddmmBackward0")
        }
    }

    static func reduction(_ s: String) -> Reduction {
        s == "sum" ? .sum : s == "none" ? .none : .mean
    }

    @Test(arguments: (file?.losses ?? []).map(\.name))
    func lossesMatchPyTorch(_ name: String) throws {
        let c = try #require(Self.file?.losses.first { $0.name == name })
        let x = c.input.tensor(requiresGrad: true)
        let target = c.target.tensor()
        let r = Self.reduction(c.reduction)
        let loss: Tensor
        switch name.split(separator: "_")[0] {
        case "mse": loss = MSELoss(reduction: r)(x, target)
        case "ceprob": loss = CrossEntropyLoss(reduction: r)(x, target)
        case "nll": loss = Functional.nllLoss(x, target, reduction: r)
        case "l1": loss = L1Loss(reduction: r)(x, target)
        case "huber": loss = HuberLoss(reduction: r, delta: 0.7)(x, target)
        case "smoothl1": loss = SmoothL1Loss(reduction: r, beta: 0.5)(x, target)
        case "bce": loss = BCELoss(reduction: r)(x, target)
        case "bcelogits": loss = BCEWithLogitsLoss(reduction: r)(x, target)
        default: loss = CrossEntropyLoss(reduction: r)(x, target)
        }
        #expect(close(loss.scalars(as: Double.self), c.loss.doubles, rtol: 1e-5, atol: 1e-6), "\(name) value")
        loss.backward(gradient: Tensor.ones(like: loss))
        #expect(close(x.grad!.scalars(as: Double.self), c.grad.doubles, rtol: 1e-4, atol: 1e-6), "\(name) gradient")
        if name.hasPrefix("ce_") || name.hasPrefix("nll") { #expect(loss.gradFn?.name == c.grad_fn) }
        #expect(loss.isfinite().all().item() == 1)
    }

    @Test(arguments: (file?.optimizers.runs ?? []).map(\.name))
    func hundredStepsMatchPyTorch(_ name: String) throws {
        try exclusiveGlobalGenerator {
            let fixture = try #require(Self.file?.optimizers)
            let run = try #require(fixture.runs.first { $0.name == name })
            manualSeed(0)
            let net = Sequential(Linear(inFeatures: 4, outFeatures: 8), ReLU(), Linear(inFeatures: 8, outFeatures: 3))
            let p = net.parameters()
            var opt: Optimizer = SGD(p, lr: 0.1, momentum: 0.5)
            var scheduler: LRScheduler? = nil
            var plateau: ReduceLROnPlateau? = nil
            switch name {
            case "sgd": opt = SGD(p, lr: 0.1)
            case "sgd_momentum": opt = SGD(p, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
            case "sgd_nesterov": opt = SGD(p, lr: 0.05, momentum: 0.9, nesterov: true)
            case "adam": opt = Adam(p, lr: 1e-2)
            case "adam_amsgrad": opt = Adam(p, lr: 1e-2, weightDecay: 0.01, amsgrad: true)
            case "adamw": opt = AdamW(p, lr: 1e-2, weightDecay: 0.05)
            case "rmsprop": opt = RMSprop(p, lr: 1e-3)
            case "rmsprop_momentum_centered": opt = RMSprop(p, lr: 1e-3, weightDecay: 0.01, momentum: 0.5, centered: true)
            case "adagrad": opt = Adagrad(p, lr: 5e-2, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1)
            case "step_lr": scheduler = StepLR(opt, stepSize: 7, gamma: 0.5)
            case "multistep_lr": scheduler = MultiStepLR(opt, milestones: [10, 30, 30, 60], gamma: 0.5)
            case "exponential_lr": scheduler = ExponentialLR(opt, gamma: 0.97)
            case "cosine_lr": scheduler = CosineAnnealingLR(opt, tMax: 25, etaMin: 0.001)
            case "linear_lr": scheduler = LinearLR(opt, startFactor: 0.25, endFactor: 1.0, totalIters: 40)
            case "plateau": plateau = ReduceLROnPlateau(opt, factor: 0.5, patience: 3, threshold: 0.05)
            default: Issue.record("no Descent configuration for \(name)")
            }
            let x = fixture.x.tensor(), y = fixture.y.tensor()
            var lrs: [Double] = []
            for _ in 0..<100 {
                opt.zeroGrad()
                let loss = CrossEntropyLoss()(net(x), y)
                loss.backward()
                if name == "sgd" { clipGradNorm(net.parameters(), maxNorm: 0.5) }
                opt.step()
                scheduler?.step()
                plateau?.step(loss.item())
                lrs.append(opt.paramGroups[0].lr!)
            }
            #expect(close(lrs, run.lrs, rtol: 1e-12, atol: 0), "\(name): learning rates")
            for (key, value) in net.stateDict().items {
                let expected = try #require(run.params[key])
                #expect(close(value.scalars(as: Double.self), expected.doubles, rtol: 1e-5, atol: 1e-6), "\(name): \(key)")
            }
            let loss = CrossEntropyLoss()(net(x), y).item()
            #expect(Swift.abs(loss - run.final_loss) <= 1e-5 * Swift.abs(run.final_loss) + 1e-7)
        }
    }

    @Test func stateDictRoundTripAndStrictErrors() throws {
        try exclusiveGlobalGenerator {
            manualSeed(0)
            let a = Sequential(Linear(inFeatures: 3, outFeatures: 2))
            let b = Sequential(Linear(inFeatures: 3, outFeatures: 2))
            try b.loadStateDict(a.stateDict())
            #expect(b.parameters()[0].scalars(as: Float.self) == a.parameters()[0].scalars(as: Float.self))
            var broken = a.stateDict()
            broken["0.bias"] = nil
            broken["extra"] = Tensor.zeros(1)
            broken["0.weight"] = Tensor.zeros(3, 3)
            do {
                try b.loadStateDict(broken)
                Issue.record("expected an error")
            } catch let error as StateDictError {
                let text = error.description
                #expect(text.contains("Missing key(s) in state_dict: \"0.bias\"."))
                #expect(text.contains("Unexpected key(s) in state_dict: \"extra\"."))
                #expect(text.contains("size mismatch for 0.weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 3])."))
            }
            // Nothing was copied from the rejected dict.
            #expect(b.parameters()[0].scalars(as: Float.self) == a.parameters()[0].scalars(as: Float.self))
        }
    }

    @Test func clipGradValueClamps() {
        let w = Tensor([1, 2, 3], requiresGrad: true)
        (w * Tensor([-4, 0.1, 9])).sum().backward()
        clipGradValue([w], clipValue: 1)
        #expect(w.grad!.scalars(as: Float.self) == [-1, 0.1, 1])
        let norm = clipGradNorm([w], maxNorm: 0.5)
        #expect(Swift.abs(norm - (2.01).squareRoot()) < 1e-6)
    }

    @Test func zeroGradSetsNilOrZero() {
        exclusiveGlobalGenerator {
            let layer = Linear(inFeatures: 2, outFeatures: 1)
            layer(Tensor.ones(1, 2)).sum().backward()
            layer.zeroGrad(setToNil: false)
            #expect(layer.weight.grad?.scalars(as: Float.self) == [0, 0])
            layer.zeroGrad()
            #expect(layer.weight.grad == nil)
        }
    }
}

/// Dropout's contract: scaling, zeroing rate, identity in evaluation, gradient through the mask.
struct DropoutTests {
    @Test func dropoutScalesKeepsAndEvaluatesAsIdentity() {
        exclusiveGlobalGenerator {
            let x = Tensor.ones(100_000, requiresGrad: true)
            let layer = Dropout(p: 0.25)
            let y = layer(x)
            let values = y.scalars(as: Float.self)
            #expect(Set(values).isSubset(of: [0, Float(1 / 0.75)]))
            let zeroFraction = Double(values.filter { $0 == 0 }.count) / Double(values.count)
            #expect(Swift.abs(zeroFraction - 0.25) < 0.01)
            y.sum().backward()
            #expect(x.grad!.scalars(as: Float.self) == values)
            layer.eval()
            #expect(layer(x) === x)
        }
    }
}

/// Optimizer state dicts: stopping and resuming gives the same parameters as never stopping.
struct OptimizerStateTests {
    static func run(_ make: ([Tensor]) -> Optimizer, resumeAt: Int?) throws -> [Float] {
        let g = Generator(seed: 9)
        let x = Tensor.randn(16, 4, generator: g), y = Tensor.randint(0, 3, [16], generator: g)
        var net = Sequential(Linear(inFeatures: 4, outFeatures: 8, generator: g), ReLU(), Linear(inFeatures: 8, outFeatures: 3, generator: g))
        var opt = make(net.parameters())
        for step in 0..<40 {
            if step == resumeAt {
                // A fresh model and optimizer, restored from the state dicts.
                let modelState = net.stateDict(), optimizerState = opt.stateDict()
                net = Sequential(Linear(inFeatures: 4, outFeatures: 8, generator: g), ReLU(), Linear(inFeatures: 8, outFeatures: 3, generator: g))
                try net.loadStateDict(modelState)
                opt = make(net.parameters())
                try opt.loadStateDict(optimizerState)
            }
            opt.zeroGrad()
            CrossEntropyLoss()(net(x), y).backward()
            opt.step()
        }
        return net.parameters().flatMap { $0.scalars(as: Float.self) }
    }

    @Test func resumingIsExact() throws {
        try exclusiveGlobalGenerator {
            let makers: [([Tensor]) -> Optimizer] = [
                { Adam($0, lr: 1e-2, amsgrad: true) }, { SGD($0, lr: 0.1, momentum: 0.9) },
                { AdamW($0, lr: 1e-2) }, { RMSprop($0, lr: 1e-3, momentum: 0.5, centered: true) }, { Adagrad($0, lr: 0.05) },
            ]
            for make in makers {
                let resumed = try Self.run(make, resumeAt: 17)
                let straight = try Self.run(make, resumeAt: nil)
                #expect(resumed == straight)
            }
        }
    }

    @Test func mismatchedStateIsRefused() {
        let a = Adam([Tensor.zeros(3, requiresGrad: true)])
        let b = Adam([Tensor.zeros(3, requiresGrad: true), Tensor.zeros(2, requiresGrad: true)])
        #expect(throws: OptimizerStateError.self) { try b.loadStateDict(a.stateDict()) }
    }
}

/// Parameter groups keep their own hyper-parameters.
struct ParamGroupTests {
    @Test func groupsUseTheirOwnLearningRates() {
        for make in [
            { (groups: [ParamGroup]) -> Optimizer in SGD(groups, lr: 0.1) },
            { Adam($0, lr: 0.1) }, { AdamW($0, lr: 0.1) }, { RMSprop($0, lr: 0.1) }, { Adagrad($0, lr: 0.1) },
        ] as [([ParamGroup]) -> Optimizer] {
            let a = Tensor([1.0], requiresGrad: true), b = Tensor([1.0], requiresGrad: true)
            let opt = make([ParamGroup([a]), ParamGroup([b], lr: 0)])
            (a + b).sum().backward()
            opt.step()
            #expect(a.item() != 1)
            #expect(b.item() == 1)
            #expect(opt.paramGroups[1].lr == 0)
        }
    }
}
