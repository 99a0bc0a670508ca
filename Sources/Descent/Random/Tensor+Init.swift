// In-place random initialisation, as `torch.nn.init` and `Tensor.uniform_` / `normal_` do it.

extension Tensor {
    /// Overwrites every element with a uniform sample in `[from, to)`, like `uniform_`.
    ///
    /// Draws come from PyTorch's generator in row-major order, so
    /// `manualSeed(0); w.uniform(from: -0.5, to: 0.5)` fills `w` as `w.uniform_(-0.5, 0.5)`
    /// does after `torch.manual_seed(0)`.
    ///
    /// ```swift
    /// noGrad { w.uniform(from: -bound, to: bound) }
    /// ```
    public func uniform(from: Double = 0, to: Double = 1, generator: Generator? = nil) {
        _checkInPlace()
        let target = isContiguous ? self : Tensor(uninitializedShape: shape, dtype: dtype)
        target._fillUniform(from: from, to: to, generator: generator)
        if target !== self { _copyRaw(target) }
        _bumpVersion()
    }

    /// Overwrites every element with a normal sample, like `normal_`.
    ///
    /// ```swift
    /// noGrad { w.normal(mean: 0, std: 0.02) }
    /// ```
    public func normal(mean: Double = 0, std: Double = 1, generator: Generator? = nil) {
        _checkInPlace()
        let target = isContiguous ? self : Tensor(uninitializedShape: shape, dtype: dtype)
        target._fillNormal(mean: mean, std: std, generator: generator)
        if target !== self { _copyRaw(target) }
        _bumpVersion()
    }
}
