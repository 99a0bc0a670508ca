import Testing
@testable import Descent
import DescentNN

/// Compiled steps against the same steps run eagerly: equal bits, every call.
struct CompileTests {
    static func bits(_ t: Tensor) -> [UInt64] {
        t.scalars(as: Double.self).map(\.bitPattern)
    }

    /// The notebook's step on fresh weights: eager for `epochs` epochs, or compiled.
    static func seedLoop(compiled: Bool, epochs: Int) -> (losses: [[UInt64]], w: [UInt64], b: [UInt64], step: CompiledStep?) {
        let x = Tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
        let y = Tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
        let w = Tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]], requiresGrad: true)
        let b = Tensor([-0.9878, 0.1373], requiresGrad: true)
        let body = { (x: Tensor, y: Tensor) -> Tensor in
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
        let step = compiled ? compile(body) : nil
        var losses: [[UInt64]] = []
        for _ in 0..<epochs {
            let loss = step.map { $0(x, y) } ?? body(x, y)
            losses.append(bits(loss))
        }
        return (losses, bits(w), bits(b), step)
    }

    @Test func seedLoopReplaysWithEagerBits() throws {
        let eager = Self.seedLoop(compiled: false, epochs: 20)
        let compiled = Self.seedLoop(compiled: true, epochs: 20)
        let step = try #require(compiled.step)
        #expect(step.fallbackReason == nil, "\(step.fallbackReason ?? "")")
        #expect(step.replays == 18)
        #expect(compiled.losses == eager.losses)
        #expect(compiled.w == eager.w)
        #expect(compiled.b == eager.b)
    }

    /// The benchmark's MLP step (Linear, ReLU, Linear, cross-entropy, Adam, zeroGrad to nil),
    /// eager or compiled, from the same initial weights.
    static func mlpSteps(compiled: Bool, steps: Int) -> (losses: [[UInt64]], parameters: [[UInt64]], step: CompiledStep?) {
        let g = Generator(seed: 3)
        let x = Tensor.randn(16, 20, generator: g)
        let labels = Tensor.randint(0, 5, [16], generator: g)
        let net = exclusiveGlobalGenerator {
            manualSeed(7)
            return Sequential(Linear(inFeatures: 20, outFeatures: 12), ReLU(), Linear(inFeatures: 12, outFeatures: 5))
        }
        let opt = Adam(net.parameters(), lr: 1e-2)
        let lossFunction = CrossEntropyLoss()
        let body = { (x: Tensor, labels: Tensor) -> Tensor in
            opt.zeroGrad()
            let loss = lossFunction(net(x), labels)
            loss.backward()
            opt.step()
            return loss
        }
        let step = compiled ? compile(body) : nil
        var losses: [[UInt64]] = []
        for _ in 0..<steps {
            losses.append(bits(step.map { $0(x, labels) } ?? body(x, labels)))
        }
        return (losses, net.parameters().map(bits), step)
    }

    @Test func mlpAdamStepReplaysWithEagerBits() throws {
        let eager = Self.mlpSteps(compiled: false, steps: 12)
        let compiled = Self.mlpSteps(compiled: true, steps: 12)
        let step = try #require(compiled.step)
        #expect(step.fallbackReason == nil, "\(step.fallbackReason ?? "")")
        #expect(step.replays == 10)
        #expect(compiled.losses == eager.losses)
        #expect(compiled.parameters == eager.parameters)
    }
}
