import Descent

/// The shape of a ``GPT``: nanoGPT's `GPTConfig`.
public struct GPTConfig: Sendable, Equatable, Codable {
    /// The longest context the model reads.
    public var blockSize: Int
    /// Tokens in the vocabulary.
    public var vocabSize: Int
    /// Transformer blocks.
    public var nLayer: Int
    /// Attention heads per block.
    public var nHead: Int
    /// The model width.
    public var nEmbd: Int
    /// Dropout on embeddings, attention weights and residual branches, in training.
    public var dropout: Double
    /// Whether linear layers and layer norms have biases.
    public var bias: Bool

    /// A configuration; nanoGPT's defaults are GPT-2's (1024, 50304, 12, 12, 768).
    public init(blockSize: Int = 1024, vocabSize: Int = 50304, nLayer: Int = 12, nHead: Int = 12, nEmbd: Int = 768,
                dropout: Double = 0, bias: Bool = true) {
        self.blockSize = blockSize
        self.vocabSize = vocabSize
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.dropout = dropout
        self.bias = bias
    }
}

/// Causal self-attention with one fused query-key-value projection (`c_attn`) and an output
/// projection (`c_proj`), through ``Tensor/scaledDotProductAttention(_:_:_:attnMask:dropoutP:isCausal:scale:enableGQA:generator:)``.
public final class CausalSelfAttention: Module {
    /// `nEmbd -> 3·nEmbd`: queries, keys and values.
    public let cAttn: Linear
    /// `nEmbd -> nEmbd`.
    public let cProj: Linear
    /// Dropout on the projection's output.
    public let residDropout: Dropout
    /// Heads and width.
    public let nHead: Int, nEmbd: Int
    /// Dropout on the attention weights, in training.
    public let dropout: Double

    /// The attention of a block of `config`.
    public init(_ config: GPTConfig, generator: Generator? = nil) {
        if config.nEmbd % config.nHead != 0 { preconditionFailure("n_embd must be divisible by n_head") }
        cAttn = Linear(inFeatures: config.nEmbd, outFeatures: 3 * config.nEmbd, bias: config.bias, generator: generator)
        cProj = Linear(inFeatures: config.nEmbd, outFeatures: config.nEmbd, bias: config.bias, generator: generator)
        residDropout = Dropout(p: config.dropout)
        nHead = config.nHead
        nEmbd = config.nEmbd
        dropout = config.dropout
    }

    public override var namedChildren: [(String, Module)] { [("c_attn", cAttn), ("c_proj", cProj)] }

    public override func forward(_ x: Tensor) -> Tensor {
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let qkv = cAttn(x).split(nEmbd, dim: 2).map { $0.view(b, t, nHead, c / nHead).transpose(1, 2) }
        let y = Tensor.scaledDotProductAttention(qkv[0], qkv[1], qkv[2], dropoutP: isTraining ? dropout : 0, isCausal: true)
        return residDropout(cProj(y.transpose(1, 2).contiguous().view(b, t, c)))
    }
}

/// The feed-forward part of a block: `c_fc`, GELU, `c_proj`, dropout.
public final class GPTMLP: Module {
    /// `nEmbd -> 4·nEmbd`.
    public let cFc: Linear
    /// `4·nEmbd -> nEmbd`.
    public let cProj: Linear
    /// Dropout on the output.
    public let dropout: Dropout

    /// The feed-forward part of a block of `config`.
    public init(_ config: GPTConfig, generator: Generator? = nil) {
        cFc = Linear(inFeatures: config.nEmbd, outFeatures: 4 * config.nEmbd, bias: config.bias, generator: generator)
        cProj = Linear(inFeatures: 4 * config.nEmbd, outFeatures: config.nEmbd, bias: config.bias, generator: generator)
        dropout = Dropout(p: config.dropout)
    }

    public override var namedChildren: [(String, Module)] { [("c_fc", cFc), ("c_proj", cProj)] }

    public override func forward(_ x: Tensor) -> Tensor { dropout(cProj(cFc(x).gelu())) }
}

/// A pre-norm transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class GPTBlock: Module {
    /// Norm before the attention.
    public let ln1: LayerNorm
    /// The causal self-attention.
    public let attn: CausalSelfAttention
    /// Norm before the feed-forward part.
    public let ln2: LayerNorm
    /// The feed-forward part.
    public let mlp: GPTMLP

    /// A block of `config`.
    public init(_ config: GPTConfig, generator: Generator? = nil) {
        ln1 = LayerNorm(config.nEmbd, bias: config.bias)
        attn = CausalSelfAttention(config, generator: generator)
        ln2 = LayerNorm(config.nEmbd, bias: config.bias)
        mlp = GPTMLP(config, generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("ln_1", ln1), ("attn", attn), ("ln_2", ln2), ("mlp", mlp)] }

    public override func forward(_ x: Tensor) -> Tensor {
        let y = x + attn(ln1(x))
        return y + mlp(ln2(y))
    }
}

