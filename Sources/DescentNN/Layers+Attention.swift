import Descent

/// Multi-head attention, like `torch.nn.MultiheadAttention`: PyTorch's packed
/// `in_proj_weight` (or `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when `kdim`/`vdim`
/// differ from `embedDim`), `in_proj_bias` and `out_proj`, initialised as PyTorch does.
///
/// Masks follow PyTorch's convention for this layer: `true` in a boolean `keyPaddingMask` or
/// `attnMask` means "do not attend"; a float mask is added to the scores.
///
/// ```swift
/// let attention = MultiheadAttention(embedDim: 8, numHeads: 2, batchFirst: true)
/// let (y, weights) = attention(x, x, x, keyPaddingMask: padding)   // weights averaged over heads
/// ```
public final class MultiheadAttention: Module {
    /// `[3·embedDim, embedDim]` when query, key and value share `embedDim`.
    public let inProjWeight: Parameter?
    /// Separate projections when `kdim` or `vdim` differ from `embedDim`.
    public let qProjWeight: Parameter?, kProjWeight: Parameter?, vProjWeight: Parameter?
    /// `[3·embedDim]`, or `nil` without bias.
    public let inProjBias: Parameter?
    /// Biases appended to the keys and values (`addBiasKV`), or `nil`.
    public let biasK: Parameter?, biasV: Parameter?
    /// The output projection.
    public let outProj: Linear
    /// Features of queries and outputs.
    public let embedDim: Int
    /// Features of keys and values.
    public let kdim: Int, vdim: Int
    /// Heads the features split into.
    public let numHeads: Int
    /// Dropout on the attention weights, in training.
    public let dropout: Double
    /// Whether inputs are `[batch, sequence, features]`.
    public let batchFirst: Bool
    /// Whether a zero key and value are appended.
    public let addZeroAttn: Bool

