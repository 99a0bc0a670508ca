// Scaled dot-product attention, as `F.scaled_dot_product_attention`: a streaming kernel
// (Kernels/Attention.swift) for the four-dimensional case PyTorch's CPU flash kernel takes, and
// the composed "math" form PyTorch falls back to (dropout, a mask that needs a gradient, other
// ranks), which also differentiates the kernel's backward pass again.

extension Tensor {
    /// `softmax(q kᵀ · scale + mask) v` over the last two dimensions, like
    /// `F.scaled_dot_product_attention` (`ScaledDotProductFlashAttentionForCpuBackward0`).
    ///
    /// - `attnMask`: a boolean mask (`true` takes part) or an additive float mask, broadcast to
    ///   `[…, L, S]`. `isCausal` hides later keys (top-left aligned); the two are exclusive.
    /// - `dropoutP`: dropout on the attention weights (PyTorch's math path: the weights, then
    ///   dropout), the mask drawn from `generator` (the global one by default); PyTorch draws
    ///   dropout masks through MKL, so the masks differ while their statistics agree.
    /// - `scale`: `1 / sqrt(E)` unless given.
    /// - `enableGQA`: `key`/`value` may have fewer heads than `query` (a divisor of them).
    ///
    /// A query whose keys are all masked gets zeros. Memory stays one block of scores per
    /// thread whatever the sequence length.
    ///
    /// ```swift
    /// let y = Tensor.scaledDotProductAttention(q, k, v, isCausal: true)   // q, k, v: [B, H, T, D]
    /// ```
    public static func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, attnMask: Tensor? = nil,
                                                 dropoutP: Double = 0, isCausal: Bool = false, scale: Double? = nil,
                                                 enableGQA: Bool = false, generator: Generator? = nil) -> Tensor {
        if isCausal && attnMask != nil { _fail("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True") }
        if query.rank < 2 || key.rank < 2 || value.rank < 2 {
            _fail("scaled_dot_product_attention: expected query, key and value to be at least 2-D, got \(query.rank)-D, \(key.rank)-D and \(value.rank)-D")
        }
        if query.dtype != key.dtype || query.dtype != value.dtype {
            _fail("Expected query, key, and value to have the same dtype, but got query.dtype: \(query.dtype.description) key.dtype: \(key.dtype.description) and value.dtype: \(value.dtype.description) instead.")
        }
        if !query.dtype.isFloatingPoint { _fail("\"baddbmm_cpu\" not implemented for '\(query.dtype.cppName)'") }
        let e = query.shape[query.rank - 1]
        if key.shape[key.rank - 1] != e {
            _fail("Expected size for last dimension of key to match query's: \(e), but got: \(key.shape[key.rank - 1])")
        }
        if key.shape[key.rank - 2] != value.shape[value.rank - 2] {
            _fail("Expected key and value to have the same sequence length, but got \(key.shape[key.rank - 2]) and \(value.shape[value.rank - 2])")
        }
        if query.rank == 4 && key.rank == 4 && !enableGQA && query.shape[1] != key.shape[1] {
            _fail("Expected query, key and value to have the same number of heads, or enable_gqa=True")
        }
        let factor = scale ?? 1 / Double(e).squareRoot()
        let mask = attnMask.map { m -> Tensor in
            if m.dtype == .bool || m.dtype.isFloatingPoint { return m }
            _fail("Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: \(m.dtype.description)")
        }
        // PyTorch's CPU flash kernel takes 4-D operands with one head size for q, k and v, each
        // stepping by one element along it, no dropout and a mask without gradient; everything
        // else is the math path (`sdp_utils`).
        let fused = query.rank == 4 && key.rank == 4 && value.rank == 4 && dropoutP == 0 && !(mask?.requiresGrad ?? false)
            && value.shape[3] == e && query.strides[3] == 1 && key.strides[3] == 1 && value.strides[3] == 1
            && query.shape[0] == key.shape[0] && key.shape[0] == value.shape[0] && key.shape[1] == value.shape[1]
            && (query.shape[1] == key.shape[1] || (enableGQA && key.shape[1] > 0 && query.shape[1] % key.shape[1] == 0))
        guard fused else {
            return _attentionMath(query, key, value, mask: mask, dropoutP: dropoutP, isCausal: isCausal, scale: factor,
                                  enableGQA: enableGQA, generator: generator)
        }
        var g = _AttentionGeometry()
        (g.batch, g.heads, g.kvHeads) = (query.shape[0], query.shape[1], key.shape[1])
        (g.queries, g.keys, g.features, g.valueFeatures) = (query.shape[2], key.shape[2], e, value.shape[3])
        g.scale = factor
        g.causal = isCausal
        (g.q, g.k, g.v) = (query.strides, key.strides, value.strides)
        // The mask as additive values of the query's type, broadcast without copying.
        let additive = mask.map { m -> Tensor in
            let values = m.dtype == .bool ? Tensor.zeros(m.shape, dtype: query.dtype).maskedFill(m.logicalNot(), -.infinity) : m.to(query.dtype)
            return values.detach().expand([g.batch, g.heads, g.queries, g.keys])
        }
        g.mask = additive?.strides
        // Laid out as the query is (`empty_like(query)`), as PyTorch 2.15's CPU flash kernel
        // returns it (the fused path has Ev == E, so the shapes agree).
        let out = query._freshInLayout(query.dtype)
        g.out = Array(out.strides.prefix(3))
        let lse = Tensor(uninitializedShape: [g.batch, g.heads, g.queries], dtype: query.dtype)
        func forward<T: _FloatElement & _ConvElement>(_: T.Type) {
            let (pq, pk, pv) = (query.pointer(T.self), key.pointer(T.self), value.pointer(T.self))
            let (pm, po, pl) = (additive.map { UnsafePointer<T>($0.pointer(T.self)) }, out.pointer(T.self), lse.pointer(T.self))
            _AttentionKernels.forward(g, q: pq, k: pk, v: pv, mask: pm, out: po, lse: pl)
            if _CaptureTape.isActive {
                let geometry = g
                _CaptureTape.record({ _AttentionKernels.forward(geometry, q: pq, k: pk, v: pv, mask: pm, out: po, lse: pl) },
                                    writes: [out, lse], reads: [query, key, value] + (additive.map { [$0] } ?? []))
            }
        }
        if query.dtype == .float64 { forward(Double.self) } else { forward(Float.self) }
        withExtendedLifetime((query, key, value, additive)) {}
        let geometry = g
        return out._recorded("ScaledDotProductFlashAttentionForCpuBackward0", [query, key, value], saving: [query, key, value],
                             savingOutput: true) { gout, node in
            let (q, k, v, o) = (node.savedTensor(0), node.savedTensor(1), node.savedTensor(2), node.savedTensor(3))
            if GradMode.isEnabled {
                // The backward pass is recorded: differentiate the composed form instead.
                return _recomputedGradients([q, k, v], gout) { t in
                    _attentionMath(t[0], t[1], t[2], mask: mask?.detach(), dropoutP: 0, isCausal: isCausal, scale: factor,
                                   enableGQA: enableGQA, generator: nil)
                }
            }
            var geometry = geometry
            let go = gout.strides[3] == 1 ? gout : gout.contiguous()
            geometry.out = Array(o.strides.prefix(3))
            geometry.gradOut = Array(go.strides.prefix(3))
            let gq = Tensor.zeros(q.shape, dtype: q.dtype), gk = Tensor.zeros(k.shape, dtype: k.dtype)
            let gv = Tensor.zeros(v.shape, dtype: v.dtype)
            func backward<T: _FloatElement & _ConvElement>(_: T.Type) {
                let (pq, pk, pv, pm) = (q.pointer(T.self), k.pointer(T.self), v.pointer(T.self), additive.map { UnsafePointer<T>($0.pointer(T.self)) })
                let (po, pl, pg) = (o.pointer(T.self), lse.pointer(T.self), go.pointer(T.self))
                let (pgq, pgk, pgv) = (gq.pointer(T.self), gk.pointer(T.self), gv.pointer(T.self))
                func run() {
                    _AttentionKernels.backward(geometry, q: pq, k: pk, v: pv, mask: pm, out: po, lse: pl, gout: pg, gq: pgq, gk: pgk, gv: pgv)
                }
                run()
                if _CaptureTape.isActive { _CaptureTape.record(run, writes: [gq, gk, gv], inPlace: true, reads: [q, k, v, o, lse, go]) }
            }
            if q.dtype == .float64 { backward(Double.self) } else { backward(Float.self) }
            withExtendedLifetime((q, k, v, o, go, additive)) {}
            return [node.needsInputGrad(0) ? gq : nil, node.needsInputGrad(1) ? gk : nil, node.needsInputGrad(2) ? gv : nil]
        }
    }

    /// PyTorch's `_scaled_dot_product_attention_math`: `q` and `k` each scaled by `sqrt(scale)`,
    /// the full score matrix, a safe softmax (zeros where every key is masked), dropout, and
    /// the product with `v`.
    package static func _attentionMath(_ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor?, dropoutP: Double, isCausal: Bool,
                               scale: Double, enableGQA: Bool, generator: Generator?) -> Tensor {
        var k = key, v = value
        if enableGQA && query.rank >= 3 && key.rank >= 3 {
            let hq = query.shape[query.rank - 3], hk = key.shape[key.rank - 3]
            if hk != hq {
                if hk == 0 || hq % hk != 0 { _fail("Expected number of query heads to be a multiple of the key/value heads, got \(hq) and \(hk)") }
                k = key.repeatInterleave(hq / hk, dim: key.rank - 3)
                v = value.repeatInterleave(hq / hk, dim: value.rank - 3)
            }
        }
        let root = scale.squareRoot()
        var scores = (query * root).matmul(k.transpose(-2, -1) * root)
        let l = query.shape[query.rank - 2], s = key.shape[key.rank - 2]
        if isCausal {
            let allowed = Tensor.ones([l, s], dtype: .bool).tril()
            scores = scores.maskedFill(allowed.logicalNot(), -.infinity)
        }
        if let mask {
            scores = mask.dtype == .bool ? scores.maskedFill(mask.logicalNot(), -.infinity) : scores + mask
        }
        let everyKeyMasked = noGrad { scores.amax(dims: [-1], keepDim: true) .== -Double.infinity }
        var weights = Tensor.where(everyKeyMasked, Tensor.zeros([], dtype: scores.dtype), scores.softmax(dim: -1))
        if dropoutP > 0 { weights = weights.dropout(p: dropoutP, generator: generator) }
        return weights.matmul(v)
    }
}
