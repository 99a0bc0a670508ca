import RealModule

extension Tensor {
    /// Uniform samples in [0, 1), like `torch.rand`.
    ///
    /// ```swift
    /// manualSeed(0)
    /// Tensor.rand(2, 3)   // same values as torch.rand(2, 3)
    /// ```
    public static func rand(
        _ shape: Int..., dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
    ) -> Tensor {
        rand(shape, dtype: dtype, generator: generator, requiresGrad: requiresGrad)
    }

    /// Uniform samples in [0, 1) with the shape given as an array.
    public static func rand(
        _ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
    ) -> Tensor {
        let t = empty(shape, dtype: dtype, requiresGrad: requiresGrad)
        t._fillUniform(from: 0, to: 1, generator: generator)
        return t
    }

    /// Standard normal samples, like `torch.randn`, bit for bit.
    ///
    /// ```swift
    /// manualSeed(0)
    /// let w = Tensor.randn(2, 3, requiresGrad: true)
    /// ```
    public static func randn(
        _ shape: Int..., dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
    ) -> Tensor {
        randn(shape, dtype: dtype, generator: generator, requiresGrad: requiresGrad)
    }

    /// Standard normal samples with the shape given as an array.
    public static func randn(
        _ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
    ) -> Tensor {
        let t = empty(shape, dtype: dtype, requiresGrad: requiresGrad)
        t._fillNormal(mean: 0, std: 1, generator: generator)
        return t
    }

    /// Integers uniform in `low..<high`, like `torch.randint(low, high, size)`.
    ///
    /// ```swift
    /// let labels = Tensor.randint(0, 10, [128])   // int64
    /// ```
    public static func randint(
        _ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .int64, generator: Generator? = nil
    ) -> Tensor {
        let t = empty(shape, dtype: dtype)
        t._randomFromTo(Int64(low), Int64(high), generator: generator)
        return t
    }

    /// A random permutation of `0..<n`, like `torch.randperm`.
    ///
    /// ```swift
    /// let order = Tensor.randperm(100_000)   // shuffle rows with x[order]
    /// ```
    public static func randperm(_ n: Int, dtype: DType = .int64, generator: Generator? = nil) -> Tensor {
        guard n >= 0 else { _fail("n must be non-negative, got\(n)") }
        // Shuffled in place in the result's memory: a mini-batch loop calls this every epoch.
        let out = Tensor(uninitializedShape: [n], dtype: .int64)
        let r = out.pointer(Int64.self)
        (generator ?? .default).withState { g in
            if n < Int(UInt32.max / 20) {
                // PyTorch keeps its historical shuffle for small n. Both operands fit in 32
                // bits, so the remainder is taken in 32 bits: the same value, a faster divide.
                for i in 0..<n { r[i] = Int64(i) }
                if n > 1 {
                    for i in 0..<(n - 1) {
                        let z = Int(g.random() % UInt32(n - i)) + i
                        let t = r[i]
                        r[i] = r[z]
                        r[z] = t
                    }
                }
            } else {
                for i in 0..<n {
                    let z = Int(g.random64() % UInt64(i + 1))
                    r[i] = r[z]
                    r[z] = Int64(i)
                }
            }
        }
        return dtype == .int64 ? out : out.to(dtype)
    }

