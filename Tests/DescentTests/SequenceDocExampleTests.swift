import Foundation
import Testing
@testable import Descent
@testable import DescentNN

/// The examples in the sequence API's doc comments, as written there, so that they compile
/// and do what they say.
struct SequenceDocExampleTests {
    @Test func opExamples() {
        exclusiveGlobalGenerator {
            let table = Tensor.randn(10, 3)
            let rows = Tensor.embedding(Tensor([[1, 2], [4, 9]], dtype: .int64), weight: table)   // [2, 2, 3]
            #expect(rows.shape == [2, 2, 3])
            let ids = Tensor([1, 2, 4, 5, 4, 3], dtype: .int64)
            let bags = Tensor.embeddingBag(ids, weight: table, offsets: Tensor([0, 3], dtype: .int64), mode: .mean)   // [2, dim]
            #expect(bags.shape == [2, 3])
            #expect(Tensor.oneHot(Tensor([1, 0, 3], dtype: .int64)).scalars(as: Int.self) == [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1])
            let x = Tensor.randn(2, 5, 128), gamma = Tensor.ones(128), beta = Tensor.zeros(128)
            #expect(Tensor.layerNorm(x, normalizedShape: [128], weight: gamma, bias: beta).shape == [2, 5, 128])
            let r = Tensor.rmsNorm(Tensor.randn(3, 64), normalizedShape: [64], weight: Tensor.ones(64))
            #expect(r.shape == [3, 64])
            let (q, k, v) = (Tensor.randn(2, 4, 8, 16), Tensor.randn(2, 4, 8, 16), Tensor.randn(2, 4, 8, 16))
            let y = Tensor.scaledDotProductAttention(q, k, v, isCausal: true)   // q, k, v: [B, H, T, D]
            #expect(y.shape == [2, 4, 8, 16])
            let vocab = 65
            let logits = Tensor.randn(2, 8, vocab), targets = Tensor.randint(0, vocab, [2, 8])
            let loss = Tensor.crossEntropy(logits.view(-1, vocab), targets.view(-1), labelSmoothing: 0.1)
            #expect(loss.rank == 0 && loss.item() > 0)
        }
    }

    @Test func layerExamples() {
        exclusiveGlobalGenerator {
            manualSeed(0)
            let embed = Embedding(numEmbeddings: 65, embeddingDim: 128)   // == nn.Embedding(65, 128)
            let x = embed(Tensor([[1, 5, 7]], dtype: .int64))               // [1, 3, 128]
            #expect(x.shape == [1, 3, 128])
            #expect(embed.weight.shape == [65, 128])
            let bag = EmbeddingBag(numEmbeddings: 10, embeddingDim: 3, mode: .sum)
            let y = bag(Tensor([1, 2, 4, 5, 4, 3], dtype: .int64), offsets: Tensor([0, 3], dtype: .int64))   // [2, 3]
            #expect(y.shape == [2, 3])
            let norm = LayerNorm(128)
            #expect(norm(Tensor.randn(2, 4, 128)).shape == [2, 4, 128])
            #expect(RMSNorm(64)(Tensor.randn(3, 64)).shape == [3, 64])
        }
    }

