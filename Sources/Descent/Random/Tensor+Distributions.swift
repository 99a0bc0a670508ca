import RealModule

// Sampling from distributions, with PyTorch's CPU algorithms where they are deterministic from
// the generator: bernoulli with a tensor of probabilities, multinomial, poisson, exponential,
// normal with given means and deviations. Plus creation helpers: emptyLike, logspace,
// triuIndices/trilIndices, meshgrid.

extension Tensor {
    /// Draws `0` or `1` per element with the probabilities in `self`, like
    /// `torch.bernoulli(p)`: one uniform draw per element (float32 for float32 probabilities,
    /// float64 for float64), compared with the probability, in row-major order.
    ///
    /// ```swift
    /// manualSeed(0)
    /// let coins = Tensor.full([8], 0.5).bernoulli()
    /// ```
    public func bernoulli(generator: Generator? = nil) -> Tensor {
        if !dtype.isFloatingPoint { _fail("\"bernoulli_tensor_cpu_p_\" not implemented for '\(dtype.cppName)'") }
        let p = noGrad { contiguous() }
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        let n = scalarCount
        out._draw(from: generator, reading: [p]) { out, inputs, g in
            if out.dtype == .float32 {
                let pp = inputs[0].pointer(Float.self), po = out.pointer(Float.self)
                for i in 0..<n {
                    if !(pp[i] >= 0 && pp[i] <= 1) { _fail("Expected p_in >= 0 && p_in <= 1 to be true, but got false.") }
                    po[i] = g.uniformFloat() < pp[i] ? 1 : 0
                }
            } else {
                let pp = inputs[0].pointer(Double.self), po = out.pointer(Double.self)
                for i in 0..<n {
                    if !(pp[i] >= 0 && pp[i] <= 1) { _fail("Expected p_in >= 0 && p_in <= 1 to be true, but got false.") }
                    po[i] = g.uniformDouble() < pp[i] ? 1 : 0
                }
            }
        }
        return out
    }

    /// Overwrites every element with an exponential sample of rate `lambd`, like
    /// `exponential_`: `-log(1 - u) / lambd` from a float64 uniform `u`.
    public func exponential(lambd: Double = 1, generator: Generator? = nil) {
        _checkInPlace()
        if !(lambd > 0) { _fail("exponential_ expects lambda > 0.0, but found lambda=\(lambd)") }
        if !dtype.isFloatingPoint { _fail("\"exponential_cpu\" not implemented for '\(dtype.cppName)'") }
        let target = isContiguous ? self : Tensor(uninitializedShape: shape, dtype: dtype)
        let n = scalarCount
        target._draw(from: generator) { out, _, g in
            if out.dtype == .float32 {
                let p = out.pointer(Float.self)
                for i in 0..<n { p[i] = Float(-1.0 / lambd * Double.log(onePlus: -g.uniformDouble())) }
            } else {
                let p = out.pointer(Double.self)
                for i in 0..<n { p[i] = -1.0 / lambd * Double.log(onePlus: -g.uniformDouble()) }
            }
        }
        if target !== self { _copyRaw(target) }
        _bumpVersion()
    }