    /// Attention over `numHeads` heads of `embedDim / numHeads` features, parameters drawn
    /// from `generator` (the global one by default) in PyTorch's order.
    public init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, addBiasKV: Bool = false, addZeroAttn: Bool = false,
                kdim: Int? = nil, vdim: Int? = nil, batchFirst: Bool = false, generator: Generator? = nil) {
        if embedDim <= 0 || numHeads <= 0 {
            preconditionFailure("embed_dim and num_heads must be greater than 0, got embed_dim=\(embedDim) and num_heads=\(numHeads) instead")
        }
        if embedDim % numHeads != 0 { preconditionFailure("embed_dim must be divisible by num_heads") }
        self.embedDim = embedDim
        self.kdim = kdim ?? embedDim
        self.vdim = vdim ?? embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.addZeroAttn = addZeroAttn
        let packed = self.kdim == embedDim && self.vdim == embedDim
        inProjWeight = packed ? Parameter(Tensor.empty([3 * embedDim, embedDim])) : nil
        qProjWeight = packed ? nil : Parameter(Tensor.empty([embedDim, embedDim]))
        kProjWeight = packed ? nil : Parameter(Tensor.empty([embedDim, self.kdim]))
        vProjWeight = packed ? nil : Parameter(Tensor.empty([embedDim, self.vdim]))
        inProjBias = bias ? Parameter(Tensor.zeros([3 * embedDim])) : nil
        biasK = addBiasKV ? Parameter(Tensor.empty([1, 1, embedDim])) : nil
        biasV = addBiasKV ? Parameter(Tensor.empty([1, 1, embedDim])) : nil
        // PyTorch builds out_proj (a Linear, drawing its own weights) first, then resets.
        outProj = Linear(inFeatures: embedDim, outFeatures: embedDim, bias: bias, generator: generator)
        super.init()
        noGrad {
            if let inProjWeight {
                Init.xavierUniform(inProjWeight, generator: generator)
            } else {
                for w in [qProjWeight, kProjWeight, vProjWeight].compactMap({ $0 }) { Init.xavierUniform(w, generator: generator) }
            }
            outProj.bias?.fill(0)
            for b in [biasK, biasV].compactMap({ $0 }) { Init.xavierNormal(b, generator: generator) }
        }
    }

    /// Attention of `query` over `key`/`value`; returns the output and, with `needWeights`,
    /// the attention weights (averaged over heads unless `averageAttnWeights` is false).
    public func callAsFunction(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
                               attnMask: Tensor? = nil, averageAttnWeights: Bool = true, isCausal: Bool = false) -> (Tensor, Tensor?) {
        let batched = query.rank == 3
        var q = batched ? query : query.unsqueeze(1), k = batched ? key : key.unsqueeze(1), v = batched ? value : value.unsqueeze(1)
        if batchFirst && batched { (q, k, v) = (q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)) }
        let (targetLength, batch, features) = (q.shape[0], q.shape[1], q.shape[2])
        if features != embedDim { preconditionFailure("was expecting embedding dimension of \(embedDim), but got \(features)") }
        let heads = numHeads, headDim = embedDim / numHeads
        // Projections: one product for self-attention with the packed weight.
        if let w = inProjWeight, query === key && key === value {
            let qkv = Functional.linear(q, weight: w, bias: inProjBias).chunk(3, dim: -1)
            (q, k, v) = (qkv[0], qkv[1], qkv[2])
        } else {
            let w = inProjWeight?.chunk(3) ?? [qProjWeight!, kProjWeight!, vProjWeight!]
            let bias = inProjBias?.chunk(3)
            q = Functional.linear(q, weight: w[0], bias: bias?[0])
            k = Functional.linear(k, weight: w[1], bias: bias?[1])
            v = Functional.linear(v, weight: w[2], bias: bias?[2])
        }
        var mask = attnMask.map { Self.additive($0, like: q) }
        var padding = keyPaddingMask.map { Self.additive(batched ? $0 : $0.unsqueeze(0), like: q) }
        if let biasK, let biasV {
            k = Tensor.cat([k, biasK.expand([1, batch, embedDim])])
            v = Tensor.cat([v, biasV.expand([1, batch, embedDim])])
            mask = mask.map { $0.pad([0, 1]) }
            padding = padding.map { $0.pad([0, 1]) }
        }
        // [L, N, E] -> [N·H, L, hd]
        q = q.reshape([targetLength, batch * heads, headDim]).transpose(0, 1)
        k = k.reshape([k.shape[0], batch * heads, headDim]).transpose(0, 1)
        v = v.reshape([v.shape[0], batch * heads, headDim]).transpose(0, 1)
        if addZeroAttn {
            k = Tensor.cat([k, Tensor.zeros([batch * heads, 1, headDim], dtype: k.dtype)], dim: 1)
            v = Tensor.cat([v, Tensor.zeros([batch * heads, 1, headDim], dtype: v.dtype)], dim: 1)
            mask = mask.map { $0.pad([0, 1]) }
            padding = padding.map { $0.pad([0, 1]) }
        }
        let sourceLength = k.shape[1]
        if let p = padding {
            let expanded = p.view([batch, 1, 1, sourceLength]).expand([batch, heads, 1, sourceLength]).reshape([batch * heads, 1, sourceLength])
            mask = mask.map { ($0.rank == 2 ? $0.unsqueeze(0) : $0) + expanded } ?? expanded
        }
        if isCausal && mask == nil {
            mask = Self.additive(Tensor.ones([targetLength, sourceLength], dtype: .bool).triu(1), like: q)
        }
        let p = isTraining ? dropout : 0
        let output: Tensor, weights: Tensor?
        if needWeights {
            let scaled = q * (1 / Double(headDim)).squareRoot()
            let scores = mask.map { m in (m.rank == 2 ? m.unsqueeze(0) : m).baddbmm(scaled, k.transpose(-2, -1)) } ?? scaled.bmm(k.transpose(-2, -1))
            var w = scores.softmax(dim: -1)
            if p > 0 { w = w.dropout(p: p) }
            output = w.bmm(v)
            let perHead = w.view([batch, heads, targetLength, sourceLength])
            weights = averageAttnWeights ? perHead.mean(dim: 1) : perHead
        } else {
            let m = mask.map { $0.rank == 2 ? $0 : $0.view([batch, heads, -1, sourceLength]) }
            output = Tensor.scaledDotProductAttention(q.view([batch, heads, targetLength, headDim]), k.view([batch, heads, sourceLength, headDim]),
                                                      v.view([batch, heads, sourceLength, headDim]), attnMask: m, dropoutP: p)
                .reshape([batch * heads, targetLength, headDim])
            weights = nil
        }
        var y = output.transpose(0, 1).contiguous().view([targetLength * batch, embedDim])
        y = outProj(y).view([targetLength, batch, embedDim])
        if batchFirst && batched { y = y.transpose(0, 1) }
        if !batched {
            y = y.squeeze(1)
            return (y, weights.map { $0.squeeze(0) })
        }
        return (y, weights)
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input, input, input, needWeights: false).0 }

    /// A mask as values added to the scores: a boolean `true` (masked) becomes -inf.
    static func additive(_ mask: Tensor, like q: Tensor) -> Tensor {
        mask.dtype == .bool ? Tensor.zeros(mask.shape, dtype: q.dtype).maskedFill(mask, -.infinity) : mask.to(q.dtype)
    }
}

