import CDescentKernels

/// Single-pass optimizer updates for DescentNN's optimizers (not API for other callers).
///
/// Each update performs exactly the float operations of PyTorch's per-parameter loop, in the
/// same order, but reads and writes every tensor once instead of once per operation: the same
/// numbers, without the seven temporaries a step of Adam otherwise allocates per parameter.
public enum _FusedOptimizers {
    /// One Adam step for a float32 parameter; returns false (doing nothing) when a tensor is
    /// not contiguous float32, so the caller can take the general path.
    public static func adamStep(
        param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        beta1: Double, beta2: Double, eps: Double, weightDecay: Double, stepSize: Double,
        correction2Sqrt: Double
    ) -> Bool {
        let tensors = [param, grad, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? [])
        guard tensors.allSatisfy({ $0.dtype == .float32 && $0.isContiguous && $0.shape == param.shape }) else {
            return false
        }
        let n = param.scalarCount
        let p = param.pointer(Float.self), g = grad.pointer(Float.self)
        let m = expAvg.pointer(Float.self), v = expAvgSq.pointer(Float.self)
        let vmax = maxExpAvgSq?.pointer(Float.self)
        let wd = Float(weightDecay), w = Float(1 - beta1), b2 = Float(beta2), c2 = Float(1 - beta2)
        let bc = Float(correction2Sqrt), e = Float(eps), negStep = Float(-stepSize)
        if weightDecay == 0 && vmax == nil && w < 0.5 {
            // The common case, in C where it vectorises.
            descent_adam_step_f32(Int64(n), p, g, m, v, w, b2, c2, bc, e, negStep)
            for t in tensors where t !== grad { t._bumpVersion() }
            return true
        }
        for i in 0..<n {
            var gi = g[i]
            if weightDecay != 0 { gi = gi + wd * p[i] }
            // lerp_(grad, w): PyTorch's two formulas, split at w = 0.5.
            m[i] = w < 0.5 ? m[i] + w * (gi - m[i]) : gi - (gi - m[i]) * (1 - w)
            v[i] = v[i] * b2 + c2 * gi * gi
            var second = v[i]
            if let vmax {
                // torch.maximum: NaN wins.
                let a = vmax[i]
                vmax[i] = a.isNaN ? a : (second.isNaN ? second : Swift.max(a, second))
                second = vmax[i]
            }
            let denom = second.squareRoot() / bc + e
            p[i] = p[i] + negStep * (m[i] / denom)
        }
        for t in tensors where t !== grad { t._bumpVersion() }
        return true
    }

    /// One SGD step for a float32 parameter (momentum buffer optional); false when not
    /// contiguous float32.
    public static func sgdStep(
        param: Tensor, grad: Tensor, momentumBuffer: Tensor?, initializeBuffer: Bool,
        lr: Double, momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool
    ) -> Bool {
        let tensors = [param, grad] + (momentumBuffer.map { [$0] } ?? [])
        guard tensors.allSatisfy({ $0.dtype == .float32 && $0.isContiguous && $0.shape == param.shape }) else {
            return false
        }
        let n = param.scalarCount
        let p = param.pointer(Float.self), g = grad.pointer(Float.self)
        let buf = momentumBuffer?.pointer(Float.self)
        let wd = Float(weightDecay), mu = Float(momentum), keep = Float(1 - dampening), negLR = Float(-lr)
        for i in 0..<n {
            var d = g[i]
            if weightDecay != 0 { d = d + wd * p[i] }
            if let buf {
                buf[i] = initializeBuffer ? d : buf[i] * mu + keep * d
                d = nesterov ? d + mu * buf[i] : buf[i]
            }
            p[i] = p[i] + negLR * d
        }
        for t in tensors where t !== grad { t._bumpVersion() }
        return true
    }
}