    /// Indices drawn from the categories of each row of probabilities (weights need not sum
    /// to one), like `torch.multinomial`: with replacement by inverting the cumulative
    /// distribution with float64 uniforms; without, as PyTorch does, the `numSamples` largest
    /// of `p / q` for exponential `q` (one argmax for a single sample).
    ///
    /// ```swift
    /// manualSeed(0)
    /// let next = probabilities.multinomial(1)   // [batch, 1] token indices
    /// ```
    public func multinomial(_ numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        if rank != 1 && rank != 2 { _fail("prob_dist must be 1 or 2 dim") }
        if !dtype.isFloatingPoint { _fail("multinomial only supports floating-point dtypes for input, got: \(dtype.cppName)") }
        if numSamples <= 0 { _fail("cannot sample n_sample <= 0 samples") }
        let categories = shape.last!
        if !replacement && numSamples > categories { _fail("cannot sample n_sample > prob_dist.size(-1) samples without replacement") }
        let probs = noGrad { rank == 1 ? unsqueeze(0).contiguous() : contiguous() }
        let rows = probs.shape[0]
        let values = probs.to(.float64).scalars(as: Double.self)
        for r in 0..<rows {
            let row = values[(r * categories)..<((r + 1) * categories)]
            if row.contains(where: { $0 < 0 || !$0.isFinite }) { _fail("probability tensor contains either `inf`, `nan` or element < 0") }
            if !row.contains(where: { $0 > 0 }) { _fail("invalid multinomial distribution (sum of probabilities <= 0)") }
        }
        let result: Tensor
        if !replacement || numSamples == 1 {
            let q = Tensor.empty(probs.shape, dtype: dtype)
            q.exponential(lambd: 1, generator: generator)
            let ratio = noGrad { probs / q }
            result = numSamples == 1 ? ratio.argmax(dim: -1, keepDim: true) : ratio.topk(numSamples, dim: -1).indices
        } else {
            var out = [Int64](repeating: 0, count: rows * numSamples)
            (generator ?? .default).withState { g in
                for r in 0..<rows {
                    // The cumulative distribution in the element type, normalised, as ATen keeps it.
                    var cumulative = [Double](repeating: 0, count: categories)
                    if dtype == .float32 {
                        var sum: Float = 0
                        for j in 0..<categories { sum += Float(values[r * categories + j]); cumulative[j] = Double(sum) }
                        for j in 0..<categories { cumulative[j] = Double(Float(cumulative[j]) / sum) }
                    } else {
                        var sum = 0.0
                        for j in 0..<categories { sum += values[r * categories + j]; cumulative[j] = sum }
                        for j in 0..<categories { cumulative[j] /= sum }
                    }
                    for s in 0..<numSamples {
                        let u = g.uniformDouble()
                        var left = 0, right = categories
                        while right - left > 0 {
                            let mid = left + (right - left) / 2
                            if cumulative[mid] < u { left = mid + 1 } else { right = mid }
                        }
                        out[r * numSamples + s] = Int64(left)
                    }
                }
            }
            result = Tensor(out, shape: [rows, numSamples])
        }
        return rank == 1 ? result.reshape([numSamples]) : result
    }

    /// A Poisson sample per element with the rates in `self`, like `torch.poisson`: the
    /// multiplication method below 10, Hörmann's transformed rejection from 10 on, from
    /// float64 uniforms (ATen's `sample_poisson`).
    public func poisson(generator: Generator? = nil) -> Tensor {
        if !dtype.isFloatingPoint { _fail("\"poisson_cpu\" not implemented for '\(dtype.cppName)'") }
        let rates = noGrad { to(.float64).contiguous() }.scalars(as: Double.self)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        (generator ?? .default).withState { g in
            for (i, lambda) in rates.enumerated() {
                if lambda < 0 { _fail("invalid Poisson rate, expected rate to be non-negative") }
                out._setRaw(i, Double(Tensor._samplePoisson(lambda, &g)))
            }
        }
        return out
    }

    private static func _samplePoisson(_ lambda: Double, _ g: inout Generator.State) -> Int64 {
        if lambda >= 10 {
            let slam = lambda.squareRoot(), loglam = Double.log(lambda)
            let b = 0.931 + 2.53 * slam
            let a = -0.059 + 0.02483 * b
            let invalpha = 1.1239 + 1.1328 / (b - 3.4)
            let vr = 0.9277 - 3.6224 / (b - 2)
            while true {
                let u = g.uniformDouble() - 0.5
                let v = g.uniformDouble()
                let us = 0.5 - Swift.abs(u)
                let k = Int64(((2 * a / us + b) * u + lambda + 0.43).rounded(.down))
                if us >= 0.07 && v <= vr { return k }
                if k < 0 || (us < 0.013 && v > us) { continue }
                if Double.log(v) + Double.log(invalpha) - Double.log(a / (us * us) + b) <= -lambda + Double(k) * loglam - Double.logGamma(Double(k) + 1) {
                    return k
                }
            }
        }
        if lambda == 0 { return 0 }
        let enlam = Double.exp(-lambda)
        var x: Int64 = 0, prod = 1.0
        while true {
            prod *= g.uniformDouble()
            if prod > enlam { x += 1 } else { return x }
        }
    }

