import Testing
@testable import Descent
import DescentNN

/// Compiled steps against the same steps run eagerly: equal bits, every call.
struct CompileTests {
    static func bits(_ t: Tensor) -> [UInt64] {
        t.scalars(as: Double.self).map(\.bitPattern)
    }

    /// A training step, the batch it takes at each call, and the parameters it trains: made
    /// afresh for the eager run and for the compiled one, from the same seeds.
    struct Training {
        var step: (Tensor, Tensor) -> Tensor
        var batch: (Int) -> (Tensor, Tensor)
        var parameters: [Tensor]
    }

    /// Runs `steps` steps eagerly and compiled and expects the same bits in every loss and in
    /// the trained parameters, with every call after the warm-up and the recording replayed.
    static func expectReplaysAsEager(steps: Int, _ make: () -> Training) throws {
        try sameThreadCount {
            func run(compiled: Bool) -> (losses: [[UInt64]], parameters: [[UInt64]], step: CompiledStep?) {
                let training = make()
                let step = compiled ? compile(training.step) : nil
                var losses: [[UInt64]] = []
                for i in 0..<steps {
                    let (x, y) = training.batch(i)
                    losses.append(bits(step.map { $0(x, y) } ?? training.step(x, y)))
                }
                return (losses, training.parameters.map(bits), step)
            }
            let eager = run(compiled: false), compiled = run(compiled: true)
            let step = try #require(compiled.step)
            #expect(step.fallbackReason == nil, "\(step.fallbackReason ?? "")")
            #expect(step.replays == steps - 2)
            #expect(compiled.losses == eager.losses)
            #expect(compiled.parameters == eager.parameters)
        }
    }

    /// A classifier's step on one batch: zero the gradients, the loss, backward, the update.
    static func classifier(_ net: Module, _ opt: Optimizer, x: Tensor, labels: Tensor) -> Training {
        let lossFunction = CrossEntropyLoss()
        return Training(step: { x, labels in
            opt.zeroGrad()
            let loss = lossFunction(net(x), labels)
            loss.backward()
            opt.step()
            return loss
        }, batch: { _ in (x, labels) }, parameters: net.parameters())
    }

