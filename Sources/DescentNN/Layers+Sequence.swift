import Descent

/// A lookup table of `numEmbeddings` vectors of `embeddingDim` features, like
/// `torch.nn.Embedding`: standard-normal weights (the `paddingIdx` row zeroed), drawn as
/// PyTorch draws them.
///
/// ```swift
/// manualSeed(0)
/// let embed = Embedding(numEmbeddings: 65, embeddingDim: 128)   // == nn.Embedding(65, 128)
/// let x = embed(Tensor([[1, 5, 7]], dtype: .int64))               // [1, 3, 128]
/// ```
public final class Embedding: Module {
    /// `[numEmbeddings, embeddingDim]`; a `var`, so another layer's weight can be tied to it.
    public var weight: Parameter
    /// The number of vectors.
    public let numEmbeddings: Int
    /// Features per vector.
    public let embeddingDim: Int
    /// The row that gets no gradient, or `nil`.
    public let paddingIdx: Int?
    /// Rows picked with a larger norm are rescaled to this, in place.
    public let maxNorm: Double?
    /// The norm `maxNorm` measures.
    public let normType: Double
    /// Whether each row's gradient is divided by its frequency in the batch.
    public let scaleGradByFreq: Bool

    /// A table of standard-normal vectors from `generator` (the global one by default).
    public init(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil, maxNorm: Double? = nil, normType: Double = 2,
                scaleGradByFreq: Bool = false, generator: Generator? = nil) {
        let padding = paddingIdx.map { p -> Int in
            if p >= numEmbeddings || p < -numEmbeddings { preconditionFailure("Padding_idx must be within num_embeddings") }
            return p < 0 ? p + numEmbeddings : p
        }
        weight = Embedding.table(numEmbeddings, embeddingDim, padding: padding, generator: generator)
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = padding
        self.maxNorm = maxNorm
        self.normType = normType
        self.scaleGradByFreq = scaleGradByFreq
    }

    /// A table holding `embeddings` (`[n, dim]`), like `Embedding.from_pretrained`; frozen
    /// (no gradient) unless `freeze` is false.
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, paddingIdx: Int? = nil, maxNorm: Double? = nil,
                                      normType: Double = 2, scaleGradByFreq: Bool = false) -> Embedding {
        if embeddings.rank != 2 { preconditionFailure("Embeddings parameter is expected to be 2-dimensional") }
        let layer = Embedding(numEmbeddings: embeddings.shape[0], embeddingDim: embeddings.shape[1], paddingIdx: paddingIdx,
                              maxNorm: maxNorm, normType: normType, scaleGradByFreq: scaleGradByFreq, generator: Generator(seed: 0))
        noGrad { layer.weight.copy(from: embeddings) }
        layer.weight.requiresGrad = !freeze
        return layer
    }

    /// Standard-normal rows, the padding row zeroed, as `nn.Embedding.reset_parameters`.
    static func table(_ rows: Int, _ dim: Int, padding: Int?, generator: Generator?) -> Parameter {
        let w = Tensor.empty([rows, dim])
        w.normal(generator: generator)
        if let padding { noGrad { w.select(0, padding).fill(0) } }
        return Parameter(w)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.embedding(input, weight: weight, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType, scaleGradByFreq: scaleGradByFreq)
    }
}

/// Sums, means or maxima of bags of embeddings, like `torch.nn.EmbeddingBag`.
///
/// ```swift
/// let bag = EmbeddingBag(numEmbeddings: 10, embeddingDim: 3, mode: .sum)
/// let y = bag(Tensor([1, 2, 4, 5, 4, 3], dtype: .int64), offsets: Tensor([0, 3], dtype: .int64))   // [2, 3]
/// ```
public final class EmbeddingBag: Module {
    /// `[numEmbeddings, embeddingDim]`.
    public var weight: Parameter
    /// How a bag's rows combine.
    public let mode: EmbeddingBagMode
    /// Rows picked with a larger norm are rescaled to this, in place.
    public let maxNorm: Double?
    /// The norm `maxNorm` measures.
    public let normType: Double
    /// Whether the last offset ends the last bag.
    public let includeLastOffset: Bool
    /// The id left out of every bag, or `nil`.
    public let paddingIdx: Int?

    /// A table of standard-normal vectors from `generator` (the global one by default).
    public init(numEmbeddings: Int, embeddingDim: Int, maxNorm: Double? = nil, normType: Double = 2, mode: EmbeddingBagMode = .mean,
                includeLastOffset: Bool = false, paddingIdx: Int? = nil, generator: Generator? = nil) {
        let padding = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Embedding.table(numEmbeddings, embeddingDim, padding: padding, generator: generator)
        self.mode = mode
        self.maxNorm = maxNorm
        self.normType = normType
        self.includeLastOffset = includeLastOffset
        self.paddingIdx = padding
    }

    /// Bags of `input` split at `offsets` (1-D input) or one per row (2-D input).
    public func callAsFunction(_ input: Tensor, offsets: Tensor? = nil, perSampleWeights: Tensor? = nil) -> Tensor {
        Tensor.embeddingBag(input, weight: weight, offsets: offsets, mode: mode, perSampleWeights: perSampleWeights,
                            includeLastOffset: includeLastOffset, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType)
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input, offsets: nil) }
}

/// Layer normalisation over the trailing `normalizedShape`, like `torch.nn.LayerNorm`
/// (`weight` ones and `bias` zeros when `elementwiseAffine`).
///
/// ```swift
/// let norm = LayerNorm(128)
/// let y = norm(x)   // x: [B, T, 128]
/// ```
public final class LayerNorm: Module {
    /// The trailing shape normalised over.
    public let normalizedShape: [Int]
    /// Added to the variance.
    public let eps: Double
    /// Scale, or `nil` without `elementwiseAffine`.
    public let weight: Parameter?
    /// Shift, or `nil` without `elementwiseAffine` or `bias`.
    public let bias: Parameter?

    /// Normalisation over `normalizedShape`, with a learnable scale and (with `bias`) shift.
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape)) : nil
    }

    /// Normalisation over the last `normalizedShape` features.
    public convenience init(_ normalizedShape: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Root-mean-square normalisation over the trailing `normalizedShape`, like `torch.nn.RMSNorm`.
///
/// ```swift
/// let norm = RMSNorm(64)
/// let y = norm(x)
/// ```
public final class RMSNorm: Module {
    /// The trailing shape normalised over.
    public let normalizedShape: [Int]
    /// Added to the mean square; the input type's machine epsilon when `nil`.
    public let eps: Double?
    /// Scale, or `nil` without `elementwiseAffine`.
    public let weight: Parameter?

    /// Normalisation over `normalizedShape`, with a learnable scale of ones.
    public init(_ normalizedShape: [Int], eps: Double? = nil, elementwiseAffine: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape)) : nil
    }

    /// Normalisation over the last `normalizedShape` features.
    public convenience init(_ normalizedShape: Int, eps: Double? = nil, elementwiseAffine: Bool = true) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Tensor.rmsNorm(input, normalizedShape: normalizedShape, weight: weight, eps: eps)
    }
}
