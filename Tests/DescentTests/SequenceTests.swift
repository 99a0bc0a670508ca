import Foundation
import Testing
@testable import Descent
import DescentData
@testable import DescentNN

/// Sequence layers against PyTorch (Scripts/make_sequence_fixtures.py): initialisation under
/// the same seed, recurrent stacks' outputs, states and gradients, attention with masks, and
/// the GPT of the `gpt_tiny_step` benchmark trained from PyTorch's initial weights.
struct SequenceTests {
    static func tensors(_ name: String) throws -> [String: Tensor] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/sequence/" + name, withExtension: nil)
            ?? Bundle.module.resourceURL?.appendingPathComponent("Fixtures/sequence/\(name)"))
        return try Safetensors.read(from: url).tensors
    }

    /// The layers of `INIT` in the fixture script, under the same seeds.
    static let layers: [String: (UInt64, @Sendable () -> Module)] = [
        "embedding": (0, { Embedding(numEmbeddings: 10, embeddingDim: 4) }),
        "embedding_padding": (1, { Embedding(numEmbeddings: 10, embeddingDim: 4, paddingIdx: 2) }),
        "lstm": (2, { LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true) }),
        "lstm_proj": (3, { LSTM(inputSize: 3, hiddenSize: 5, projSize: 2) }),
        "gru": (4, { GRU(inputSize: 3, hiddenSize: 4, bias: false) }),
        "rnn": (5, { RNN(inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: "relu") }),
        "lstm_cell": (6, { LSTMCell(inputSize: 3, hiddenSize: 4) }),
        "gru_cell": (7, { GRUCell(inputSize: 3, hiddenSize: 4) }),
        "rnn_cell": (8, { RNNCell(inputSize: 3, hiddenSize: 4) }),
        "layer_norm": (9, { LayerNorm(6) }),
        "mha": (10, { MultiheadAttention(embedDim: 8, numHeads: 2) }),
        "mha_kv_dims": (11, { MultiheadAttention(embedDim: 8, numHeads: 2, kdim: 5, vdim: 3) }),
        "encoder_layer": (12, { TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16) }),
        "decoder_layer": (13, { TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16) }),
        "transformer": (14, { Transformer(dModel: 8, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16) }),
    ]

    /// A linear layer over a sequence takes PyTorch 2.15's paths, seen in its `grad_fn` chains:
    /// a contiguous input with a bias is flattened into one addmm
    /// (`UnsafeViewBackward0(AddmmBackward0(AccumulateGrad, ViewBackward0, …))`), a
    /// non-contiguous one is a matmul and an add, and without a bias a folded matmul. The
    /// values and gradients agree with the matmul-and-add formula either way.
    @Test func linearOverASequenceTakesPyTorchsPath() {
        let g = Generator(seed: 21)
        let w = Tensor.randn(3, 4, generator: g).requiresGrad(true), b = Tensor.randn(3, generator: g).requiresGrad(true)
        let x = Tensor.randn(2, 5, 4, generator: g).requiresGrad(true)
        let y = Tensor.linear(x, weight: w, bias: b)
        #expect(y.shape == [2, 5, 3])
        #expect(y.gradFn?.name == "UnsafeViewBackward0")
        let addmm = y.gradFn?.nextFunctions[0]
        #expect(addmm?.name == "AddmmBackward0")
        #expect(addmm?.nextFunctions[1]?.name == "ViewBackward0")
        #expect(Tensor.linear(x, weight: w, bias: nil).gradFn?.nextFunctions[0]?.name == "MmBackward0")
        #expect(Tensor.linear(x.transpose(0, 1), weight: w, bias: b).gradFn?.name == "AddBackward0")
        #expect(Tensor.linear(Tensor.randn(4, generator: g), weight: w, bias: b).gradFn?.name == "UnsafeViewBackward0")

        y.square().sum().backward()
        let (gx, gw, gb) = (x.grad!, w.grad!, b.grad!)
        for t in [x, w, b] { t.grad = nil }
        (x.matmul(w.t()) + b).square().sum().backward()
        #expect(close(y.detach().scalars(as: Double.self), noGrad { x.matmul(w.t()) + b }.scalars(as: Double.self), rtol: 1e-6, atol: 1e-6))
        for (got, expected) in [(gx, x.grad!), (gw, w.grad!), (gb, b.grad!)] {
            #expect(close(got.scalars(as: Double.self), expected.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5))
        }
    }

    @Test(arguments: layers.keys.sorted())
    func layersInitialiseAsPyTorch(_ name: String) throws {
        let expected = try Self.tensors("init_\(name).safetensors")
        let (seed, make) = try #require(Self.layers[name])
        let state = exclusiveGlobalGenerator {
            manualSeed(seed)
            return make().stateDict()
        }
        #expect(state.keys == expected.keys.sorted { a, b in state.keys.firstIndex(of: a) ?? 0 < state.keys.firstIndex(of: b) ?? 0 })
        #expect(Set(state.keys) == Set(expected.keys))
        for (key, tensor) in state.items {
            let e = try #require(expected[key])
            #expect(tensor.shape == e.shape, "\(name).\(key)")
            #expect(tensor.scalars(as: Double.self) == e.scalars(as: Double.self), "\(name).\(key) differs from PyTorch's")
        }
    }

    static let stacks: [String: @Sendable () -> RNNBase] = [
        "lstm_stack": { LSTM(inputSize: 4, hiddenSize: 5, numLayers: 2, batchFirst: true, bidirectional: true) },
        "gru_stack": { GRU(inputSize: 4, hiddenSize: 5, numLayers: 2, batchFirst: true, bidirectional: true) },
        "rnn_stack": { RNN(inputSize: 4, hiddenSize: 5, numLayers: 2, batchFirst: true, bidirectional: true) },
        "lstm_proj_stack": { LSTM(inputSize: 4, hiddenSize: 5, numLayers: 2, batchFirst: true, bidirectional: true, projSize: 3) },
    ]

    /// Two layers, both directions, batch first, from given states: outputs, final states and
    /// the gradients of every input and parameter within 1e-5 of PyTorch's.
    @Test(arguments: stacks.keys.sorted())
    func recurrentStacksMatchPyTorch(_ name: String) throws {
        let f = try Self.tensors("\(name).safetensors")
        let layer = exclusiveGlobalGenerator { Self.stacks[name]!() }
        let params = f.filter { $0.key.hasPrefix("p.") }.map { (String($0.key.dropFirst(2)), $0.value) }
        try layer.loadStateDict(StateDict(params))
        let x = try #require(f["x"]).requiresGrad(true), h0 = try #require(f["h0"]).requiresGrad(true)
        let c0 = f["c0"]?.requiresGrad(true)
        let (out, states) = layer.run(x, c0.map { [h0, $0] } ?? [h0])
        var loss = (out * f["up.out"]!).sum() + (states[0] * f["up.h"]!).sum()
        if states.count > 1 { loss = loss + (states[1] * f["up.c"]!).sum() }
        loss.backward()
        func expectClose(_ t: Tensor?, _ key: String) {
            guard let t, let e = f[key] else {
                Issue.record("\(name): missing \(key)")
                return
            }
            #expect(t.shape == e.shape, "\(name): \(key) shape")
            #expect(close(t.scalars(as: Double.self), e.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(name): \(key)")
        }
        expectClose(out, "out")
        expectClose(states[0], "h")
        if states.count > 1 { expectClose(states[1], "c") }
        expectClose(x.grad, "g.x")
        expectClose(h0.grad, "g.h0")
        if let c0 { expectClose(c0.grad, "g.c0") }
        for (key, p) in layer.namedParameters() { expectClose(p.grad, "g.p.\(key)") }
    }

    /// The fused LSTM layer's gradients and gradients of gradients in float64, both
    /// directions, with and without a projection, every output at once.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func fusedLSTMPassesGradcheck(_ reverse: Bool, _ projected: Bool) throws {
        let g = Generator(seed: 5)
        func r(_ shape: Int...) -> Tensor { Tensor.randn(shape, dtype: .float64, generator: g).requiresGrad(true) }
        let (hidden, out) = (3, projected ? 2 : 3)
        var inputs = [r(4, 2, 3), r(2, out), r(2, hidden), r(4 * hidden, 3), r(4 * hidden, out), r(4 * hidden), r(4 * hidden)]
        if projected { inputs.append(r(out, hidden)) }
        let op: ([Tensor]) -> Tensor = { t in
            let y = Tensor._lstmLayer(t[0], h0: t[1], c0: t[2], wIh: t[3], wHh: t[4], bIh: t[5], bHh: t[6],
                                      wHr: projected ? t[7] : nil, reverse: reverse)
            return Tensor.cat([y.output.flatten(), y.h.flatten() * 2, y.c.flatten() * 3])
        }
        #expect(try gradcheck(op, inputs: inputs))
        #expect(try gradgradcheck(op, inputs: inputs))
    }

    /// The attention fixtures: a module built as the script builds it (weights then loaded
    /// from PyTorch's), and its call on the fixture's inputs.
    static let attentionCases: [String: (@Sendable () -> Module, @Sendable (Module, [String: Tensor]) -> [String: Tensor])] = [
        "mha_padding": ({ MultiheadAttention(embedDim: 8, numHeads: 2, batchFirst: true) }, { m, t in
            let (y, w) = (m as! MultiheadAttention)(t["q"]!, t["k"]!, t["v"]!, keyPaddingMask: t["mask_padding"]!)
            return ["y": y, "w": w!]
        }),
        "mha_self_causal": ({ MultiheadAttention(embedDim: 8, numHeads: 2) }, { m, t in
            ["y": (m as! MultiheadAttention)(t["x"]!, t["x"]!, t["x"]!, needWeights: false, attnMask: t["mask_attn"]!).0]
        }),
        "mha_kv_dims": ({ MultiheadAttention(embedDim: 8, numHeads: 2, addBiasKV: true, kdim: 5, vdim: 3) }, { m, t in
            let (y, w) = (m as! MultiheadAttention)(t["q"]!, t["k"]!, t["v"]!, averageAttnWeights: false)
            return ["y": y, "w": w!]
        }),
        "encoder_layer": ({ TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, activation: .gelu, batchFirst: true, normFirst: true) }, { m, t in
            ["y": (m as! TransformerEncoderLayer)(t["x"]!, srcKeyPaddingMask: t["mask_padding"]!)]
        }),
        "decoder_layer": ({ TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0) }, { m, t in
            ["y": (m as! TransformerDecoderLayer)(t["x"]!, memory: t["memory"]!, tgtMask: t["mask_attn"]!)]
        }),
        "transformer": ({ Transformer(dModel: 8, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16, dropout: 0) }, { m, t in
            ["y": (m as! Transformer)(t["src"]!, t["x"]!, tgtMask: t["mask_attn"]!)]
        }),
    ]

    /// Outputs (and attention weights) of attention and transformer layers from PyTorch's
    /// weights, and the gradients of every input and parameter, within 1e-5.
    @Test(arguments: attentionCases.keys.sorted())
    func attentionMatchesPyTorch(_ name: String) throws {
        let f = try Self.tensors("\(name).safetensors")
        let (make, call) = try #require(Self.attentionCases[name])
        let module = exclusiveGlobalGenerator { make() }
        try module.loadStateDict(StateDict(f.filter { $0.key.hasPrefix("p.") }.map { (String($0.key.dropFirst(2)), $0.value) }))
        var inputs: [String: Tensor] = [:]
        for (key, t) in f where !key.contains(".") {
            inputs[key] = t.dtype.isFloatingPoint && !key.hasPrefix("mask") ? t.requiresGrad(true) : t
        }
        let outputs = call(module, inputs)
        var loss = Tensor(0)
        for (key, y) in outputs {
            let e = try #require(f["out.\(key)"])
            #expect(y.shape == e.shape, "\(name): \(key) shape")
            #expect(close(y.scalars(as: Double.self), e.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(name): \(key)")
            loss = loss + (y * f["up.\(key)"]!).sum()
        }
        loss.backward()
        for (key, t) in inputs where t.requiresGrad {
            let e = try #require(f["g.\(key)"])
            #expect(close(try #require(t.grad).scalars(as: Double.self), e.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(name): gradient of \(key)")
        }
        for (key, p) in module.namedParameters() {
            guard let e = f["g.p.\(key)"] else { continue }
            #expect(close(try #require(p.grad).scalars(as: Double.self), e.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(name): gradient of \(key)")
        }
    }

    /// The `gpt_tiny_step` model from PyTorch's weights (nanoGPT's names): logits within 1e-5,
    /// and ten AdamW steps with gradient clipping to PyTorch's losses within 1e-4 relative.
    @Test func gptTrainsToPyTorchsLosses() throws {
        let f = try Self.tensors("gpt.safetensors")
        let model = exclusiveGlobalGenerator { GPT(GPTConfig(blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128)) }
        try model.loadStateDict(StateDict(f.filter { $0.key.hasPrefix("p.") }.map { (String($0.key.dropFirst(2)), $0.value) }))
        #expect(model.parameters().count == model.stateDict().keys.count - 1, "the tied head is one parameter")
        let (idx, targets) = (try #require(f["idx"]), try #require(f["targets"]))
        let logits = model(idx)
        #expect(close(logits.scalars(as: Double.self), try #require(f["logits"]).scalars(as: Double.self), rtol: 1e-5, atol: 1e-5))
        let losses = try #require(f["losses"]).scalars(as: Double.self)
        let optimizer = AdamW(model.parameters(), lr: 1e-3, weightDecay: 0.1)
        for (step, expected) in losses.enumerated() {
            optimizer.zeroGrad()
            let loss = model.loss(idx, targets: targets)
            loss.backward()
            _ = clipGradNorm(model.parameters(), maxNorm: 1)
            optimizer.step()
            #expect(Swift.abs(loss.item() - expected) <= 1e-4 * Swift.abs(expected), "step \(step): \(loss.item()) vs \(expected)")
        }
    }

    /// A two-layer bidirectional LSTM over a packed batch of unsorted lengths: packed outputs,
    /// each sequence's final states (original order), the unpacked padding, and gradients.
    @Test func packedLSTMMatchesPyTorch() throws {
        let f = try Self.tensors("lstm_packed.safetensors")
        let layer = exclusiveGlobalGenerator { LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true) }
        try layer.loadStateDict(StateDict(f.filter { $0.key.hasPrefix("p.") }.map { (String($0.key.dropFirst(2)), $0.value) }))
        let x = try #require(f["x"]).requiresGrad(true), h0 = try #require(f["h0"]).requiresGrad(true)
        let c0 = try #require(f["c0"]).requiresGrad(true)
        let packed = packPaddedSequence(x, lengths: [4, 6, 2], enforceSorted: false)
        let (out, (h, c)) = layer(packed, (h0, c0))
        #expect(out.batchSizes.scalars(as: Int.self) == f["batch_sizes"]!.scalars(as: Int.self))
        let (padded, lengths) = padPackedSequence(out)
        #expect(lengths.scalars(as: Int.self) == [4, 6, 2])
        for (t, key) in [(out.data, "data"), (h, "h"), (c, "c"), (padded, "padded")] {
            #expect(t.shape == f[key]!.shape, "\(key) shape")
            #expect(close(t.scalars(as: Double.self), f[key]!.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(key)")
        }
        let loss = (out.data * f["up.data"]!).sum() + (h * f["up.h"]!).sum() + (c * f["up.c"]!).sum()
        loss.backward()
        for (t, key) in [(x, "g.x"), (h0, "g.h0"), (c0, "g.c0")] {
            #expect(close(try #require(t.grad).scalars(as: Double.self), f[key]!.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(key)")
        }
        for (key, p) in layer.namedParameters() {
            #expect(close(try #require(p.grad).scalars(as: Double.self), f["g.p.\(key)"]!.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(key)")
        }
    }

    @Test func padSequencePadsAndPackSequenceRoundTrips() {
        let a = Tensor([[1.0, 2], [3, 4], [5, 6]]), b = Tensor([[7.0, 8]])
        let padded = padSequence([a, b], batchFirst: true, paddingValue: -1)
        #expect(padded.shape == [2, 3, 2])
        #expect(padded.scalars(as: Double.self) == [1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, -1])
        let packed = packSequence([a, b])
        #expect(packed.batchSizes.scalars(as: Int.self) == [2, 1, 1])
        #expect(packed.data.scalars(as: Double.self) == [1, 2, 7, 8, 3, 4, 5, 6])
        let (back, lengths) = padPackedSequence(packed, batchFirst: true, paddingValue: -1)
        #expect(back.scalars(as: Double.self) == padded.scalars(as: Double.self))
        #expect(lengths.scalars(as: Int.self) == [3, 1])
    }

    /// nanoGPT's `generate` (temperature 0.8, top-k 10) under `torch.manual_seed(1337)` from
    /// the trained fixture model: the same 20 tokens, drawn from Descent's global generator.
    @Test func gptGeneratesPyTorchsTokens() throws {
        let f = try Self.tensors("gpt.safetensors")
        let model = exclusiveGlobalGenerator { GPT(GPTConfig(blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128)) }
        try model.loadStateDict(StateDict(f.filter { $0.key.hasPrefix("p.") }.map { (String($0.key.dropFirst(2)), $0.value) }))
        let (idx, targets) = (try #require(f["idx"]), try #require(f["targets"]))
        let optimizer = AdamW(model.parameters(), lr: 1e-3, weightDecay: 0.1)
        for _ in 0..<10 {
            optimizer.zeroGrad()
            model.loss(idx, targets: targets).backward()
            _ = clipGradNorm(model.parameters(), maxNorm: 1)
            optimizer.step()
        }
        let sample = exclusiveGlobalGenerator { () -> Tensor in
            manualSeed(1337)
            return model.generate(idx.narrow(0, 0, 1).narrow(1, 0, 8), maxNewTokens: 20, temperature: 0.8, topK: 10)
        }
        #expect(sample.scalars(as: Int.self) == f["sample"]!.scalars(as: Int.self))
        let again = model.generate(idx.narrow(0, 0, 1).narrow(1, 0, 8), maxNewTokens: 20, temperature: 0.8, topK: 10, generator: Generator(seed: 7))
        let repeated = model.generate(idx.narrow(0, 0, 1).narrow(1, 0, 8), maxNewTokens: 20, temperature: 0.8, topK: 10, generator: Generator(seed: 7))
        #expect(again.scalars(as: Int.self) == repeated.scalars(as: Int.self), "a seed reproduces a sample")
    }

    @Test func topPKeepsTheSmallestSetPastP() {
        let logits = Tensor([[Float.log(0.5), Float.log(0.3), Float.log(0.15), Float.log(0.05)]])
        let kept = Sampling.topPFilter(logits, p: 0.7).isinf().scalars(as: Bool.self)
        #expect(kept == [false, false, true, true])
        let top2 = Sampling.topKFilter(logits, k: 2).isinf().scalars(as: Bool.self)
        #expect(top2 == [false, false, true, true])
    }
}