    /// The notebook's step on its own weights.
    @Test func seedLoopReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 20) {
            let x = Tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
            let y = Tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
            let w = Tensor([[0.7042, -1.5674, -0.3579], [1.7298, -1.3018, 1.2664]], requiresGrad: true)
            let b = Tensor([-0.9878, 0.1373], requiresGrad: true)
            return Training(step: { x, y in
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
            }, batch: { _ in (x, y) }, parameters: [w, b])
        }
    }

    /// The benchmark's MLP step (Linear, ReLU, Linear, cross-entropy, Adam, zeroGrad to nil).
    @Test func mlpAdamStepReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 12) {
            let g = Generator(seed: 3)
            let x = Tensor.randn(16, 20, generator: g), labels = Tensor.randint(0, 5, [16], generator: g)
            let net = exclusiveGlobalGenerator {
                manualSeed(7)
                return Sequential(Linear(inFeatures: 20, outFeatures: 12), ReLU(), Linear(inFeatures: 12, outFeatures: 5))
            }
            return Self.classifier(net, Adam(net.parameters(), lr: 1e-2), x: x, labels: labels)
        }
    }

    /// LeNet-5 (convolutions, max pooling, ReLU, linear layers), SGD with momentum, batch of 8.
    @Test func lenetStepReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 6) {
            let g = Generator(seed: 11)
            let x = Tensor.randn(8, 1, 28, 28, generator: g), labels = Tensor.randint(0, 10, [8], generator: g)
            let net = exclusiveGlobalGenerator {
                manualSeed(5)
                return Sequential(Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2),
                                  Conv2d(inChannels: 6, outChannels: 16, kernelSize: 5), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
                                  Linear(inFeatures: 400, outFeatures: 120), ReLU(), Linear(inFeatures: 120, outFeatures: 84), ReLU(),
                                  Linear(inFeatures: 84, outFeatures: 10))
            }
            return Self.classifier(net, SGD(net.parameters(), lr: 0.01, momentum: 0.9), x: x, labels: labels)
        }
    }

    /// A small GPT (embeddings, layer norms, causal attention, GELU MLP, tied head), AdamW and
    /// gradient clipping, on new token ids every other step.
    @Test func gptStepReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 6) {
            let g = Generator(seed: 21)
            let model = GPT(GPTConfig(blockSize: 16, vocabSize: 11, nLayer: 2, nHead: 2, nEmbd: 16), generator: g)
            let idx = Tensor.randint(0, 11, [3, 16], generator: g), targets = Tensor.randint(0, 11, [3, 16], generator: g)
            let opt = AdamW(model.parameters(), lr: 1e-2, weightDecay: 0.1)
            return Training(step: { idx, targets in
                opt.zeroGrad()
                let loss = model.loss(idx, targets: targets)
                loss.backward()
                _ = clipGradNorm(model.parameters(), maxNorm: 1)
                opt.step()
                return loss
            }, batch: { i in (i % 2 == 0 ? idx : idx.flip(dims: [1]), targets) }, parameters: model.parameters())
        }
    }

    /// A residual block with batch norm (its batch statistics, running statistics updated in
    /// place every step, and its gradient), SGD with momentum and weight decay; the running
    /// statistics are compared too.
    @Test func batchNormStepReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 5) {
            let g = Generator(seed: 41)
            let x = Tensor.randn(4, 3, 6, 6, generator: g), labels = Tensor.randint(0, 4, [4], generator: g)
            let (conv, bn, head) = exclusiveGlobalGenerator { () -> (Conv2d, BatchNorm2d, Linear) in
                manualSeed(13)
                return (Conv2d(inChannels: 3, outChannels: 3, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(numFeatures: 3),
                        Linear(inFeatures: 3 * 36, outFeatures: 4))
            }
            let net = Sequential(conv, bn, ReLU())
            let parameters = net.parameters() + head.parameters()
            let opt = SGD(parameters, lr: 0.05, momentum: 0.9, weightDecay: 1e-4)
            let lossFunction = CrossEntropyLoss()
            return Training(step: { x, labels in
                opt.zeroGrad()
                let loss = lossFunction(head((net(x) + x).flatten(start: 1)), labels)
                loss.backward()
                opt.step()
                return loss
            }, batch: { i in (i % 2 == 0 ? x : x.flip(dims: [3]), labels) },
            parameters: parameters + [bn.runningMean!, bn.runningVar!])
        }
    }

    /// A GPT trained with dropout (attention, residual and embedding dropout draw from the
    /// global generator on every step): the replayed masks are the eager run's, step by step.
    @Test func gptWithDropoutReplaysWithEagerBits() throws {
        try sameThreadCount {
            try exclusiveGlobalGenerator {
                try Self.expectReplaysAsEager(steps: 5) {
                    let g = Generator(seed: 22)
                    let model = GPT(GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0.2), generator: g)
                    let idx = Tensor.randint(0, 11, [2, 8], generator: g), targets = Tensor.randint(0, 11, [2, 8], generator: g)
                    let opt = AdamW(model.parameters(), lr: 1e-2, weightDecay: 0.1)
                    manualSeed(5)
                    return Training(step: { idx, targets in
                        opt.zeroGrad()
                        let loss = model.loss(idx, targets: targets)
                        loss.backward()
                        opt.step()
                        return loss
                    }, batch: { _ in (idx, targets) }, parameters: model.parameters())
                }
            }
        }
    }

    /// A two-layer bidirectional LSTM, a linear head on the last step, cross-entropy, Adam.
    @Test func lstmStepReplaysWithEagerBits() throws {
        try Self.expectReplaysAsEager(steps: 5) {
            let g = Generator(seed: 31)
            let x = Tensor.randn(4, 6, 5, generator: g), labels = Tensor.randint(0, 3, [4], generator: g)
            let (rnn, head) = exclusiveGlobalGenerator {
                manualSeed(9)
                return (LSTM(inputSize: 5, hiddenSize: 7, numLayers: 2, batchFirst: true, bidirectional: true),
                        Linear(inFeatures: 14, outFeatures: 3))
            }
            let opt = Adam(rnn.parameters() + head.parameters(), lr: 1e-2)
            let lossFunction = CrossEntropyLoss()
            return Training(step: { x, labels in
                opt.zeroGrad()
                let (out, _) = rnn(x)
                let loss = lossFunction(head(out[.all, -1]), labels)
                loss.backward()
                opt.step()
                return loss
            }, batch: { _ in (x, labels) }, parameters: rnn.parameters() + head.parameters())
        }
    }
}

/// When a compiled step records again, stays eager, or replays a loop.
struct CompileGuardTests {
    /// A small regression step over inputs of any batch size, on its own parameters.
    final class Regression {
        let w = Tensor([[0.5, -0.25, 0.125], [0.75, 0.5, -1]], requiresGrad: true)
        let b = Tensor([0.1, -0.2], requiresGrad: true)
        func step(_ x: Tensor, _ y: Tensor) -> Tensor {
            let d = x.matmul(w.t()) + b - y
            let loss = (d * d).sum() / d.scalarCount
            loss.backward()
            noGrad {
                w -= w.grad! * 1e-3
                b -= b.grad! * 1e-3
                w.grad!.zero()
                b.grad!.zero()
            }
            return loss
        }
    }

