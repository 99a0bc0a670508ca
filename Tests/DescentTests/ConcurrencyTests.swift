import Testing
import Descent
import DescentNN

/// Models trained in parallel tasks give exactly what training them one after another gives.
struct ConcurrencyTests {
    static func train(seed: UInt64) -> [Float] {
        let g = Generator(seed: seed)
        let x = Tensor.randn(64, 8, generator: g), y = Tensor.randint(0, 4, [64], generator: g)
        let net = Sequential(Linear(inFeatures: 8, outFeatures: 16, generator: g), ReLU(),
                             Linear(inFeatures: 16, outFeatures: 4, generator: g))
        let opt = Adam(net.parameters(), lr: 1e-2)
        for _ in 0..<50 {
            opt.zeroGrad()
            CrossEntropyLoss()(net(x), y).backward()
            opt.step()
        }
        return net.parameters().flatMap { $0.scalars(as: Float.self) }
    }

    @Test func parallelTrainingMatchesSequentialTraining() async {
        let sequential = (1...4).map { Self.train(seed: UInt64($0)) }
        let parallel = await withTaskGroup(of: (Int, [Float]).self) { group in
            for i in 1...4 { group.addTask { (i, Self.train(seed: UInt64(i))) } }
            var results = [[Float]](repeating: [], count: 4)
            for await (i, r) in group { results[i - 1] = r }
            return results
        }
        #expect(parallel == sequential)
    }

    @Test func noGradInOneTaskLeavesAnotherRecording() async {
        let w = Tensor.ones(3, requiresGrad: true)
        async let quiet: Bool = noGrad {
            try? await Task.sleep(nanoseconds: 5_000_000)
            return (w * 2).requiresGrad
        }
        async let recording: Bool = {
            try? await Task.sleep(nanoseconds: 5_000_000)
            return (w * 2).requiresGrad
        }()
        let (a, b) = await (quiet, recording)
        #expect(!a && b)
    }
}