    @Test func recurrentExamples() {
        exclusiveGlobalGenerator {
            let rnn = RNN(inputSize: 10, hiddenSize: 20, numLayers: 2)
            let (output, hN) = rnn(Tensor.randn(5, 3, 10))   // output [5, 3, 20], hN [2, 3, 20]
            #expect(output.shape == [5, 3, 20] && hN.shape == [2, 3, 20])
            let lstm = LSTM(inputSize: 64, hiddenSize: 128, batchFirst: true)
            let (out, (h, c)) = lstm(Tensor.randn(32, 50, 64))   // output [32, 50, 128]
            #expect(out.shape == [32, 50, 128] && h.shape == [1, 32, 128] && c.shape == [1, 32, 128])
            let gru = GRU(inputSize: 10, hiddenSize: 20, numLayers: 2, bidirectional: true)
            let (g, gN) = gru(Tensor.randn(5, 3, 10))   // output [5, 3, 40], hN [4, 3, 20]
            #expect(g.shape == [5, 3, 40] && gN.shape == [4, 3, 20])
            let cell = RNNCell(inputSize: 10, hiddenSize: 20)
            var state = Tensor.zeros(3, 20)
            for x in Tensor.randn(6, 3, 10).unbind(0) { state = cell(x, state) }
            #expect(state.shape == [3, 20])
            #expect(GRUCell(inputSize: 10, hiddenSize: 20)(Tensor.randn(3, 10), nil).shape == [3, 20])
            let (h2, c2) = LSTMCell(inputSize: 10, hiddenSize: 20)(Tensor.randn(3, 10), nil)
            #expect(h2.shape == [3, 20] && c2.shape == [3, 20])
            let padded = Tensor.randn(3, 5, 64)
            let packed = packPaddedSequence(padded, lengths: [5, 3, 2], batchFirst: true)
            let (packedOut, _) = lstm(packed, nil)
            let (unpacked, lengths) = padPackedSequence(packedOut, batchFirst: true)
            #expect(unpacked.shape == [3, 5, 128] && lengths.scalars(as: Int.self) == [5, 3, 2])
            let sequences = [Tensor.randn(4, 2), Tensor.randn(2, 2), Tensor.randn(1, 2)]
            #expect(padSequence(sequences, batchFirst: true).shape == [3, 4, 2])
        }
    }

    @Test func attentionAndTransformerExamples() {
        exclusiveGlobalGenerator {
            let x = Tensor.randn(2, 5, 8)
            let padding = Tensor([[false, false, false, true, true], [false, false, false, false, false]])
            let attention = MultiheadAttention(embedDim: 8, numHeads: 2, batchFirst: true)
            let (y, weights) = attention(x, x, x, keyPaddingMask: padding)   // weights averaged over heads
            #expect(y.shape == [2, 5, 8] && weights?.shape == [2, 5, 5])
            let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, batchFirst: true)
            #expect(layer(x, srcKeyPaddingMask: padding).shape == [2, 5, 8])
            let tgt = Tensor.randn(4, 2, 8), memory = Tensor.randn(6, 2, 8)
            let decoderLayer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16)
            #expect(decoderLayer(tgt, memory: memory, tgtMask: Transformer.generateSquareSubsequentMask(tgt.shape[0])).shape == [4, 2, 8])
            let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 8, nhead: 2), numLayers: 3)
            #expect(encoder.layers.count == 3)
            #expect(encoder.layers[0].linear1.weight.scalars(as: Float.self) == encoder.layers[2].linear1.weight.scalars(as: Float.self))
            let decoder = TransformerDecoder(TransformerDecoderLayer(dModel: 8, nhead: 2), numLayers: 2)
            #expect(decoder.layers.count == 2)
            let model = Transformer(dModel: 16, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32)
            let src = Tensor.randn(5, 2, 16), target = Tensor.randn(3, 2, 16)
            #expect(model(src, target, tgtMask: Transformer.generateSquareSubsequentMask(target.shape[0])).shape == [3, 2, 16])
        }
    }

    @Test func gptAndSamplingExamples() {
        exclusiveGlobalGenerator {
            let model = GPT(GPTConfig(blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128))
            let idx = Tensor.randint(0, 65, [2, 16]), targets = Tensor.randint(0, 65, [2, 16])
            let logits = model(idx)                      // [B, T, vocab]
            #expect(logits.shape == [2, 16, 65])
            let loss = model.loss(idx, targets: targets)
            #expect(Swift.abs(loss.item() - Foundation.log(65.0)) < 0.5)
            let next = Sampling.sample(logits.select(1, 15), temperature: 0.8, topK: 40, generator: Generator(seed: 1))   // [B, 1] int64
            #expect(next.shape == [2, 1] && next.dtype == .int64)
            manualSeed(1337)
            let out = model.generate(Tensor([[0]], dtype: .int64), maxNewTokens: 100, temperature: 0.8, topK: 40)
            #expect(out.shape == [1, 101])
        }
    }
}