/// The activation between a transformer layer's two linear maps.
public enum TransformerActivation: Sendable {
    /// `max(x, 0)`, PyTorch's default.
    case relu
    /// The exact (erf) GELU.
    case gelu

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: x.relu()
        case .gelu: x.gelu()
        }
    }
}

/// Self-attention and a feed-forward block with residual connections and layer norms, like
/// `torch.nn.TransformerEncoderLayer` (post-norm by default, `normFirst` for pre-norm).
///
/// ```swift
/// let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, batchFirst: true)
/// let y = layer(x, srcKeyPaddingMask: padding)
/// ```
public final class TransformerEncoderLayer: Module {
    /// The self-attention.
    public let selfAttn: MultiheadAttention
    /// `dModel -> dimFeedforward`.
    public let linear1: Linear
    /// Dropout after the activation.
    public let dropout: Dropout
    /// `dimFeedforward -> dModel`.
    public let linear2: Linear
    /// Whether the norms come before each block.
    public let normFirst: Bool
    /// The norms of the attention and feed-forward blocks.
    public let norm1: LayerNorm, norm2: LayerNorm
    /// Dropout on each block's output.
    public let dropout1: Dropout, dropout2: Dropout
    /// The feed-forward activation.
    public let activation: TransformerActivation
    let configuration: (dModel: Int, nhead: Int, dimFeedforward: Int, dropout: Double, eps: Double, batchFirst: Bool, bias: Bool)

    /// A layer of width `dModel`, parameters drawn in PyTorch's order.
    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true, generator: Generator? = nil) {
        selfAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, generator: generator)
        linear1 = Linear(inFeatures: dModel, outFeatures: dimFeedforward, bias: bias, generator: generator)
        self.dropout = Dropout(p: dropout)
        linear2 = Linear(inFeatures: dimFeedforward, outFeatures: dModel, bias: bias, generator: generator)
        self.normFirst = normFirst
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        dropout1 = Dropout(p: dropout)
        dropout2 = Dropout(p: dropout)
        self.activation = activation
        configuration = (dModel, nhead, dimFeedforward, dropout, layerNormEps, batchFirst, bias)
    }

    /// A layer with the same configuration and a copy of these weights (`copy.deepcopy`).
    public func copied() -> TransformerEncoderLayer {
        let c = configuration
        let layer = TransformerEncoderLayer(dModel: c.dModel, nhead: c.nhead, dimFeedforward: c.dimFeedforward, dropout: c.dropout,
                                            activation: activation, layerNormEps: c.eps, batchFirst: c.batchFirst, normFirst: normFirst,
                                            bias: c.bias, generator: Generator(seed: 0))
        _copyState(from: self, to: layer)
        return layer
    }

    /// The layer applied to `src`, with an attention mask and a key padding mask (`true`: ignore).
    public func callAsFunction(_ src: Tensor, srcMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = src
        func attend(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: srcKeyPaddingMask, needWeights: false, attnMask: srcMask,
                              isCausal: isCausal && srcMask == nil).0)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
        if normFirst {
            x = x + attend(norm1(x))
            x = x + feedForward(norm2(x))
        } else {
            x = norm1(x + attend(x))
            x = norm2(x + feedForward(x))
        }
        return x
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input) }
}

