import Descent

/// Drawing tokens from a model's logits: temperature, top-k and top-p (nucleus) filtering,
/// then a draw from Descent's generators, so a seed reproduces a sample.
///
/// ```swift
/// let next = Sampling.sample(logits, temperature: 0.8, topK: 40, generator: Generator(seed: 1))   // [B, 1] int64
/// ```
public enum Sampling {
    /// Logits with every entry below each row's `k`-th largest set to -inf (nanoGPT's top-k).
    public static func topKFilter(_ logits: Tensor, k: Int) -> Tensor {
        let size = logits.shape[logits.rank - 1]
        let kept = Swift.max(1, Swift.min(k, size))
        let threshold = logits.topk(kept, dim: -1).values.narrow(-1, kept - 1, 1)
        return logits.maskedFill(logits .< threshold, -.infinity)
    }

    /// Logits keeping, per row, the fewest most likely entries whose probabilities sum past
    /// `p` (always at least the most likely one); the rest set to -inf.
    public static func topPFilter(_ logits: Tensor, p: Double) -> Tensor {
        if p >= 1 { return logits }
        let (sorted, order) = logits.sort(dim: -1, descending: true)
        let probabilities = sorted.softmax(dim: -1)
        // Drop an entry when the mass before it already exceeds p.
        let before = probabilities.cumsum(-1) - probabilities
        let dropSorted = before .> p
        let drop = dropSorted.scatter(-1, order, dropSorted)
        return logits.maskedFill(drop, -.infinity)
    }

    /// One token id per row of `logits` (`[B, V]` or `[V]`): divided by `temperature`,
    /// filtered by `topK` and `topP`, softmaxed, then drawn with `multinomial`. A temperature
    /// of 0 takes the most likely token.
    public static func sample(_ logits: Tensor, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil,
                              generator: Generator? = nil) -> Tensor {
        noGrad {
            if temperature <= 0 { return logits.argmax(dim: -1, keepDim: true) }
            var scaled = temperature == 1 ? logits : logits / temperature
            if let topK { scaled = topKFilter(scaled, k: topK) }
            if let topP { scaled = topPFilter(scaled, p: topP) }
            return scaled.softmax(dim: -1).multinomial(1, generator: generator)
        }
    }
}

extension GPT {
    /// Continues each row of `idx` (`[B, T]` int64) by `maxNewTokens` tokens drawn one at a
    /// time, as nanoGPT's `generate`: the context cropped to `blockSize`, the last position's
    /// logits sampled with ``Sampling/sample(_:temperature:topK:topP:generator:)``.
    ///
    /// ```swift
    /// manualSeed(1337)
    /// let out = model.generate(Tensor([[0]], dtype: .int64), maxNewTokens: 100, temperature: 0.8, topK: 40)
    /// ```
    public func generate(_ idx: Tensor, maxNewTokens: Int, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil,
                         generator: Generator? = nil) -> Tensor {
        noGrad {
            var sequence = idx
            for _ in 0..<maxNewTokens {
                let t = sequence.shape[1]
                let context = t <= config.blockSize ? sequence : sequence.narrow(1, t - config.blockSize, config.blockSize)
                let logits = lmHead(hidden(context).select(1, context.shape[1] - 1))
                let next = Sampling.sample(logits, temperature: temperature, topK: topK, topP: topP, generator: generator)
                sequence = Tensor.cat([sequence, next], dim: 1)
            }
            return sequence
        }
    }
}
