import RealModule

// Scans and reductions beyond sum/mean/max: cumsum, cumprod, cummax, cummin, prod,
// logsumexp, amax/amin/aminmax, norms, median, mode, nansum, nanmean, countNonzero.

extension Tensor {
    /// Runs `body` over every line along `d` of a contiguous copy with `d` last; `body` gets
    /// the input line and the output line (of `outLength` elements each).
    func _lines<T: _Element, R: _Element>(
        _ d: Int, _: T.Type, _: R.Type, outLength: Int? = nil, outDType: DType,
        _ body: @escaping (UnsafePointer<T>, UnsafeMutablePointer<R>, Int) -> Void
    ) -> Tensor {
        let moved = rank == 0 ? reshape([1]) : noGrad { movedim(d, -1).contiguous() }
        let n = moved.shape.last!
        let m = outLength ?? n
        let lines = n == 0 ? moved.scalarCount : moved.scalarCount / n
        var outShape = moved.shape
        outShape[outShape.count - 1] = m
        let out = Tensor(uninitializedShape: outShape, dtype: outDType)
        let pi = UnsafePointer(moved.pointer(T.self)), po = out.pointer(R.self)
        let run = { for l in 0..<(n == 0 ? 0 : lines) { body(pi + l * n, po + l * m, n) } }
        run()
        // Each line's result is a function of the line alone: a compiled step replays the pass.
        if _CaptureTape.isActive { _CaptureTape.record(run, writes: out, reads: moved) }
        withExtendedLifetime(moved) {}
        if rank == 0 { return out.reshape([]) }
        return noGrad { out.movedim(-1, d).contiguous() }
    }

    /// Running sums along `dim` (`CumsumBackward0`), like `torch.cumsum`; float32 sums run in
    /// double, as ATen's CPU kernel accumulates, and integers and bools give int64.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).cumsum(0)   // tensor([1, 3, 6])
    /// ```
    public func cumsum(_ dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let out: Tensor
        switch dtype {
        case .float32: out = _lines(d, Float.self, Float.self, outDType: .float32) { i, o, n in
            var acc = 0.0
            for k in 0..<n { acc += Double(i[k]); o[k] = Float(acc) }
        }
        case .float64: out = _lines(d, Double.self, Double.self, outDType: .float64) { i, o, n in
            var acc = 0.0
            for k in 0..<n { acc += i[k]; o[k] = acc }
        }
        case .int64: out = _lines(d, Int64.self, Int64.self, outDType: .int64) { i, o, n in
            var acc: Int64 = 0
            for k in 0..<n { acc &+= i[k]; o[k] = acc }
        }
        case .bool: return to(.int64).cumsum(dim)
        }
        return out._recorded("CumsumBackward0", self) { g, _ in (g.flip(d).cumsum(d).flip(d), nil) }
    }

