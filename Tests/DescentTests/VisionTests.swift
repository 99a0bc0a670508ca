import Foundation
import Testing
@testable import Descent
import DescentData
@testable import DescentNN

/// Vision layers against PyTorch (Scripts/make_vision_fixtures.py): initialisation under the
/// same seed, and LeNet-5, a ResNet basic block and a DCGAN trained from PyTorch's initial
/// state dicts to PyTorch's losses, parameters and running statistics.
struct VisionTests {
    struct StateFixture: Decodable {
        let shape: [Int]
        let values: [Double]
    }
    struct DCGANFixture: Decodable {
        let err_d: Double, err_g: Double, d_x: Double, d_g_z1: Double, d_g_z2: Double
    }
    struct File: Decodable {
        let layers: [String: [String: StateFixture]]
        let `init`: [String: StateFixture]
        let lenet_losses: [Double]
        let resnet_block_losses: [Double]
        let dcgan: DCGANFixture
        let padding_and_norm: [String: StateFixture]
    }
    static let file = try? Fixtures.load("vision", as: File.self)

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/vision/" + name, withExtension: nil)
            ?? Bundle.module.resourceURL?.appendingPathComponent("Fixtures/vision/\(name)"))
    }

    static func tensors(_ name: String) throws -> [String: Tensor] {
        try Safetensors.read(from: url(name)).tensors
    }

    static let layers: [String: (UInt64, @Sendable () -> Module)] = [
        "conv1d": (0, { Conv1d(inChannels: 3, outChannels: 4, kernelSize: 3) }),
        "conv2d": (1, { Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2) }),
        "conv2d_groups_nobias": (2, { Conv2d(inChannels: 4, outChannels: 6, kernelSize: [3, 2], groups: 2, bias: false) }),
        "conv3d": (3, { Conv3d(inChannels: 2, outChannels: 3, kernelSize: 2) }),
        "conv_transpose1d": (4, { ConvTranspose1d(inChannels: 3, outChannels: 2, kernelSize: 4) }),
        "conv_transpose2d": (5, { ConvTranspose2d(inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2) }),
        "batch_norm2d": (6, { BatchNorm2d(numFeatures: 3) }),
        "prelu": (7, { PReLU(numParameters: 3) }),
    ]

    @Test(arguments: layers.keys.sorted())
    func layersInitialiseAsPyTorch(_ name: String) throws {
        let expected = try #require(Self.file?.layers[name])
        let (seed, make) = try #require(Self.layers[name])
        let state = exclusiveGlobalGenerator {
            manualSeed(seed)
            return make().stateDict()
        }
        #expect(Set(state.keys) == Set(expected.keys))
        for (key, tensor) in state.items {
            let e = try #require(expected[key])
            #expect(tensor.shape == e.shape, "\(name).\(key)")
            #expect(tensor.scalars(as: Double.self) == e.values, "\(name).\(key) differs from PyTorch's")
        }
    }

    static let initialisers: [String: @Sendable (Tensor) -> Void] = [
        "kaiming_uniform": { Init.kaimingUniform($0) },
        "kaiming_uniform_relu_fan_out": { Init.kaimingUniform($0, mode: .fanOut, nonlinearity: .relu) },
        "kaiming_normal": { Init.kaimingNormal($0, a: 0.2) },
        "xavier_uniform": { Init.xavierUniform($0, gain: Init.calculateGain(.tanh)) },
        "xavier_normal": { Init.xavierNormal($0) },
        "trunc_normal": { Init.truncNormal($0, mean: 0.5, std: 2, a: -1, b: 3) },
        "trunc_normal_tail": { Init.truncNormal($0, mean: 0, std: 1, a: 2, b: 3) },
        "orthogonal": { Init.orthogonal($0, gain: 2) },
        "orthogonal_tall": { Init.orthogonal($0) },
    ]

    @Test(arguments: initialisers.keys.sorted())
    func initDrawsPyTorchsNumbers(_ name: String) throws {
        let expected = try #require(Self.file?.`init`[name])
        let initialise = try #require(Self.initialisers[name])
        let w = exclusiveGlobalGenerator {
            manualSeed(11)
            let w = Tensor.empty(expected.shape)
            initialise(w)
            return w
        }
        if name.hasPrefix("orthogonal") {
            // QR rounds differently (Householder in LAPACK, Descent's own here).
            #expect(close(w.scalars(as: Double.self), expected.values, rtol: 1e-5, atol: 1e-6))
        } else {
            #expect(w.scalars(as: Double.self) == expected.values)
        }
    }

    @Test(arguments: [ConvPaddingMode.zeros, .reflect, .replicate, .circular])
    func convPaddingModesMatchPyTorch(_ mode: ConvPaddingMode) throws {
        let cases = try #require(Self.file?.padding_and_norm)
        let input = try #require(cases["padding_input"]), expected = try #require(cases["padding_\(mode.rawValue)"])
        let x = Tensor(shape: input.shape, scalars: input.values)
        let y = exclusiveGlobalGenerator {
            manualSeed(51)
            return Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: [1, 2], paddingMode: mode)(x)
        }
        #expect(y.shape == expected.shape)
        #expect(close(y.scalars(as: Double.self), expected.values, rtol: 1e-5, atol: 1e-6))
    }

    /// 2 x 2 windows at stride 2 take their own loop; its ties, NaNs, infinities and signed
    /// zeros must pick PyTorch's values and indices (PyTorch 2.15's output for this input,
    /// float32 and float64 alike): the first of equal values, the last NaN.
    @Test(arguments: [DType.float32, .float64])
    func maxPoolTwoByTwoPicksPyTorchsWinner(_ dtype: DType) {
        let nan = Double.nan, inf = Double.infinity
        let x = Tensor([1, 3, nan, 5, -inf, -inf, 2, 2,
                        3, 2, nan, 1, -inf, -inf, 2, 2,
                        0, -1, 7, nan, -0.0, 0, 4, 1,
                        -2, -1, nan, 7, 0, -0.0, 1, 4] as [Double]).view(1, 1, 4, 8).to(dtype)
        let (values, indices) = Tensor.maxPool2dWithIndices(x, kernelSize: 2)
        #expect(indices.scalars(as: Int64.self) == [1, 10, 4, 6, 16, 26, 20, 22])
        let v = values.scalars(as: Double.self)
        #expect(v[0] == 3 && v[1].isNaN && v[2] == -inf && v[3] == 2 && v[4] == 0 && v[5].isNaN && v[7] == 4)
        #expect(v[6] == 0 && v[6].sign == .minus)
        // The general loop (windows of 2 x 2 at stride 1, every second one kept) agrees.
        let (general, generalIndices) = Tensor.maxPool2dWithIndices(x, kernelSize: 2, stride: 1)
        let kept = general[.all, .all, .slice(0, nil, step: 2), .slice(0, nil, step: 2)]
        #expect(generalIndices[.all, .all, .slice(0, nil, step: 2), .slice(0, nil, step: 2)].scalars(as: Int64.self) == indices.scalars(as: Int64.self))
        #expect(kept.scalars(as: Double.self).map(\.bitPattern) == v.map(\.bitPattern))
    }

    @Test func batchNormWithoutMomentumAveragesCumulatively() throws {
        let cases = try #require(Self.file?.padding_and_norm)
        let g = Generator(seed: 50)
        _ = Tensor.randn([2, 2, 5, 6], generator: g)   // the padding cases' input, drawn first
        let bn = BatchNorm2d(numFeatures: 3, momentum: nil)
        for _ in 0..<3 { _ = bn(Tensor.randn([4, 3, 2, 2], generator: g) * 2 + 1) }
        #expect(close(bn.runningMean!.scalars(as: Double.self), try #require(cases["cumulative_mean"]).values))
        #expect(close(bn.runningVar!.scalars(as: Double.self), try #require(cases["cumulative_var"]).values))
        #expect(bn.numBatchesTracked?.item(as: Int64.self) == 3)
    }

    @Test func applyVisitsChildrenFirstAndNamedModulesNamesThem() {
        exclusiveGlobalGenerator {
            let net = Sequential(Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3), BatchNorm2d(numFeatures: 2), ReLU())
            var seen: [String] = []
            net.apply { seen.append(String(describing: type(of: $0))) }
            #expect(seen == ["Conv2d", "BatchNorm2d", "ReLU", "Sequential"])
            #expect(net.namedModules().map(\.0) == ["", "0", "1", "2"])
        }
    }

    static func lenet() -> Sequential {
        Sequential(Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2),
                   Conv2d(inChannels: 6, outChannels: 16, kernelSize: 5), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
                   Linear(inFeatures: 400, outFeatures: 120), ReLU(), Linear(inFeatures: 120, outFeatures: 84), ReLU(),
                   Linear(inFeatures: 84, outFeatures: 10))
    }

    /// Every entry of a state dict within `1e-4` (relative, with an absolute floor) of PyTorch's.
    static func expectState(_ module: Module, _ file: String, atol: Double = 1e-5) throws {
        let expected = try tensors(file)
        let state = module.stateDict()
        #expect(Set(state.keys) == Set(expected.keys))
        for (key, tensor) in state.items {
            let e = try #require(expected[key])
            #expect(close(tensor.scalars(as: Double.self), e.scalars(as: Double.self), rtol: 1e-4, atol: atol), "\(file): \(key)")
        }
    }

    @Test func lenetTrainsToPyTorchsNumbers() throws {
        let losses = try #require(Self.file?.lenet_losses)
        let net = exclusiveGlobalGenerator { Self.lenet() }
        try net.loadStateDict(StateDict(Self.tensors("lenet_init.safetensors").map { ($0.key, $0.value) }))
        let data = try Self.tensors("lenet_data.safetensors")
        let (x, y) = (try #require(data["x"]), try #require(data["y"]))
        let optimizer = SGD(net.parameters(), lr: 0.01, momentum: 0.9)
        let loss = CrossEntropyLoss()
        for step in 0..<20 {
            optimizer.zeroGrad()
            let l = loss(net(x[step]), y[step])
            l.backward()
            optimizer.step()
            #expect(Swift.abs(l.item() - losses[step]) <= 1e-4 * Swift.abs(losses[step]), "step \(step): \(l.item()) vs \(losses[step])")
        }
        try Self.expectState(net, "lenet_final.safetensors")
    }

    final class BasicBlock: Module {
        let conv1 = Conv2d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, bias: false)
        let bn1 = BatchNorm2d(numFeatures: 8)
        let conv2 = Conv2d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, bias: false)
        let bn2 = BatchNorm2d(numFeatures: 8)
        override func forward(_ x: Tensor) -> Tensor { (bn2(conv2(bn1(conv1(x)).relu())) + x).relu() }
    }

    @Test func resnetBlockTrainsToPyTorchsNumbers() throws {
        let losses = try #require(Self.file?.resnet_block_losses)
        let block = exclusiveGlobalGenerator { BasicBlock() }
        try block.loadStateDict(StateDict(Self.tensors("resnet_block_init.safetensors").map { ($0.key, $0.value) }))
        let x = try #require(Self.tensors("resnet_block_data.safetensors")["x"])
        let optimizer = Adam(block.parameters(), lr: 1e-3)
        for step in 0..<20 {
            optimizer.zeroGrad()
            let l = (block(x[step]) - 0.5).square().mean()
            l.backward()
            optimizer.step()
            #expect(Swift.abs(l.item() - losses[step]) <= 1e-4 * Swift.abs(losses[step]), "step \(step): \(l.item()) vs \(losses[step])")
        }
        try Self.expectState(block, "resnet_block_final.safetensors")
        #expect(block.bn1.numBatchesTracked?.item(as: Int64.self) == 20)
    }

    @Test func dcganStepGivesPyTorchsLosses() throws {
        let expected = try #require(Self.file?.dcgan)
        let (generator, discriminator) = exclusiveGlobalGenerator { () -> (Sequential, Sequential) in
            let g = Sequential(
                ConvTranspose2d(inChannels: 8, outChannels: 16, kernelSize: 4, stride: 1, padding: 0, bias: false), BatchNorm2d(numFeatures: 16), ReLU(),
                ConvTranspose2d(inChannels: 16, outChannels: 8, kernelSize: 4, stride: 2, padding: 1, bias: false), BatchNorm2d(numFeatures: 8), ReLU(),
                ConvTranspose2d(inChannels: 8, outChannels: 1, kernelSize: 4, stride: 2, padding: 1, bias: false), Tanh())
            let d = Sequential(
                Conv2d(inChannels: 1, outChannels: 8, kernelSize: 4, stride: 2, padding: 1, bias: false), LeakyReLU(negativeSlope: 0.2),
                Conv2d(inChannels: 8, outChannels: 16, kernelSize: 4, stride: 2, padding: 1, bias: false), BatchNorm2d(numFeatures: 16),
                LeakyReLU(negativeSlope: 0.2),
                Conv2d(inChannels: 16, outChannels: 1, kernelSize: 4, stride: 1, padding: 0, bias: false), Sigmoid())
            return (g, d)
        }
        try generator.load(from: Self.url("dcgan_generator_init.safetensors"))
        try discriminator.load(from: Self.url("dcgan_discriminator_init.safetensors"))
        let data = try Self.tensors("dcgan_data.safetensors")
        let (real, noise) = (try #require(data["real"]), try #require(data["noise"]))
        let criterion = BCELoss()
        let optD = Adam(discriminator.parameters(), lr: 2e-4, betas: (0.5, 0.999))
        let optG = Adam(generator.parameters(), lr: 2e-4, betas: (0.5, 0.999))
        discriminator.zeroGrad()
        let outReal = discriminator(real).view(-1)
        let errReal = criterion(outReal, Tensor.ones([6]))
        errReal.backward()
        let fake = generator(noise)
        let outFake = discriminator(fake.detach()).view(-1)
        let errFake = criterion(outFake, Tensor.zeros([6]))
        errFake.backward()
        let errD = errReal + errFake
        optD.step()
        generator.zeroGrad()
        let out = discriminator(fake).view(-1)
        let errG = criterion(out, Tensor.ones([6]))
        errG.backward()
        optG.step()
        for (actual, wanted, label) in [(errD.item(), expected.err_d, "errD"), (errG.item(), expected.err_g, "errG"),
                                        (outReal.mean().item(), expected.d_x, "D(x)"), (outFake.mean().item(), expected.d_g_z1, "D(G(z)) before"),
                                        (out.mean().item(), expected.d_g_z2, "D(G(z)) after")] {
            #expect(Swift.abs(actual - wanted) <= 1e-4 * Swift.abs(wanted), "\(label): \(actual) vs \(wanted)")
        }
        try Self.expectState(generator, "dcgan_generator_final.safetensors")
        try Self.expectState(discriminator, "dcgan_discriminator_final.safetensors")
    }
}