    /// An uninitialised tensor, like `torch.empty`; fill it before reading it.
    public static func empty(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        _checkShape(shape)
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    /// Overwrites the values with uniform samples in [from, to) (`uniform_`), in row-major
    /// order, without touching autograd.
    func _fillUniform(from: Double, to: Double, generator: Generator?) {
        precondition(isContiguous)
        let n = scalarCount
        // Checked before any draw, as ATen's dispatch does.
        if !dtype.isFloatingPoint { _fail("\"check_uniform_bounds\" not implemented for '\(dtype == .int64 ? "Long" : "Bool")'") }
        // `x * (to - from) + from`, which PyTorch's AVX2 and AVX-512 builds fuse.
        let fused = CPUCapability.current.fusesMultiplyAdd
        _draw(from: generator) { out, _, g in
            if out.dtype == .float32 {
                // uniform_real works in the element type: bounds rounded to float first.
                let p = out.pointer(Float.self)
                let lo = Float(from), hi = Float(to)
                for i in 0..<n {
                    let u = g.uniformFloat()
                    var x = fused ? lo.addingProduct(u, hi - lo) : u * (hi - lo) + lo
                    if x == hi { x = lo }
                    p[i] = x
                }
            } else {
                let p = out.pointer(Double.self)
                for i in 0..<n {
                    let u = g.uniformDouble()
                    var x = fused ? from.addingProduct(u, to - from) : u * (to - from) + from
                    if x == to { x = from }
                    p[i] = x
                }
            }
        }
    }

    /// Overwrites the values with normal samples (`normal_`), following PyTorch's CPU kernel:
    /// 16 or more contiguous values use the batched Box-Muller fill (the vectorised one on the
    /// AVX2 build, see ``CPUCapability``), fewer use the scalar one.
    func _fillNormal(mean: Double, std: Double, generator: Generator?) {
        precondition(isContiguous)
        let n = scalarCount
        if !dtype.isFloatingPoint { _fail("\"normal_kernel_cpu\" not implemented for '\(dtype == .int64 ? "Long" : "Bool")'") }
        let capability = CPUCapability.current
        let fused = capability.fusesMultiplyAdd
        _draw(from: generator) { out, _, g in
            if out.dtype == .float32 {
                let p = out.pointer(Float.self)
                if n >= 16 && capability == .avx2 {
                    Tensor._normalFillAVX2(p, n, Float(mean), Float(std)) { g.uniformFloat() }
                } else if n >= 16 {
                    Tensor._normalFill(p, n, Float(mean), Float(std)) { g.uniformFloat() }
                } else {
                    // `normal_distribution<double>`: `z * std + mean`, fused in the AVX2 build.
                    for i in 0..<n {
                        let z = g.normalDouble()
                        p[i] = Float(fused ? mean.addingProduct(z, std) : z * std + mean)
                    }
                }
            } else {
                let p = out.pointer(Double.self)
                if n >= 16 {
                    Tensor._normalFill(p, n, mean, std) { g.uniformDouble() }
                } else {
                    for i in 0..<n {
                        let z = g.normalDouble()
                        p[i] = fused ? mean.addingProduct(z, std) : z * std + mean
                    }
                }
            }
        }
    }

    /// PyTorch's `normal_fill`: uniforms for every slot, Box-Muller over blocks of 16, and a
    /// tail that redraws the last 16 values with fresh uniforms.
    private static func _normalFill<T: _FloatElement>(
        _ p: UnsafeMutablePointer<T>, _ n: Int, _ mean: T, _ std: T, _ uniform: () -> T
    ) {
        for i in 0..<n { p[i] = uniform() }
        var i = 0
        while i + 16 <= n {
            _fill16(p + i, mean, std)
            i += 16
        }
        if n % 16 != 0 {
            let tail = p + (n - 16)
            for j in 0..<16 { tail[j] = uniform() }
            _fill16(tail, mean, std)
        }
    }

    /// `normal_fill_AVX2`: the same blocks of 16 and the same redrawn tail, through the
    /// vectorised transform (NormalFillAVX2.swift).
    private static func _normalFillAVX2(
        _ p: UnsafeMutablePointer<Float>, _ n: Int, _ mean: Float, _ std: Float, _ uniform: () -> Float
    ) {
        for i in 0..<n { p[i] = uniform() }
        var i = 0
        while i + 16 <= n {
            _normalFill16AVX2(p + i, mean: mean, std: std)
            i += 16
        }
        if n % 16 != 0 {
            let tail = p + (n - 16)
            for j in 0..<16 { tail[j] = uniform() }
            _normalFill16AVX2(tail, mean: mean, std: std)
        }
    }

    /// Scalar `normal_fill_16`, `radius * cos(theta) * std + mean` with the product rounded,
    /// in every build (PyTorch's AVX2 build gives the same float64 values as its reference
    /// build on 100,000 draws with std 0.5).
    @inline(__always)
    private static func _fill16<T: _FloatElement>(_ d: UnsafeMutablePointer<T>, _ mean: T, _ std: T) {
        for j in 0..<8 {
            let u1 = 1 - d[j]
            let u2 = d[j + 8]
            let radius = (-2 * T.log(u1)).squareRoot()
            let theta = T(2.0 * Double.pi * Double(u2))
            let c = radius * T.cos(theta), s = radius * T.sin(theta)
            d[j] = c * std + mean
            d[j + 8] = s * std + mean
        }
    }
}