    static func data(_ rows: Int, seed: UInt64) -> (Tensor, Tensor) {
        let g = Generator(seed: seed)
        return (Tensor.randn(rows, 3, generator: g), Tensor.randn(rows, 2, generator: g))
    }

    @Test func newShapesRecordAPlanEachAndKeepEagerBits() {
        sameThreadCount {
            let eager = Regression(), compiled = Regression()
            let step = compile(compiled.step)
            for i in 0..<12 {
                let (x, y) = Self.data(i % 3 == 2 ? 7 : 4, seed: UInt64(i))
                #expect(CompileTests.bits(step(x, y)) == CompileTests.bits(eager.step(x, y)), "call \(i)")
            }
            #expect(step.fallbackReason == nil)
            #expect(step.recordings == 2)
            #expect(CompileTests.bits(compiled.w) == CompileTests.bits(eager.w))
            #expect(CompileTests.bits(compiled.b) == CompileTests.bits(eager.b))
        }
    }

    @Test func repeatedRunsTheStepThatManyTimes() {
        sameThreadCount {
            let eager = Regression(), compiled = Regression()
            let (x, y) = Self.data(5, seed: 1)
            let step = compile(compiled.step)
            var last = Tensor(0)
            for _ in 0..<40 { last = eager.step(x, y) }
            let result = step.repeated(40, x, y)
            #expect(CompileTests.bits(result) == CompileTests.bits(last))
            #expect(CompileTests.bits(compiled.w) == CompileTests.bits(eager.w))
            #expect(step.replays == 38)
        }
    }