/// Self-attention, attention over the encoder's output (`memory`) and a feed-forward block,
/// like `torch.nn.TransformerDecoderLayer`.
///
/// ```swift
/// let layer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16)
/// let y = layer(tgt, memory: memory, tgtMask: Transformer.generateSquareSubsequentMask(tgt.shape[0]))
/// ```
public final class TransformerDecoderLayer: Module {
    /// The self-attention.
    public let selfAttn: MultiheadAttention
    /// The attention over the memory.
    public let multiheadAttn: MultiheadAttention
    /// `dModel -> dimFeedforward`.
    public let linear1: Linear
    /// Dropout after the activation.
    public let dropout: Dropout
    /// `dimFeedforward -> dModel`.
    public let linear2: Linear
    /// Whether the norms come before each block.
    public let normFirst: Bool
    /// The norms of the three blocks.
    public let norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm
    /// Dropout on each block's output.
    public let dropout1: Dropout, dropout2: Dropout, dropout3: Dropout
    /// The feed-forward activation.
    public let activation: TransformerActivation
    let configuration: (dModel: Int, nhead: Int, dimFeedforward: Int, dropout: Double, eps: Double, batchFirst: Bool, bias: Bool)

    /// A layer of width `dModel`, parameters drawn in PyTorch's order.
    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true, generator: Generator? = nil) {
        selfAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, generator: generator)
        multiheadAttn = MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, generator: generator)
        linear1 = Linear(inFeatures: dModel, outFeatures: dimFeedforward, bias: bias, generator: generator)
        self.dropout = Dropout(p: dropout)
        linear2 = Linear(inFeatures: dimFeedforward, outFeatures: dModel, bias: bias, generator: generator)
        self.normFirst = normFirst
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm3 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        dropout1 = Dropout(p: dropout)
        dropout2 = Dropout(p: dropout)
        dropout3 = Dropout(p: dropout)
        self.activation = activation
        configuration = (dModel, nhead, dimFeedforward, dropout, layerNormEps, batchFirst, bias)
    }

    /// A layer with the same configuration and a copy of these weights (`copy.deepcopy`).
    public func copied() -> TransformerDecoderLayer {
        let c = configuration
        let layer = TransformerDecoderLayer(dModel: c.dModel, nhead: c.nhead, dimFeedforward: c.dimFeedforward, dropout: c.dropout,
                                            activation: activation, layerNormEps: c.eps, batchFirst: c.batchFirst, normFirst: normFirst,
                                            bias: c.bias, generator: Generator(seed: 0))
        _copyState(from: self, to: layer)
        return layer
    }

    /// The layer applied to `tgt` attending over `memory`, with masks as PyTorch takes them.
    public func callAsFunction(_ tgt: Tensor, memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        var x = tgt
        func attend(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: tgtKeyPaddingMask, needWeights: false, attnMask: tgtMask,
                              isCausal: tgtIsCausal && tgtMask == nil).0)
        }
        func attendMemory(_ x: Tensor) -> Tensor {
            dropout2(multiheadAttn(x, memory, memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false, attnMask: memoryMask,
                                   isCausal: memoryIsCausal && memoryMask == nil).0)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout3(linear2(dropout(activation(linear1(x))))) }
        if normFirst {
            x = x + attend(norm1(x))
            x = x + attendMemory(norm2(x))
            x = x + feedForward(norm3(x))
        } else {
            x = norm1(x + attend(x))
            x = norm2(x + attendMemory(x))
            x = norm3(x + feedForward(x))
        }
        return x
    }
}

/// `numLayers` copies of an encoder layer (equal initial weights, as PyTorch's deep copies)
/// and an optional final norm, like `torch.nn.TransformerEncoder`.
///
/// ```swift
/// let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 8, nhead: 2), numLayers: 3)
/// ```
public final class TransformerEncoder: Module {
    /// The layers, `layers.0` … in the state dict.
    public let layers: [TransformerEncoderLayer]
    /// The final norm, or `nil`.
    public let norm: LayerNorm?