    /// Running products along `dim` (`CumprodBackward0`), accumulated in double for float32.
    public func cumprod(_ dim: Int) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let out: Tensor
        switch dtype {
        case .float32: out = _lines(d, Float.self, Float.self, outDType: .float32) { i, o, n in
            var acc = 1.0
            for k in 0..<n { acc *= Double(i[k]); o[k] = Float(acc) }
        }
        case .float64: out = _lines(d, Double.self, Double.self, outDType: .float64) { i, o, n in
            var acc = 1.0
            for k in 0..<n { acc *= i[k]; o[k] = acc }
        }
        case .int64: out = _lines(d, Int64.self, Int64.self, outDType: .int64) { i, o, n in
            var acc: Int64 = 1
            for k in 0..<n { acc &*= i[k]; o[k] = acc }
        }
        case .bool: return to(.int64).cumprod(dim)
        }
        return out._recorded("CumprodBackward0", self, saving: self, savingOutput: true) { g, n in
            let x = n.savedTensor(0), result = n.savedTensor(1)
            let length = x.shape.isEmpty ? 1 : x.shape[d]
            if x.scalarCount <= 1 || length == 1 { return (g, nil) }
            // ATen's cumprod_backward without zeros in the input: the reversed cumulative sum
            // of `result · g`, over the input.
            func direct() -> Tensor { (result * g).flip(d).cumsum(d).flip(d) / x }
            let zeros = noGrad { (x .== 0).sum() }
            // A recorded backward branches as ATen does (a selection would carry the
            // division's infinities into the second derivative); otherwise both forms are
            // computed and one selected, so a compiled step's replay follows its values.
            if GradMode.isEnabled && zeros.item() == 0 { return (direct(), nil) }
            let withZeros = Tensor._cumprodGradWithZeros(x, d, g)
            return (GradMode.isEnabled ? withZeros : Tensor.where(zeros .> 0, withZeros, direct()), nil)
        }
    }

    /// The gradient of `cumprod` along `d` for any input, zeros included:
    /// d out_k / d x_i = prod of x_j for j <= k, j != i, the exclusive products from the left
    /// times the running products between i and k, summed over k >= i (cumulative ops only).
    static func _cumprodGradWithZeros(_ x: Tensor, _ d: Int, _ g: Tensor) -> Tensor {
        let length = x.shape.isEmpty ? 1 : x.shape[d]
        var grads: [Tensor] = []
        for i in 0..<length {
            // Products of x[i+1...k] for k >= i: the cumprod of the tail with x_i replaced by 1.
            let tail = x.narrow(d, i, length - i)
            let ones = Tensor.ones(like: tail.narrow(d, 0, 1))
            let replaced = length - i > 1 ? Tensor.cat([ones, tail.narrow(d, 1, length - i - 1)], dim: d) : ones
            let left = i > 0 ? x.narrow(d, 0, i).prod(dim: d, keepDim: true) : Tensor.ones(like: ones)
            let partial = replaced.cumprod(d) * left
            grads.append((partial * g.narrow(d, i, length - i)).sum(dim: d, keepDim: true))
        }
        return Tensor.cat(grads, dim: d)
    }

    /// Running maxima along `dim` and where each was reached (`CummaxBackward0`); a later
    /// equal value takes over, and NaN stays once seen, as in PyTorch.
    public func cummax(_ dim: Int) -> (values: Tensor, indices: Tensor) { _cumExtremum(dim, greater: true) }

    /// Running minima along `dim` and where each was reached (`CumminBackward0`).
    public func cummin(_ dim: Int) -> (values: Tensor, indices: Tensor) { _cumExtremum(dim, greater: false) }

    private func _cumExtremum(_ dim: Int, greater: Bool) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let x = dtype == .bool ? to(.int64) : self
        let indices: Tensor
        func run<T: _NumericElement>(_: T.Type) -> Tensor {
            x._lines(d, T.self, Int64.self, outDType: .int64) { i, o, n in
                var best = 0
                for k in 0..<n {
                    let v = i[k], b = i[best]
                    if v != v || (b == b && (greater ? v >= b : v <= b)) { best = k }
                    o[k] = Int64(best)
                }
            }
        }
        switch x.dtype {
        case .float32: indices = run(Float.self)
        case .float64: indices = run(Double.self)
        default: indices = run(Int64.self)
        }
        let values = noGrad { x.gather(d, indices) }.to(dtype)
        let input = shape
        let recorded = values._recorded(greater ? "CummaxBackward0" : "CumminBackward0", self, saving: indices) { g, n in
            (Tensor.zeros(input, dtype: g.dtype).scatterAdd(d, n.savedTensor(0), g), nil)
        }
        return (recorded, indices)
    }

    /// The product of all elements (`ProdBackward0`), like `torch.prod`.
    public func prod() -> Tensor {
        let out = noGrad { flatten().prod(dim: 0) }
        return out._recorded("ProdBackward0", self, saving: self, savingOutput: true) { g, n in
            let x = n.savedTensor(0), result = n.savedTensor(1)
            if x.rank == 0 { return (g, nil) }
            return (Tensor._prodGrad(x.flatten(), 0, g.reshape([1]), result: result.reshape([1]), wholeTensor: true).reshape(x.shape), nil)
        }
    }

    /// Products along `dim` (`ProdBackward1`).
    public func prod(dim: Int, keepDim: Bool = false) -> Tensor {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let out: Tensor
        switch dtype {
        case .float32: out = _lines(d, Float.self, Float.self, outLength: 1, outDType: .float32) { i, o, n in
            var acc: Float = 1
            for k in 0..<n { acc *= i[k] }
            o[0] = acc
        }
        case .float64: out = _lines(d, Double.self, Double.self, outLength: 1, outDType: .float64) { i, o, n in
            var acc = 1.0
            for k in 0..<n { acc *= i[k] }
            o[0] = acc
        }
        case .int64: out = _lines(d, Int64.self, Int64.self, outLength: 1, outDType: .int64) { i, o, n in
            var acc: Int64 = 1
            for k in 0..<n { acc &*= i[k] }
            o[0] = acc
        }
        case .bool: return to(.int64).prod(dim: dim, keepDim: keepDim)
        }
        let result = keepDim || rank == 0 ? out : noGrad { out.squeeze(d) }
        return (result === out ? result : result.contiguous())._recorded("ProdBackward1", self, saving: self, savingOutput: true) { g, n in
            let x = n.savedTensor(0), result = n.savedTensor(1)
            if x.rank == 0 { return (g, nil) }
            return (Tensor._prodGrad(x, d, keepDim ? g : g.unsqueeze(d), result: keepDim ? result : result.unsqueeze(d), wholeTensor: false), nil)
        }
    }

    /// ATen's prod_backward along `d` (`g` and `result` with `d` kept): `g · (result / x)` when
    /// `x` has no zero; else `prod_safe_zeros_backward`, `g` times the product of the others (the
    /// exclusive products from both sides); for the product of a whole tensor with several
    /// zeros and no gradient being recorded, zeros. Without a recorded backward both forms are
    /// computed and one selected, so a compiled step's replay follows the values it is given;
    /// a recorded one branches on the count of zeros as ATen does (a selection would send the
    /// division's infinities into the second derivative).
    static func _prodGrad(_ x: Tensor, _ d: Int, _ g: Tensor, result: Tensor, wholeTensor: Bool) -> Tensor {
        let n = x.shape[d]
        func safe() -> Tensor {
            if n <= 1 { return g.expand(x.shape) * Tensor.ones(like: x) }
            let ones = Tensor.ones(like: x.narrow(d, 0, 1))
            let leftExclusive = Tensor.cat([ones, x.narrow(d, 0, n - 1)], dim: d).cumprod(d)
            let rightExclusive = Tensor.cat([ones, x.narrow(d, 1, n - 1).flip(d)], dim: d).cumprod(d).flip(d)
            return g * (leftExclusive * rightExclusive)
        }
        let zeros = noGrad { (x .== 0).sum() }
        if GradMode.isEnabled {
            return zeros.item() == 0 ? g * (result / x) : safe()
        }
        let direct = g * (result / x), safe = safe()
        let chosen = Tensor.where(zeros .> 0, safe, direct)
        if wholeTensor && !GradMode.isEnabled {
            return Tensor.where(zeros .> 1, Tensor.zeros([], dtype: g.dtype), chosen)
        }
        return chosen
    }

    /// `log(sum(exp(x)))` along `dims`, computed stably (`LogsumexpBackward0`).
    ///
    /// ```swift
    /// let normaliser = logits.logsumexp(dims: [1])
    /// ```
    public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor {
        let x = _asFloating
        let ds = x._dims(dims)
        let out = noGrad { () -> Tensor in
            let maxes = x.amax(dims: ds, keepDim: true)
            let finite = Tensor.where(maxes.abs() .== Double.infinity, Tensor.zeros([], dtype: x.dtype), maxes)
            let summed = (x - finite).exp().sum(dims: ds, keepDim: true).log() + finite
            return keepDim ? summed : summed._squeezing(ds)
        }
        return out._recorded("LogsumexpBackward0", x, saving: x, savingOutput: true) { g, n in
            let x = n.savedTensor(0), result = n.savedTensor(1)
            let r = keepDim ? result : result._unsqueezing(ds)
            let gg = keepDim ? g : g._unsqueezing(ds)
            return (gg * (x - r).exp(), nil)
        }
    }

    /// `logsumexp` along one dimension.
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dims: [dim], keepDim: keepDim) }

    /// Removes the (sorted) reduced dimensions.
    func _squeezing(_ dims: [Int]) -> Tensor {
        var s = shape
        for d in dims.sorted(by: >) { s.remove(at: d) }
        return reshape(s)
    }

    /// Puts back size-one dimensions at the reduced positions.
    func _unsqueezing(_ dims: [Int]) -> Tensor {
        var t = self
        for d in dims.sorted() { t = t.unsqueeze(d) }
        return t
    }

    /// The largest values over `dims` (`AmaxBackward0`); ties share the gradient equally, like
    /// `torch.amax`.
    public func amax(dims: [Int] = [], keepDim: Bool = false) -> Tensor { _amaxmin(dims, keepDim, greater: true) }

    /// The smallest values over `dims` (`AminBackward0`).
    public func amin(dims: [Int] = [], keepDim: Bool = false) -> Tensor { _amaxmin(dims, keepDim, greater: false) }

    /// `amax` along one dimension.
    public func amax(dim: Int, keepDim: Bool = false) -> Tensor { amax(dims: [dim], keepDim: keepDim) }

    /// `amin` along one dimension.
    public func amin(dim: Int, keepDim: Bool = false) -> Tensor { amin(dims: [dim], keepDim: keepDim) }

    private func _amaxmin(_ dims: [Int], _ keepDim: Bool, greater: Bool, name: StaticString? = nil) -> Tensor {
        let ds = dims.isEmpty ? Array(0..<rank) : _dims(dims)
        if scalarCount == 0 { _fail("\(greater ? "amax" : "amin")(): Expected reduction dim to be specified for input.numel() == 0.") }
        let out = noGrad { () -> Tensor in
            if rank == 0 { return clone() }
            let rest = (0..<rank).filter { !ds.contains($0) }
            let moved = permute(rest + ds).contiguous().reshape(rest.map { shape[$0] } + [-1])
            let reduced = greater ? moved.max(dim: -1).values : moved.min(dim: -1).values
            var keptShape = shape
            for d in ds { keptShape[d] = 1 }
            return keepDim ? reduced.reshape(keptShape) : reduced.reshape(rest.map { shape[$0] })
        }
        let name: StaticString = name ?? (greater ? "AmaxBackward0" : "AminBackward0")
        return out._recorded(name, self, saving: self, savingOutput: true) { g, n in
            let x = n.savedTensor(0), result = n.savedTensor(1)
            let r = keepDim || x.rank == 0 ? result : result._unsqueezing(ds)
            let gg = keepDim || x.rank == 0 ? g : g._unsqueezing(ds)
            let mask = (x .== r).to(g.dtype)
            let count = x.rank == 0 ? mask : mask.sum(dims: ds, keepDim: true)
            return (gg * mask / count, nil)
        }
    }

    /// The smallest and largest elements, over everything or along `dim`
    /// (`AminmaxBackward0`), like `torch.aminmax`.
    public func aminmax(dim: Int? = nil, keepDim: Bool = false) -> (min: Tensor, max: Tensor) {
        let dims = dim.map { [$0] } ?? []
        return (_amaxmin(dims, keepDim, greater: false, name: "AminmaxBackward0"),
                _amaxmin(dims, keepDim, greater: true, name: "AminmaxBackward0"))
    }

    /// The vector `ord`-norm over `dims` (all by default) (`LinalgVectorNormBackward0`), like
    /// `torch.linalg.vector_norm`: 2 by default, any positive or negative power, `.infinity`
    /// (the largest magnitude), `-.infinity` and 0 (the count of nonzeros).
    ///
    /// ```swift
    /// let length = v.vectorNorm()
    /// ```
    public func vectorNorm(ord: Double = 2, dims: [Int] = [], keepDim: Bool = false) -> Tensor {
        let x = _asFloating
        let ds = dims.isEmpty ? Array(0..<x.rank) : x._dims(dims)
        let reduce = { (t: Tensor) -> Tensor in
            if t.rank == 0 { return t }
            return t.sum(dims: ds, keepDim: keepDim)
        }
        let out: Tensor = noGrad {
            let a = x.abs()
            switch ord {
            case .infinity: return x.rank == 0 ? a : a.amax(dims: ds, keepDim: keepDim)
            case -.infinity: return x.rank == 0 ? a : a.amin(dims: ds, keepDim: keepDim)
            case 0: return reduce((a .!= 0.0).to(x.dtype))
            case 1: return reduce(a)
            case 2: return reduce(a * a).sqrt()
            default: return reduce(a.pow(ord)).pow(1 / ord)
            }
        }
        let fresh = out === x ? noGrad { out.clone() } : out
        return fresh._recorded("LinalgVectorNormBackward0", x, saving: x, savingOutput: true) { g, n in
            let x = n.savedTensor(0), norm = n.savedTensor(1)
            let r = keepDim || x.rank == 0 ? norm : norm._unsqueezing(ds)
            let gg = keepDim || x.rank == 0 ? g : g._unsqueezing(ds)
            let zero = Tensor.zeros([], dtype: g.dtype)
            // ATen's norm_backward, operation for operation.
            switch ord {
            case 0: return (Tensor.zeros(like: x), nil)
            case 1: return (x.sign() * gg, nil)
            case 2: return (gg * Tensor.where(r .== 0, zero, x / r), nil)
            case .infinity, -.infinity:
                let magnitude = x.abs()
                let mask = (magnitude .== r) | magnitude.isnan()
                let count = x.rank == 0 ? mask.to(.int64) : mask.sum(dims: ds, keepDim: true)
                return (x.sign() * ((gg / count) * mask), nil)
            case ..<1:
                let scaled = x.sign() * Tensor.where(x .== 0, zero, x.abs().pow(ord - 1))
                return (scaled * gg * r.pow(1 - ord), nil)
            case ..<2:
                let scaled = x.sign() * x.abs().pow(ord - 1)
                return (scaled * Tensor.where(r .== 0, zero, gg / r.pow(ord - 1)), nil)
            default:
                let scaled = x * x.abs().pow(ord - 2)
                return (scaled * Tensor.where(r .== 0, zero, gg / r.pow(ord - 1)), nil)
            }
        }
    }

    /// `vectorNorm` under `torch.norm`'s name: the 2-norm of everything by default.
    public func norm(p: Double = 2, dims: [Int] = [], keepDim: Bool = false) -> Tensor {
        vectorNorm(ord: p, dims: dims, keepDim: keepDim)
    }

    /// The Frobenius norm of the matrices in the last two dimensions (`"fro"`), like
    /// `torch.linalg.matrix_norm` (`LinalgVectorNormBackward0`).
    public func matrixNorm(keepDim: Bool = false) -> Tensor {
        if rank < 2 { _fail("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.") }
        return vectorNorm(ord: 2, dims: [-2, -1], keepDim: keepDim)
    }

    /// The sum of the elements that are not NaN (`NansumBackward0`), like `torch.nansum`.
    public func nansum() -> Tensor {
        let out = noGrad { Tensor.where(isnan(), Tensor.zeros([], dtype: dtype), self).sum() }
        return out._recorded("NansumBackward0", self, saving: self) { g, n in
            let x = n.savedTensor(0)
            return (Tensor.where(x.isnan(), Tensor.zeros([], dtype: g.dtype), g.expand(x.shape)), nil)
        }
    }

    /// `nansum` along `dims`.
    public func nansum(dims: [Int], keepDim: Bool = false) -> Tensor {
        let ds = _dims(dims)
        let out = noGrad { Tensor.where(isnan(), Tensor.zeros([], dtype: dtype), self).sum(dims: ds, keepDim: keepDim) }
        return out._recorded("NansumBackward0", self, saving: self) { g, n in
            let x = n.savedTensor(0)
            let gg = keepDim ? g : g._unsqueezing(ds)
            return (Tensor.where(x.isnan(), Tensor.zeros([], dtype: g.dtype), gg.expand(x.shape)), nil)
        }
    }

    /// The mean of the elements that are not NaN (`nansum / count`, `DivBackward0`).
    public func nanmean() -> Tensor { nansum() / (~isnan()).sum() }

    /// `nanmean` along `dims`.
    public func nanmean(dims: [Int], keepDim: Bool = false) -> Tensor {
        nansum(dims: dims, keepDim: keepDim) / (~isnan()).sum(dims: dims, keepDim: keepDim)
    }

    /// The number of nonzero elements, over everything or along `dims`, as int64.
    public func countNonzero(dims: [Int] = []) -> Tensor {
        let nonzero = (self .!= Tensor.zeros([], dtype: dtype)).to(.int64)
        return dims.isEmpty ? nonzero.sum() : nonzero.sum(dims: dims)
    }

    /// The lower median of all elements (`MedianBackward0`); NaN if any element is NaN.
    ///
    /// ```swift
    /// Tensor([3.0, 1, 4, 1]).median()   // tensor(1.)
    /// ```
    public func median() -> Tensor {
        if scalarCount == 0 { return Tensor.full([], .nan, dtype: dtype) }
        let flat = noGrad { flatten() }
        let sorted = noGrad { flat.sort(dim: 0).values }
        let k = (scalarCount - 1) / 2
        let out = noGrad { sorted[k].clone() }
        return out._recorded("MedianBackward0", self, saving: self, savingOutput: true) { g, n in
            // evenly_distribute_backward: the gradient shared among the elements equal to it.
            let x = n.savedTensor(0), y = n.savedTensor(1)
            // Chosen with `where`, not by reading the value back, so a compiled step replays it.
            let mask = Tensor.where(y.isnan(), x.isnan(), x .== y).to(g.dtype)
            return (g * mask / mask.sum(), nil)
        }
    }

    /// The lower median along `dim` and its index (`MedianBackward1`).
    public func median(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let k = ((rank == 0 ? 1 : shape[d]) - 1) / 2
        return _selectRanked(d, k: k, keepDim: keepDim, name: "MedianBackward1")
    }

    /// The `k`-th smallest value along `dim` (1-based) and its index (`KthvalueBackward0`).
    public func kthvalue(_ k: Int, dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let n = rank == 0 ? 1 : shape[d]
        if k < 1 || k > n { _fail("kthvalue(): selected number k out of range for dimension \(d)") }
        return _selectRanked(d, k: k - 1, keepDim: keepDim, name: "KthvalueBackward0")
    }

    private func _selectRanked(_ d: Int, k: Int, keepDim: Bool, name: StaticString) -> (values: Tensor, indices: Tensor) {
        let (_, order) = noGrad { sort(dim: d) }
        let index = noGrad { order.narrow(d, k, 1) }
        let values = noGrad { gather(d, index) }
        let v = keepDim || rank == 0 ? values : noGrad { values.squeeze(d) }
        let i = keepDim || rank == 0 ? index : index.squeeze(d)
        let input = shape
        let recorded = v._recorded(name, self, saving: index) { g, n in
            let idx = n.savedTensor(0)
            let gg = keepDim || input.isEmpty ? g : g.unsqueeze(d)
            return (Tensor.zeros(input, dtype: g.dtype).scatter(d, idx, gg), nil)
        }
        return (recorded, i.contiguous())
    }

    /// The most frequent value along `dim` (the smallest among equally frequent ones) and
    /// the last index where it occurs (`ModeBackward0`), like `torch.mode`.
    public func mode(dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = Shape.wrap(dim, rank: Swift.max(rank, 1))
        let x = noGrad { self.to(.float64) }
        let index = x._lines(d, Double.self, Int64.self, outLength: 1, outDType: .int64) { i, o, n in
            let order = (0..<n).sorted { i[$0] < i[$1] || (i[$0] == i[$1] && $0 < $1) }
            var best = -1, bestCount = 0, k = 0
            while k < n {
                var j = k
                while j + 1 < n && i[order[j + 1]] == i[order[k]] { j += 1 }
                let count = j - k + 1
                if count > bestCount {
                    bestCount = count
                    best = order[j]
                }
                k = j + 1
            }
            o[0] = Int64(Swift.max(best, 0))
        }
        let values = noGrad { gather(d, index) }
        let v = keepDim || rank == 0 ? values : noGrad { values.squeeze(d) }
        let input = shape
        let recorded = v._recorded("ModeBackward0", self, saving: index) { g, n in
            let idx = n.savedTensor(0)
            let gg = keepDim || input.isEmpty ? g : g.unsqueeze(d)
            return (Tensor.zeros(input, dtype: g.dtype).scatter(d, idx, gg), nil)
        }
        return (recorded, keepDim || rank == 0 ? index : index.squeeze(d).contiguous())
    }
}