    @Test func newMemoryUnderAParameterRecordsAgain() {
        sameThreadCount {
            let eager = Regression(), compiled = Regression()
            let (x, y) = Self.data(5, seed: 2)
            let step = compile(compiled.step)
            for _ in 0..<3 { #expect(CompileTests.bits(step(x, y)) == CompileTests.bits(eager.step(x, y))) }
            // As `Module.to(_:)` does: the parameter keeps its identity, its memory is new.
            for model in [eager, compiled] { model.w._replaceStorage(with: noGrad { model.w.clone() }) }
            for _ in 0..<3 { #expect(CompileTests.bits(step(x, y)) == CompileTests.bits(eager.step(x, y))) }
            #expect(step.recordings == 2)
            #expect(CompileTests.bits(compiled.w) == CompileTests.bits(eager.w))
        }
    }

    @Test func clippingTheGradientNormRunsAgainOnEveryReplay() {
        sameThreadCount {
            func run(compiled: Bool) -> ([[UInt64]], CompiledStep?) {
                let model = Regression()
                let opt = SGD([model.w, model.b], lr: 0.1)
                let body = { (x: Tensor, y: Tensor) -> Tensor in
                    opt.zeroGrad()
                    let d = x.matmul(model.w.t()) + model.b - y
                    let loss = (d * d).mean()
                    loss.backward()
                    _ = clipGradNorm([model.w, model.b], maxNorm: 0.5)
                    opt.step()
                    return loss
                }
                let step = compiled ? compile(body) : nil
                var out: [[UInt64]] = []
                for i in 0..<6 {
                    let (x, y) = Self.data(4, seed: UInt64(10 + i))
                    out.append(CompileTests.bits(step.map { $0(x, y) } ?? body(x, y)))
                }
                out.append(CompileTests.bits(model.w))
                return (out, step)
            }
            let (eager, _) = run(compiled: false), (compiled, step) = run(compiled: true)
            #expect(compiled == eager)
            #expect(step?.fallbackReason == nil)
            #expect(step?.replays == 4)
        }
    }

    @Test func aNumberMadeATensorKeepsItsValueWhereMemoryIsReused() {
        sameThreadCount {
            // `a * a` dies after its use, and `1 - s` makes a tensor of the number 1: had the
            // number landed on the dead block, each replay would first write `a * a` over it.
            let g = Generator(seed: 8)
            let x = Tensor.randn(3, 4, generator: g), up = Tensor.randn(3, 2, generator: g)
            let body = { () -> Tensor in
                let s = x.narrow(1, 2, 2).sigmoid()
                return up * up * s * (1 - s)
            }
            let step = compile(body)
            let eager = CompileTests.bits(body())
            for _ in 0..<4 { #expect(CompileTests.bits(step()) == eager) }
            #expect(step.replays == 2)
        }
    }

    @Test func readingAValueBackKeepsTheStepEager() {
        let model = Regression()
        let (x, y) = Self.data(5, seed: 3)
        var seen: [Double] = []
        let step = compile { (x: Tensor, y: Tensor) -> Tensor in
            let loss = model.step(x, y)
            seen.append(loss.item())
            return loss
        }
        for _ in 0..<4 { _ = step(x, y) }
        #expect(seen.count == 4)
        #expect(step.replays == 0)
        #expect(step.fallbackReason?.contains("reads a tensor's value back") == true)
    }

    /// Draws inside the step (a dropout mask, noise by the scalar and the batched normal fill,
    /// random integers, coin flips) are recorded:
    /// each replay draws again from the same generator, so masks are new on every call and
    /// equal to the eager run's, and the generator ends where eager calls leave it.
    @Test func randomDrawsReplayAndContinueTheStream() throws {
        try sameThreadCount {
            func run(compiled: Bool) -> (out: [[UInt64]], state: [Int64], step: CompiledStep?) {
                let model = Regression()
                let (x, y) = Self.data(5, seed: 4)
                let g = Generator(seed: 0)
                let body = { (x: Tensor, y: Tensor) -> Tensor in
                    let noisy = x.dropout(p: 0.5, generator: g) + Tensor.randn(5, 3, generator: g) * 0.01
                    let picks = Tensor.randint(0, 5, [5], generator: g).to(.float32) + Tensor.randn(20, generator: g).sum()
                    let coins = Tensor.full([5, 2], 0.3).bernoulli(generator: g)
                    return model.step(noisy, y * coins) + picks.sum()
                }
                let step = compiled ? compile(body) : nil
                var out: [[UInt64]] = []
                for _ in 0..<5 { out.append(CompileTests.bits(step.map { $0(x, y) } ?? body(x, y))) }
                out.append(CompileTests.bits(model.w))
                return (out, g.getState().scalars(as: Int64.self), step)
            }
            let eager = run(compiled: false), compiled = run(compiled: true)
            let step = try #require(compiled.step)
            #expect(step.fallbackReason == nil, "\(step.fallbackReason ?? "")")
            #expect(step.replays == 3)
            #expect(compiled.out == eager.out)
            #expect(Set(eager.out.dropLast()).count == 5, "fresh draws every call")
            #expect(compiled.state == eager.state)
        }
    }

    /// A step that seeds its generator seeds it again on every replay.
    @Test func seedingInsideTheStepReplays() {
        sameThreadCount {
            let g = Generator(seed: 3)
            let step = compile { () -> Tensor in
                g.manualSeed(11)
                return Tensor.rand(4, generator: g) * 2
            }
            let expected = CompileTests.bits(noGrad { Tensor.rand(4, generator: Generator(seed: 11)) * 2 })
            for _ in 0..<4 { #expect(CompileTests.bits(step()) == expected) }
            #expect(step.replays == 2)
        }
    }

    /// Draws through ops whose draws are not recorded yet keep the step eager.
    @Test func unrecordedDrawsKeepTheStepEager() {
        let g = Generator(seed: 0)
        let step = compile { () -> Tensor in Tensor.randperm(6, generator: g).to(.float32) * 1 }
        var seen: [[UInt64]] = []
        for _ in 0..<4 { seen.append(CompileTests.bits(step())) }
        #expect(step.replays == 0)
        #expect(step.fallbackReason?.contains("random") == true)
        #expect(Set(seen).count > 1)
    }

    @Test func anInputThatRequiresGradKeepsTheStepEager() {
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        let step = compile { (x: Tensor) -> Tensor in
            let loss = (x * w).sum()
            loss.backward()
            return loss
        }
        let x = Tensor([3.0, 4.0], requiresGrad: true)
        for _ in 0..<3 { _ = step(x) }
        #expect(step.replays == 0)
        #expect(x.grad?.scalars(as: Double.self) == [3, 6])
    }

    /// A step of plain SGD on `w` and `b` for `loss(x, y, w, b)`, their gradients dropped after.
    static func sgd(_ w: Tensor, _ b: Tensor, lr: Double, _ loss: @escaping (Tensor, Tensor, Tensor, Tensor) -> Tensor) -> (Tensor, Tensor) -> Tensor {
        { x, y in
            let value = loss(x, y, w, b)
            value.backward()
            noGrad {
                w -= w.grad! * lr
                b -= b.grad! * lr
                w.grad = nil
                b.grad = nil
            }
            return value
        }
    }

    /// Two copies of `model`, one stepped eagerly and one compiled, five times on `x`, `y`:
    /// the same loss bits every call, the compiled one replaying (no fallback, three replays
    /// after the warm-up and the recording), and the same parameters after. Returns the
    /// compiled step for checks of its own.
    static func expectSGDReplaysAsEager(_ x: Tensor, _ y: Tensor, lr: Double, model: () -> (Tensor, Tensor),
                                        _ loss: @escaping (Tensor, Tensor, Tensor, Tensor) -> Tensor) -> CompiledStep {
        let (we, be) = model(), (wc, bc) = model()
        let eager = sgd(we, be, lr: lr, loss), compiled = compile(sgd(wc, bc, lr: lr, loss))
        for _ in 0..<5 { #expect(CompileTests.bits(compiled(x, y)) == CompileTests.bits(eager(x, y))) }
        #expect(compiled.fallbackReason == nil, "\(compiled.fallbackReason ?? "")")
        #expect(compiled.replays == 3)
        #expect(CompileTests.bits(wc) == CompileTests.bits(we))
        #expect(CompileTests.bits(bc) == CompileTests.bits(be))
        return compiled
    }

    /// `loss` after one plain SGD step on `w` from it (the gradient dropped after).
    static func descend(_ w: Tensor, lr: Double, _ loss: Tensor) -> Tensor {
        loss.backward()
        noGrad {
            w -= w.grad! * lr
            w.grad = nil
        }
        return loss
    }

    /// A chain of elementwise ops forward and backward over more elements than a chunk (and
    /// not a multiple of it): the plan runs its passes chunk by chunk, some intermediates in
    /// scratch, and gives the eager bits. On two threads with enough elements to split.
    @Test(arguments: [(3001, 1), (600_001, 2)])
    func elementwiseChainsFuseWithEagerBits(count: Int, threads: Int) {
        withThreads(threads) {
            let g = Generator(seed: 8)
            let x = Tensor.randn(count, generator: g), y = Tensor.randn(count, generator: g)
            let compiled = Self.expectSGDReplaysAsEager(x, y, lr: 0.1, model: {
                let g = Generator(seed: 9)
                return (Tensor.randn(count, generator: g).requiresGrad(true), Tensor.zeros(1, requiresGrad: true))
            }) { x, y, w, b in
                let d = x * w + b - y
                let e = (d.abs() + 1).sqrt() * d.sign() - Tensor.where(d .> 0.5, d * 0.25, d)
                return (e * e).mean()
            }
            #expect(compiled.fusion.passes >= 6 && compiled.fusion.scratch >= 2, "\(compiled.fusion)")
        }
    }

    /// A gradient stored into `.grad` during a capture is the backward kernel's own output,
    /// as in eager code, not a copy of it: the tape's hold on the capture's blocks must not
    /// make a fresh gradient look shared (that copy cost a block the size of the weight and
    /// a copy on every replay).
    @Test func gradientsAreStolenNotCopiedInAPlan() {
        sameThreadCount {
            let g = Generator(seed: 14)
            let w = Tensor.randn(256, 256, generator: g).requiresGrad(true), b = Tensor.zeros(256, requiresGrad: true)
            let x = Tensor.randn(4, 256, generator: g), y = Tensor.randn(4, 256, generator: g)
            let step = compile(Self.sgd(w, b, lr: 0.01) { x, y, w, b in ((Tensor.linear(x, weight: w, bias: b) - y).pow(2)).mean() })
            for _ in 0..<3 { _ = step(x, y) }
            #expect(step.fallbackReason == nil && step.replays == 1)
            let weightBytes = 256 * 256 * 4
            #expect(step.planBytes < weightBytes + weightBytes / 4, "the plan holds \(step.planBytes) bytes")
        }
    }

    /// Gathers and index updates read their positions through pointers: inside a compiled
    /// step they are units that read them again on every replay, so new positions at each call
    /// give the eager bits (a replay that kept the recording's positions would not).
    @Test func positionsAreReadAgainOnEveryReplay() {
        sameThreadCount {
            let g = Generator(seed: 12)
            let batches = (0..<6).map { _ in
                (Tensor.randint(-10, 10, [5], generator: g), Tensor.randint(0, 10, [5], generator: g), Tensor.randn(5, 4, generator: g))
            }
            func step(_ w: Tensor) -> (Tensor, Tensor, Tensor) -> Tensor {
                { idx, pick, y in
                    let rows = w.indexSelect(0, idx), picked = w[pick]
                    let added = Tensor.zeros(10).indexAdd(0, idx, y.sum(dim: 1))
                    let hot = Tensor.oneHot(pick, numClasses: 10).to(.float32)
                    let loss = ((rows + picked - y) * (rows - y)).sum() + (added * added).sum() + w.pad([1, 2], mode: .reflect).sum()
                        + hot.matmul(w).sum()
                    return Self.descend(w, lr: 0.1, loss)
                }
            }
            let we = Tensor.randn(10, 4, generator: Generator(seed: 13)).requiresGrad(true)
            let wc = Tensor.randn(10, 4, generator: Generator(seed: 13)).requiresGrad(true)
            let eager = step(we), compiled = compile(step(wc))
            for (idx, pick, y) in batches { #expect(CompileTests.bits(compiled(idx, pick, y)) == CompileTests.bits(eager(idx, pick, y))) }
            #expect(compiled.fallbackReason == nil, "\(compiled.fallbackReason ?? "")")
            #expect(compiled.replays == 4)
            #expect(CompileTests.bits(wc) == CompileTests.bits(we))
        }
    }

    /// Class weights are read by the loss kernel itself (and label smoothing's sum of them by a
    /// unit): new weights at every call of a compiled step give the eager bits, in the loss and
    /// in the gradient.
    @Test func classWeightsAreReadAgainOnEveryReplay() {
        sameThreadCount {
            let g = Generator(seed: 14)
            let x = Tensor.randn(6, 4, generator: g), labels = Tensor.randint(0, 4, [6], generator: g)
            let weights = (0..<5).map { _ in Tensor.rand(4, generator: g) + 0.5 }
            func step(_ w: Tensor) -> (Tensor, Tensor, Tensor) -> Tensor {
                { x, labels, weight in
                    let logits = x.matmul(w)
                    return Self.descend(w, lr: 0.5, Tensor.crossEntropy(logits, labels, weight: weight)
                        + Tensor.crossEntropy(logits, labels, weight: weight, labelSmoothing: 0.1))
                }
            }
            let we = Tensor.randn(4, 4, generator: Generator(seed: 15)).requiresGrad(true)
            let wc = Tensor.randn(4, 4, generator: Generator(seed: 15)).requiresGrad(true)
            let eager = step(we), compiled = compile(step(wc))
            for weight in weights { #expect(CompileTests.bits(compiled(x, labels, weight)) == CompileTests.bits(eager(x, labels, weight))) }
            #expect(compiled.fallbackReason == nil, "\(compiled.fallbackReason ?? "")")
            #expect(compiled.replays == 3)
            #expect(CompileTests.bits(wc) == CompileTests.bits(we))
        }
    }

    @Test func twoThreadsReplayWithEagerBits() {
        withThreads(2) {
            // Large enough for the elementwise passes and the product to split over threads.
            let g = Generator(seed: 5)
            let x = Tensor.randn(4096, 160, generator: g), y = Tensor.randn(4096, 2, generator: g)
            _ = Self.expectSGDReplaysAsEager(x, y, lr: 0.01, model: {
                let g = Generator(seed: 6)
                return (Tensor.randn(2, 160, generator: g).requiresGrad(true), Tensor.zeros(2, requiresGrad: true))
            }) { x, y, w, b in
                let d = (x.matmul(w.t()) + b - y).relu()
                return (d * d).mean()
            }
        }
    }
}

/// Every op of the op table, forward and backward, compiled and eager: the same bits on every
/// call, whether the step replays or the recorder refused it (and it stayed eager).
struct CompiledOpTableTests {
    /// Ops that replay today; the test fails if one stops replaying, so the list only grows.
    static let replaying: Set<String> = [
        "T", "abs", "acos", "acos_expanded", "acos_float64", "acosh", "acosh_expanded", "acosh_float64",
        "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool2d_global", "adaptive_max_pool2d", "add",
        "add_0d", "add_broadcast_both", "add_expanded", "add_scalar", "addbmm", "addmm", "addmv", "addr", "affine_grid",
        "affine_grid_3d", "affine_grid_align", "amax", "amin_dims", "aminmax", "asin", "asin_expanded", "asin_float64",
        "asinh", "asinh_expanded", "asinh_float64", "atan", "atan2", "atan2_expanded", "atan_expanded", "atan_float64",
        "atanh", "atanh_expanded", "atanh_float64", "avg_pool1d", "avg_pool2d", "avg_pool2d_divisor",
        "avg_pool2d_exclude_pad", "avg_pool2d_padded_ceil", "baddbmm", "batch_norm_eval", "batch_norm_train",
        "batch_norm_train_1d", "bmm", "cat", "cat_dim1", "ceil", "celu", "celu_expanded", "celu_float64", "chunk",
        "clamp", "clamp_max", "clamp_min", "clamp_tensor", "clamp_tensor_min", "col2im", "contiguous", "conv1d",
        "conv1d_same", "conv1d_valid_dilated", "conv2d", "conv2d_depthwise", "conv2d_groups", "conv2d_pointwise",
        "conv2d_same", "conv2d_stride_dilation", "conv2d_unbatched", "conv3d", "conv_transpose1d", "conv_transpose2d",
        "conv_transpose2d_groups_dilation", "copysign", "copysign_scalar", "cos", "cos_expanded", "cos_float64", "cosh",
        "cosh_expanded", "cosh_float64", "cross", "cross_entropy_4d", "cross_entropy_ignore_class",
        "cross_entropy_nd_ignore", "cross_entropy_probs_smoothing", "cross_entropy_smoothing",
        "cross_entropy_smoothing_none", "cross_entropy_smoothing_sum", "cross_entropy_unbatched",
        "cross_entropy_weight_smoothing", "cummax", "cummin", "cumprod", "cumprod_zero", "cumsum", "cumsum_dim0", "det",
        "diag_embed", "diag_matrix", "diag_vector", "diagonal", "diagonal_negative", "diagonal_offset", "digamma",
        "div", "div_scalar", "dot", "eigh_projector", "eigh_values", "einsum_attention", "einsum_bmm", "einsum_chain",
        "einsum_diagonal", "einsum_dot", "einsum_ellipsis", "einsum_hadamard", "einsum_implicit", "einsum_mv",
        "einsum_outer", "einsum_sum", "einsum_trace", "einsum_transpose", "elu", "elu_expanded", "elu_float64",
        "embedding", "embedding_padding", "embedding_scale_grad", "erf", "erf_expanded", "erf_float64", "erf_sliced",
        "erfc", "erfc_expanded", "erfc_float64", "erfinv", "erfinv_expanded", "erfinv_float64", "exp", "exp2",
        "exp2_expanded", "exp2_float64", "exp_expanded", "exp_float64", "exp_transposed", "expand", "expm1",
        "expm1_expanded", "expm1_float64", "flip", "floor", "fmod", "fmod_scalar", "frac", "gather", "gather_dim0",
        "gelu", "gelu_expanded", "gelu_float64", "gelu_tanh", "glu", "glu_dim0", "grid_sample", "grid_sample_bicubic",
        "grid_sample_bicubic_border", "grid_sample_bicubic_reflection", "grid_sample_border_align",
        "grid_sample_nearest", "grid_sample_reflection", "group_norm", "group_norm_plain", "hardsigmoid",
        "hardsigmoid_expanded", "hardsigmoid_float64", "hardswish", "hardswish_expanded", "hardswish_float64",
        "hardtanh", "hypot", "im2col", "im2col_padded", "index", "index_add", "index_add_repeated", "index_copy",
        "index_fill", "instance_norm", "instance_norm_affine", "interpolate_bicubic", "interpolate_bicubic_align",
        "interpolate_bicubic_antialias", "interpolate_bilinear", "interpolate_bilinear_align",
        "interpolate_bilinear_antialias", "interpolate_bilinear_antialias_up", "interpolate_bilinear_down",
        "interpolate_linear", "interpolate_linear_align", "interpolate_nearest", "interpolate_nearest_1d",
        "interpolate_nearest_3d", "interpolate_nearest_size", "interpolate_trilinear", "inverse", "inverse_batched",
        "kron", "kthvalue", "layer_norm", "layer_norm_plain", "layer_norm_weight_only", "leaky_relu",
        "leaky_relu_expanded", "leaky_relu_float64", "lerp", "lerp_tensor", "lgamma", "lgamma_expanded",
        "lgamma_float64", "linear", "linear_seed", "local_response_norm", "local_response_norm_3d", "log", "log10",
        "log10_expanded", "log10_float64", "log1p", "log1p_expanded", "log1p_float64", "log2", "log2_expanded",
        "log2_float64", "log_expanded", "log_float64", "log_softmax", "log_softmax_dim0", "logit", "logit_eps",
        "logit_expanded", "logit_float64", "logsigmoid", "logsigmoid_expanded", "logsigmoid_float64", "logsumexp",
        "logsumexp_dims", "masked_fill", "masked_fill_broadcast", "masked_scatter", "matmul_1d_2d", "matmul_2d_3d", "matmul_batch_one_left", "matmul_batch_one_right",
        "matmul_3d_1d", "matmul_3d_2d", "matmul_batched", "matmul_broadcast", "matrix_exp", "matrix_norm",
        "matrix_power", "matrix_power_negative", "max_all", "max_dim1", "max_pool1d", "max_pool2d",
        "max_pool2d_ceil_dilation", "max_pool2d_unbatched", "max_pool3d", "max_unpool2d", "maximum", "mean",
        "mean_dim1", "median", "median_dim", "min_all", "min_dim0_keep", "minimum", "mish", "mish_expanded",
        "mish_float64", "mm", "mm_transposed", "mode", "movedim", "mse_seed", "mul", "mul_scalar", "mul_transposed",
        "mv", "nan_to_num", "nanmean", "nansum", "neg", "nll_loss_weight_none", "norm", "norm_inf", "norm_p1",
        "norm_p3", "outer", "pad_circular", "pad_constant", "pad_constant_value", "pad_crop", "pad_reflect",
        "pad_reflect_2d", "pad_replicate", "pad_replicate_2d", "permute", "pinverse", "pixel_shuffle",
        "pixel_unshuffle", "pow_2", "pow_half", "pow_tensor", "prelu", "prelu_shared", "prod", "prod_dim", "prod_zero",
        "put", "put_accumulate", "qr_q", "qr_r", "qr_square", "rdiv", "reciprocal", "relu", "relu6", "relu6_expanded",
        "relu6_float64", "remainder", "remainder_scalar", "repeat", "repeat_interleave", "repeat_interleave_flat",
        "reshape_copy", "rms_norm", "rms_norm_plain", "roll", "roll_dims", "roll_flat", "round", "round_decimals",
        "rpow", "rsqrt", "rsqrt_expanded", "rsqrt_float64", "rsub", "scatter", "scatter_add", "scatter_reduce_amax",
        "scatter_reduce_mean", "scatter_reduce_prod", "scatter_reduce_sum", "scatter_value", "sdpa", "sdpa_bool_mask",
        "sdpa_causal", "sdpa_causal_rect", "sdpa_float_mask_scale", "sdpa_gqa", "sdpa_long_blocks", "sdpa_math_gqa",
        "sdpa_transposed", "select", "selu", "selu_expanded", "selu_float64", "sigmoid", "sigmoid_expanded",
        "sigmoid_float64", "sigmoid_sliced", "silu", "silu_expanded", "silu_float64", "silu_transposed", "sin",
        "sin_expanded", "sin_float64", "sin_transposed", "sinh", "sinh_expanded", "sinh_float64", "slice", "slice_step",
        "slogdet", "softmax", "softplus", "softplus_beta", "softplus_expanded", "softplus_float64", "softsign",
        "softsign_expanded", "softsign_float64", "sort", "sort_descending", "split", "split_sizes", "sqrt",
        "sqrt_expanded", "sqrt_float64", "square", "squeeze", "squeeze_dim", "stack", "std", "std_dim1_keep", "sub",
        "sub_scalar", "sum", "sum_columns", "sum_dim0", "sum_dim1_keep", "sum_dims", "sum_long", "sum_narrow_columns",
        "sum_rows_ten", "sum_rows_twenty_nine", "sum_short_rows", "sum_short_rows_seven", "sum_short_rows_two",
        "sum_three_columns", "sum_transposed", "svd_reconstruct", "svd_values", "svd_values_wide", "swapaxes", "t",
        "take_along_dim", "tan", "tan_expanded", "tan_float64", "tanh", "tanh_expanded", "tanh_float64", "tensordot",
        "tensordot_int", "threshold", "tile", "to_float64", "topk", "topk_smallest", "trace", "transpose", "tril",
        "tril_batched", "triu", "trunc", "unbind", "unflatten", "unfold_dim", "unfold_step", "unsqueeze", "var",
        "var_correction0", "var_dim0", "view", "where", "xlogy", "xlogy_scalar",
    ]

    @Test func everyOpGivesEagerBitsCompiled() throws {
        try sameThreadCount {
            var replayed: [String] = [], refused: [String: String] = [:]
            for c in OpTests.cases {
                let op = try #require(OpTable.ops[c.name])
                func run(compiled: Bool) -> (outputs: [[UInt64]], grads: [[[UInt64]?]], step: CompiledStep?) {
                    let inputs = zip(c.inputs, c.requires_grad).map { $0.tensor(requiresGrad: $1) }
                    let upstream = c.upstream.tensor()
                    let body = { () -> Tensor in
                        for x in inputs where x.requiresGrad { x.grad = nil }
                        let out = op(inputs)
                        out.backward(gradient: upstream)
                        return out
                    }
                    let step = compiled ? compile(body) : nil
                    var outputs: [[UInt64]] = [], grads: [[[UInt64]?]] = []
                    for _ in 0..<4 {
                        outputs.append(CompileTests.bits(step.map { $0() } ?? body()))
                        grads.append(inputs.map { $0.grad.map(CompileTests.bits) })
                    }
                    return (outputs, grads, step)
                }
                let eager = run(compiled: false), compiled = run(compiled: true)
                #expect(compiled.outputs == eager.outputs, "values of \(c.name)")
                #expect(compiled.grads == eager.grads, "gradients of \(c.name)")
                if let reason = compiled.step?.fallbackReason { refused[c.name] = reason } else { replayed.append(c.name) }
            }
            for name in Self.replaying { #expect(refused[name] == nil, "\(name) no longer replays: \(refused[name] ?? "")") }
            print("compiled op table: \(replayed.count) replay, \(refused.count) stay eager")
            print("replaying:", replayed.sorted().joined(separator: ", "))
            for (name, reason) in refused.sorted(by: { $0.key < $1.key }) { print("eager \(name): \(reason)") }
        }
    }
}