    /// Copies of `layer` stacked `numLayers` deep.
    public init(_ layer: TransformerEncoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        layers = (0..<numLayers).map { _ in layer.copied() }
        self.norm = norm
    }

    /// The stack applied to `src`.
    public func callAsFunction(_ src: Tensor, mask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = src
        for layer in layers { x = layer(x, srcMask: mask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input) }
}

/// `numLayers` copies of a decoder layer and an optional final norm, like
/// `torch.nn.TransformerDecoder`.
///
/// ```swift
/// let decoder = TransformerDecoder(TransformerDecoderLayer(dModel: 8, nhead: 2), numLayers: 2)
/// ```
public final class TransformerDecoder: Module {
    /// The layers, `layers.0` … in the state dict.
    public let layers: [TransformerDecoderLayer]
    /// The final norm, or `nil`.
    public let norm: LayerNorm?

    /// Copies of `layer` stacked `numLayers` deep.
    public init(_ layer: TransformerDecoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        layers = (0..<numLayers).map { _ in layer.copied() }
        self.norm = norm
    }

    /// The stack applied to `tgt` over `memory`.
    public func callAsFunction(_ tgt: Tensor, memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        var x = tgt
        for layer in layers {
            x = layer(x, memory: memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                      memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
        }
        return norm.map { $0(x) } ?? x
    }
}

/// An encoder-decoder transformer, like `torch.nn.Transformer`: every matrix re-drawn
/// Xavier-uniform after construction, as PyTorch does.
///
/// ```swift
/// let model = Transformer(dModel: 16, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32)
/// let y = model(src, tgt, tgtMask: Transformer.generateSquareSubsequentMask(tgt.shape[0]))
/// ```
public final class Transformer: Module {
    /// The encoder stack, with a final norm.
    public let encoder: TransformerEncoder
    /// The decoder stack, with a final norm.
    public let decoder: TransformerDecoder
    /// The model width.
    public let dModel: Int
    /// Heads per attention.
    public let nhead: Int
    /// Whether inputs are `[batch, sequence, features]`.
    public let batchFirst: Bool

    /// A transformer with PyTorch's defaults (width 512, 8 heads, 6 + 6 layers).
    public init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6, dimFeedforward: Int = 2048,
                dropout: Double = 0.1, activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, generator: Generator? = nil) {
        let encoderLayer = TransformerEncoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                                   activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                                   normFirst: normFirst, bias: bias, generator: generator)
        encoder = TransformerEncoder(encoderLayer, numLayers: numEncoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias))
        let decoderLayer = TransformerDecoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                                   activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                                   normFirst: normFirst, bias: bias, generator: generator)
        decoder = TransformerDecoder(decoderLayer, numLayers: numDecoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias))
        self.dModel = dModel
        self.nhead = nhead
        self.batchFirst = batchFirst
        super.init()
        noGrad { for p in parameters() where p.rank > 1 { Init.xavierUniform(p, generator: generator) } }
    }

    /// The decoder's output for `tgt` attending over the encoded `src`.
    public func callAsFunction(_ src: Tensor, _ tgt: Tensor, srcMask: Tensor? = nil, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               srcKeyPaddingMask: Tensor? = nil, tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               srcIsCausal: Bool = false, tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        let memory = encoder(src, mask: srcMask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: srcIsCausal)
        return decoder(tgt, memory: memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                       memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
    }

    /// `[size, size]` float mask with -inf above the diagonal, like
    /// `Transformer.generate_square_subsequent_mask`.
    public static func generateSquareSubsequentMask(_ size: Int, dtype: DType = .float32) -> Tensor {
        Tensor.zeros([size, size], dtype: dtype).maskedFill(Tensor.ones([size, size], dtype: .bool).triu(1), -.infinity)
    }
}

/// Copies every parameter and buffer of `source` into the same-named ones of `target`.
func _copyState(from source: Module, to target: Module) {
    let values = Dictionary(uniqueKeysWithValues: source.stateDict().items.map { ($0.0, $0.1) })
    noGrad {
        for (name, p) in target.namedParameters() { p.copy(from: values[name]!) }
        for (name, b) in target.namedBuffers() { b.copy(from: values[name]!) }
    }
}