    /// Normal samples of the given shape with `mean` and `std`, like
    /// `torch.normal(mean, std, size)` (the same numbers as `empty(size).normal_(mean, std)`).
    public static func normal(mean: Double, std: Double, size: [Int], dtype: DType = .float32, generator: Generator? = nil) -> Tensor {
        if std < 0 { _fail("normal expects std >= 0.0, but found std \(std)") }
        let t = empty(size, dtype: dtype)
        t.normal(mean: mean, std: std, generator: generator)
        return t
    }

    /// Normal samples with elementwise means and deviations (broadcast), like
    /// `torch.normal(mean, std)`: standard normals scaled and shifted, not differentiable.
    public static func normal(mean: Tensor, std: Tensor, generator: Generator? = nil) -> Tensor {
        let shape = Shape.broadcast(mean.shape, std.shape)
        let type = Tensor._resultType(mean, std)
        let z = Tensor.normal(mean: 0, std: 1, size: shape, dtype: type.isFloatingPoint ? type : .float32, generator: generator)
        return noGrad { z * std + mean }
    }

    /// An uninitialised tensor with `other`'s shape (and dtype unless given), like
    /// `torch.empty_like`.
    public static func emptyLike(_ other: Tensor, dtype: DType? = nil) -> Tensor {
        empty(other.shape, dtype: dtype ?? other.dtype)
    }

    /// `steps` values from `base^start` to `base^end`, evenly spaced in the exponent, like
    /// `torch.logspace`.
    public static func logspace(_ start: Double, _ end: Double, _ steps: Int, base: Double = 10, dtype: DType = .float32) -> Tensor {
        let exponents = linspace(start, end, steps, dtype: .float64).scalars(as: Double.self)
        let t = empty([steps], dtype: dtype)
        for (i, e) in exponents.enumerated() {
            t._setRaw(i, dtype == .float32 ? Double(Float.pow(Float(base), Float(e))) : Double.pow(base, e))
        }
        return t
    }

    /// The coordinates of the upper triangle of a `rows × cols` matrix from diagonal `offset`,
    /// as a `[2, N]` int64 tensor in row-major order, like `torch.triu_indices`.
    public static func triuIndices(_ rows: Int, _ cols: Int, offset: Int = 0) -> Tensor {
        _triangleIndices(rows, cols) { i, j in j - i >= offset }
    }

    /// The coordinates of the lower triangle, like `torch.tril_indices`.
    public static func trilIndices(_ rows: Int, _ cols: Int, offset: Int = 0) -> Tensor {
        _triangleIndices(rows, cols) { i, j in j - i <= offset }
    }

    private static func _triangleIndices(_ rows: Int, _ cols: Int, _ keep: (Int, Int) -> Bool) -> Tensor {
        var r: [Int64] = [], c: [Int64] = []
        for i in 0..<rows { for j in 0..<cols where keep(i, j) { r.append(Int64(i)); c.append(Int64(j)) } }
        return Tensor(r + c, shape: [2, r.count])
    }

    /// Coordinate grids from 1-D tensors, like `torch.meshgrid`: `"ij"` indexing (matrix) or
    /// `"xy"` (Cartesian, the first two dimensions swapped). Each grid is an expanded view.
    public static func meshgrid(_ tensors: [Tensor], indexing: String = "ij") -> [Tensor] {
        if indexing != "ij" && indexing != "xy" { _fail("torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: \(indexing)") }
        for t in tensors where t.rank > 1 { _fail("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: \(t.shape)") }
        if tensors.contains(where: { $0.dtype != tensors[0].dtype }) { _fail("meshgrid expects all tensors to have the same dtype") }
        var sizes = tensors.map { Swift.max($0.scalarCount, $0.rank == 0 ? 1 : 0) }
        let swap = indexing == "xy" && tensors.count >= 2
        if swap { sizes.swapAt(0, 1) }
        return tensors.enumerated().map { i, t in
            var position = i
            if swap && i < 2 { position = 1 - i }
            var view = [Int](repeating: 1, count: tensors.count)
            view[position] = sizes[position]
            return t.reshape(view).expand(sizes)
        }
    }
}