/// A GPT language model with nanoGPT's structure and parameter names
/// (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, `lm_head.weight` tied to
/// the token embedding), so its state dict loads into nanoGPT's `GPT` and back.
///
/// ```swift
/// let model = GPT(GPTConfig(blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128))
/// let logits = model(idx)                      // [B, T, vocab]
/// let loss = model.loss(idx, targets: targets)
/// ```
public final class GPT: Module {
    /// The configuration.
    public let config: GPTConfig
    /// Token embeddings `[vocab, nEmbd]`, shared with ``lmHead``.
    public let wte: Embedding
    /// Position embeddings `[blockSize, nEmbd]`.
    public let wpe: Embedding
    /// Dropout on the summed embeddings.
    public let drop: Dropout
    /// The blocks.
    public let h: [GPTBlock]
    /// The final norm.
    public let lnF: LayerNorm
    /// `nEmbd -> vocab`, without bias, its weight the token embedding's.
    public let lmHead: Linear

    /// A model initialised as nanoGPT initialises it: normal(0, 0.02) matrices and embeddings,
    /// zero biases, residual projections scaled by `1/sqrt(2·nLayer)`; draws from `generator`.
    public init(_ config: GPTConfig, generator: Generator? = nil) {
        self.config = config
        wte = Embedding(numEmbeddings: config.vocabSize, embeddingDim: config.nEmbd, generator: generator)
        wpe = Embedding(numEmbeddings: config.blockSize, embeddingDim: config.nEmbd, generator: generator)
        drop = Dropout(p: config.dropout)
        h = (0..<config.nLayer).map { _ in GPTBlock(config, generator: generator) }
        lnF = LayerNorm(config.nEmbd, bias: config.bias)
        lmHead = Linear(inFeatures: config.nEmbd, outFeatures: config.vocabSize, bias: false, generator: generator)
        lmHead.weight = wte.weight
        super.init()
        noGrad {
            for (name, p) in namedParameters() {
                if name.hasSuffix("bias") && p.rank == 1 && !name.contains("ln_") { p.fill(0) }
                if p.rank == 2 {
                    let std = name.hasSuffix("c_proj.weight") ? 0.02 / Double(2 * config.nLayer).squareRoot() : 0.02
                    p.normal(mean: 0, std: std, generator: generator)
                }
            }
        }
    }

    public override var namedChildren: [(String, Module)] {
        [("transformer", _GPTTransformer(self)), ("lm_head", lmHead)]
    }
    public override var namedOwnParameters: [(String, Tensor)] { [] }

    /// Logits `[B, T, vocab]` for token ids `idx` `[B, T]` (T at most `blockSize`).
    public override func forward(_ idx: Tensor) -> Tensor { lmHead(hidden(idx)) }

    /// The final normalised hidden states `[B, T, nEmbd]`.
    public func hidden(_ idx: Tensor) -> Tensor {
        let t = idx.shape[idx.rank - 1]
        if t > config.blockSize { preconditionFailure("Cannot forward sequence of length \(t), block size is only \(config.blockSize)") }
        let positions = Tensor.arange(t, dtype: .int64)
        var x = drop(wte(idx) + wpe(positions))
        for block in h { x = block(x) }
        return lnF(x)
    }

    /// The mean cross-entropy of the next-token predictions against `targets` (`-1` ignored,
    /// as nanoGPT's `ignore_index=-1`).
    public func loss(_ idx: Tensor, targets: Tensor) -> Tensor {
        let logits = forward(idx)
        return Tensor.crossEntropy(logits.view(-1, config.vocabSize), targets.view(-1), ignoreIndex: -1)
    }
}

/// nanoGPT's `transformer` ModuleDict (wte, wpe, h, ln_f), for the parameter names.
final class _GPTTransformer: Module {
    unowned let model: GPT
    init(_ model: GPT) { self.model = model }
    override var namedChildren: [(String, Module)] {
        [("wte", model.wte), ("wpe", model.wpe), ("h", ModuleList(model.h)), ("ln_f", model.lnF)]
    }
    override var namedOwnParameters: [(String, Tensor)] { [] }
}
