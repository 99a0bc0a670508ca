import CDescentKernels
import RealModule

// Pointwise math: exponentials, activations, clamping and elementwise extrema.

extension Tensor {
    /// Integer and bool inputs compute in the default float dtype, as PyTorch's float ops do.
    private var _floating: Tensor { dtype.isFloatingPoint ? self : to(.float32) }

    /// `e^x` elementwise (`ExpBackward0`).
    ///
    /// ```swift
    /// let y = x.exp()
    /// ```
    public func exp() -> Tensor {
        let x = _floating
        // float32 in memory order: the vectorised kernel with the C library's results.
        let out = x.dtype == .float32 && x.isContiguous ? Elementwise.mapFloat32(x, descent_expf) : Elementwise.mapFloat(x, _Exp.self)
        return out._recorded("ExpBackward0", x, savingOutput: true) { g, node in
            (g * node.savedTensor(0), nil)
        }
    }

    /// The natural logarithm elementwise (`LogBackward0`).
    ///
    /// ```swift
    /// let nll = -p.log()
    /// ```
    public func log() -> Tensor {
        let x = _floating
        return Elementwise.mapFloat(x, _Log.self)._recorded("LogBackward0", x, saving: x) { g, node in
            (g / node.savedTensor(0), nil)
        }
    }

    /// The square root elementwise (`SqrtBackward0`).
    ///
    /// ```swift
    /// let rms = (x * x).mean().sqrt()
    /// ```
    public func sqrt() -> Tensor {
        let x = _floating
        let out = Elementwise.mapFloat(x, _StaticFloatMap<_Sqrt>())
        return out._recorded("SqrtBackward0", x, savingOutput: true) { g, node in
            (g / (node.savedTensor(0) * 2), nil)
        }
    }

    /// The hyperbolic tangent elementwise (`TanhBackward0`).
    ///
    /// ```swift
    /// let h = (x.matmul(w) + b).tanh()
    /// ```
    public func tanh() -> Tensor {
        let x = _floating
        return Elementwise.mapFloat(x, _Tanh.self)._recorded("TanhBackward0", x, savingOutput: true) { g, node in
            let y = node.savedTensor(0)
            return (g * (1 - y * y), nil)
        }
    }

    /// The logistic function `1 / (1 + e^-x)` elementwise (`SigmoidBackward0`).
    ///
    /// ```swift
    /// let p = logits.sigmoid()
    /// ```
    public func sigmoid() -> Tensor {
        let x = _floating
        return Elementwise.mapFloat(x, _Sigmoid.self)._recorded("SigmoidBackward0", x, savingOutput: true) { g, node in
            // sigmoid_backward's order of rounding: grad * (1 - y) * y.
            let y = node.savedTensor(0)
            return (g * (1 - y) * y, nil)
        }
    }

    /// `max(x, 0)` elementwise (`ReluBackward0`); the gradient at 0 is 0, as in PyTorch.
    ///
    /// ```swift
    /// let h = x.matmul(w1).relu()
    /// ```
    public func relu() -> Tensor {
        let out: Tensor
        switch dtype {
        case .float32, .float64: out = Elementwise.mapFloat(self, _StaticFloatMap<_Relu>())
        case .int64: out = Elementwise.map(self, Int64.self, Int64.self) { Swift.max($0, 0) }
        case .bool: _fail("Boolean inputs not supported for relu")
        }
        return out._recorded("ReluBackward0", self, savingOutput: true) { g, node in
            // threshold_backward selects: +0 where the output is not positive, whatever g's sign
            // (a product gave -0 for a negative g).
            (Tensor._reluBackward(g, node.savedTensor(0)), nil)
        }
    }

    /// The absolute value elementwise (`AbsBackward0`); the gradient at 0 is 0.
    ///
    /// ```swift
    /// let l1 = (preds - targets).abs().mean()
    /// ```
    public func abs() -> Tensor {
        let out: Tensor
        switch dtype {
        case .float32, .float64: out = Elementwise.mapFloat(self, _StaticFloatMap<_Abs>())
        case .int64: out = Elementwise.map(self, Int64.self, Int64.self) { $0 < 0 ? 0 &- $0 : $0 }
        case .bool: _fail("\"abs_cpu\" not implemented for 'Bool'")
        }
        return out._recorded("AbsBackward0", self, saving: self) { g, node in
            (g * node.savedTensor(0).sign(), nil)
        }
    }

    /// -1, 0 or 1 by the sign of each element (`SignBackward0`, whose gradient is zero).
    ///
    /// ```swift
    /// Tensor([-2, 0, 3]).sign()   // tensor([-1.,  0.,  1.])
    /// ```
    public func sign() -> Tensor {
        let out: Tensor
        switch dtype {
        // ATen's `(0 < x) - (x < 0)`: NaN and -0 give 0.
        case .float32: out = Elementwise.map(self, Float.self, Float.self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .float64: out = Elementwise.map(self, Double.self, Double.self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .int64: out = Elementwise.map(self, Int64.self, Int64.self) { $0.signum() }
        case .bool: out = clone()
        }
        return out._recorded("SignBackward0", self) { g, _ in (Tensor.zeros(like: g), nil) }
    }

    /// Limits every element to `[min, max]`; either bound may be left out
    /// (`ClampBackward1`). The gradient passes where the input lies within the bounds.
    ///
    /// ```swift
    /// let p = x.clamp(min: 1e-7, max: 1 - 1e-7)
    /// ```
    public func clamp(min lower: Double? = nil, max upper: Double? = nil) -> Tensor {
        guard lower != nil || upper != nil else {
            _fail("torch.clamp: At least one of 'min' or 'max' must not be None")
        }
        let lo = lower ?? -.infinity, hi = upper ?? .infinity
        let out: Tensor
        switch dtype {
        case .float32, .float64:
            out = Elementwise.mapFloat(self, _ClampOp(low: lo, high: hi))
        case .int64:
            out = Elementwise.map(self, Int64.self, Int64.self) {
                let v = Double($0)
                return v < lo ? Int64(lo.rounded(.up)) : (v > hi ? Int64(hi.rounded(.down)) : $0)
            }
        case .bool:
            _fail("\"clamp_scalar_cpu\" not implemented for 'Bool'")
        }
        return out._recorded("ClampBackward1", self, saving: self) { g, node in
            // `where(mask, grad, 0)`, as ATen's clamp_backward: +0 outside, never -0.
            let x = node.savedTensor(0)
            return (Tensor.where((x .>= lo) & (x .<= hi), g, Tensor.zeros([], dtype: g.dtype)), nil)
        }
    }

    /// The larger of two tensors elementwise, broadcasting (`MaximumBackward0`); ties split
    /// the gradient in half, as in PyTorch.
    ///
    /// ```swift
    /// let y = Tensor.maximum(a, b)
    /// ```
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        _extremum(a, b, _Maximum.self, name: "MaximumBackward0", greater: true)
    }

    /// The smaller of two tensors elementwise, broadcasting (`MinimumBackward0`).
    ///
    /// ```swift
    /// let y = Tensor.minimum(a, b)
    /// ```
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        _extremum(a, b, _Minimum.self, name: "MinimumBackward0", greater: false)
    }

    private static func _extremum<F: _BinaryNumericFunction>(
        _ lhs: Tensor, _ rhs: Tensor, _ f: F.Type, name: StaticString, greater: Bool
    ) -> Tensor {
        let (a, b) = lhs.dtype == rhs.dtype ? (lhs, rhs) : noGrad { _promote(lhs, rhs) }
        if a.dtype == .bool {
            // On booleans the larger is `or` and the smaller `and`, as in PyTorch.
            return Elementwise.zip(a, b, Bool.self, Bool.self, Bool.self) { greater ? ($0 || $1) : ($0 && $1) }
        }
        let out = Elementwise.zipNumeric(a, b, F.self)
        if a.dtype.isFloatingPoint { _signedZeroTies(out, a, b) }
        // The operands themselves are recorded and saved (not converted copies), as in PyTorch.
        return out._recorded(name, lhs, rhs, saving: lhs, rhs) { g, node in
            // PyTorch's formulas: where(a == b, grad / 2, grad), zeroed where the other
            // operand won (so a NaN operand gets the whole gradient, as there).
            let a = node.savedTensor(0), b = node.savedTensor(1)
            let shared = Tensor.where(a .== b, g / 2, g)
            let zero = Tensor.zeros([], dtype: g.dtype)
            let aLoses = greater ? a .< b : a .> b
            let bLoses = greater ? a .> b : a .< b
            return (Tensor.where(aLoses, zero, shared), Tensor.where(bLoses, zero, shared))
        }
    }
}

extension Tensor {
    /// Which zero `maximum(-0.0, 0.0)` gives depends on ATen's path: its vector form
    /// (`_mm256_max_ps`, and the default build's loop alike) takes the second operand on a tie,
    /// its scalar form (`std::max`) the first. The vector form runs over blocks of 64 bytes of
    /// contiguous operands, the scalar one over the rest and over other layouts.
    /// `Elementwise` took the second everywhere; this gives the scalar part the first.
    static func _signedZeroTies(_ out: Tensor, _ a: Tensor, _ b: Tensor) {
        let n = out.scalarCount
        func dense(_ t: Tensor) -> Bool { t.isContiguous && Shape.same(t.shape, out.shape) }
        func single(_ t: Tensor) -> Bool { t.scalarCount == 1 }
        let vectorized = (dense(a) && (dense(b) || single(b))) || (single(a) && dense(b))
        let block = 64 / out.dtype.itemSize
        let start = vectorized && n > 1 ? n - n % block : 0
        guard start < n else { return }
        let ea = dense(a) ? a : noGrad { a.expand(out.shape).contiguous() }
        let eb = dense(b) ? b : noGrad { b.expand(out.shape).contiguous() }
        func fix<T: _FloatElement>(_: T.Type) {
            let pa = ea.pointer(T.self), pb = eb.pointer(T.self), po = out.pointer(T.self)
            for k in start..<n where pa[k] == 0 && pb[k] == 0 { po[k] = pa[k] }
        }
        if out.dtype == .float32 { fix(Float.self) } else { fix(Double.self) }
    }

    /// The Gaussian error linear unit `x Φ(x)` (`GeluBackward0`), like `torch.nn.functional.gelu`;
    /// `approximateTanh` selects PyTorch's `approximate="tanh"` form.
    ///
    /// ```swift
    /// let h = x.gelu()
    /// ```
    public func gelu(approximateTanh: Bool = false) -> Tensor {
        let x = _floating
        func run<T: _FloatElement>(_: T.Type) -> Tensor {
            Elementwise.map(x, T.self, T.self) { approximateTanh ? _GeluScalar.tanhForward($0) : _GeluScalar.forward($0) }
        }
        let out: Tensor
        if x.dtype == .float32 && !approximateTanh, let fast = Tensor._geluVectorised(x) {
            out = fast
        } else {
            out = x.dtype == .float32 ? run(Float.self) : run(Double.self)
        }
        return out._recorded("GeluBackward0", x, saving: x) { g, node in
            let v = node.savedTensor(0)
            if GradMode.isEnabled && (g._requiresGradForRecording || v._requiresGradForRecording) {
                // The backward pass is recorded (`createGraph`): the same derivative in tensor ops.
                if approximateTanh {
                    let t = ((v + v.pow(3) * 0.044715) * 0.7978845608028654).tanh()
                    let d = (t + 1) * 0.5 + v * 0.5 * (1 - t * t) * 0.7978845608028654 * (v * v * (3 * 0.044715) + 1)
                    return (g * d, nil)
                }
                let d = ((v * 0.7071067811865476).erf() + 1) * 0.5 + v * 0.3989422804014327 * (v * v * -0.5).exp()
                return (g * d, nil)
            }
            if v.dtype == .float32 && g.dtype == .float32 && !approximateTanh, let fast = Tensor._geluVectorisedBackward(v, g) {
                return (fast, nil)
            }
            let dy = g.dtype == v.dtype ? g : g.to(v.dtype)
            func grad<T: _FloatElement>(_: T.Type) -> Tensor {
                Elementwise.zip(dy, v, T.self, T.self, T.self) {
                    approximateTanh ? _GeluScalar.tanhBackward($0, $1) : _GeluScalar.backward($0, $1)
                }
            }
            return (v.dtype == .float32 ? grad(Float.self) : grad(Double.self), nil)
        }
    }

    /// `y > 0 ? g : +0`, ATen's `threshold_backward`: one pass for contiguous operands of one
    /// shape and type (the common case), a `where` otherwise and when the backward pass is recorded.
    static func _reluBackward(_ g: Tensor, _ y: Tensor) -> Tensor {
        guard !(GradMode.isEnabled && g._requiresGradForRecording), g.shape == y.shape, g.dtype == y.dtype,
              g.dtype.isFloatingPoint, g.isContiguous, y.isContiguous else {
            return Tensor.where(y .> 0, g, Tensor.zeros([], dtype: g.dtype))
        }
        let out = Tensor(uninitializedShape: g.shape, dtype: g.dtype)
        let n = g.scalarCount
        // Masks on the bit patterns: a branch per element mispredicted on half of them (a
        // LeNet step ran 17% slower), a select of floats did not vectorise.
        let single = g.dtype == .float32
        let (pg, py, po) = (g.data + g.storageOffset * g.dtype.itemSize, y.data + y.storageOffset * y.dtype.itemSize, out.data)
        func run() {
            if single {
                let (pg, py, po) = (pg.assumingMemoryBound(to: UInt32.self), py.assumingMemoryBound(to: Float.self), po.assumingMemoryBound(to: UInt32.self))
                for i in 0..<n { po[i] = pg[i] & (0 &- UInt32(truncatingIfNeeded: py[i] > 0 ? 1 : 0)) }
            } else {
                let (pg, py, po) = (pg.assumingMemoryBound(to: UInt64.self), py.assumingMemoryBound(to: Double.self), po.assumingMemoryBound(to: UInt64.self))
                for i in 0..<n { po[i] = pg[i] & (0 &- UInt64(truncatingIfNeeded: py[i] > 0 ? 1 : 0)) }
            }
        }
        run()
        if _CaptureTape.isActive { _CaptureTape.record(run, writes: out, reads: g, y) }
        return out
    }

    /// Float32 GELU through ATen's AVX2 vector formula (`descent_gelu_f32`, within an ulp: its
    /// `exp` is not SLEEF's) where ATen runs its vector loop, the scalar formula elsewhere,
    /// threaded as `exp` is; `nil` on CPUs without AVX2/FMA.
    static func _geluVectorised(_ x: Tensor) -> Tensor? {
        guard descent_cpu_has_avx2_fma() != 0 else { return nil }
        return Elementwise.mapFloat32(x, descent_gelu_f32, scalar: _GeluScalar.forward)
    }

    /// `g · GELU'(x)` through ATen's vectorised backward formula where ATen runs its vector
    /// loop (the upstream gradient first, as ATen's iterator takes it), in one part per thread;
    /// `nil` without AVX2/FMA.
    static func _geluVectorisedBackward(_ x: Tensor, _ g: Tensor) -> Tensor? {
        guard descent_cpu_has_avx2_fma() != 0, x.shape == g.shape else { return nil }
        return Elementwise.zipFloat32(g, x, { n, g, x, out in descent_gelu_backward_f32(n, x, g, out) }, scalar: _GeluScalar.backward)
    }

    /// Zeroes each element with probability `p` and scales the rest by `1/(1-p)`, like
    /// `F.dropout` in training mode (`MulBackward0`). The mask comes from Descent's generator;
    /// PyTorch draws it through MKL, so the masks differ while the statistics agree.
    ///
    /// ```swift
    /// let h = x.dropout(p: 0.1)
    /// ```
    public func dropout(p: Double, generator: Generator? = nil) -> Tensor {
        guard p >= 0 && p <= 1 else { _fail("dropout probability has to be between 0 and 1, but got \(p)") }
        if p == 0 { return self }
        if p == 1 { return self * 0 }
        let keep = Tensor.rand(shape, dtype: dtype.isFloatingPoint ? dtype : .float32, generator: generator) .>= p
        return self * (keep.to(dtype.isFloatingPoint ? dtype : .float32) / (1 - p))
    }

    /// Zeroes whole channels of `[N, C, L]` (or `[C, L]`) with probability `p`, scaling the rest
    /// by `1/(1-p)`, like `F.dropout1d` in training mode (`MulBackward0`).
    ///
    /// ```swift
    /// let h = x.dropout1d(p: 0.2)
    /// ```
    public func dropout1d(p: Double, generator: Generator? = nil) -> Tensor {
        if rank != 2 && rank != 3 {
            _fail("dropout1d: Expected 2D or 3D input, but received a \(rank)D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
        }
        return _featureDropout(p: p, spatial: 1, generator: generator)
    }

    /// Zeroes whole channels of `[N, C, H, W]` (or `[C, H, W]`) with probability `p`, scaling
    /// the rest by `1/(1-p)`, like `F.dropout2d` in training mode (`MulBackward0`).
    ///
    /// ```swift
    /// let h = features.dropout2d(p: 0.25)
    /// ```
    public func dropout2d(p: Double, generator: Generator? = nil) -> Tensor {
        if rank != 3 && rank != 4 {
            _fail("dropout2d: Received a \(rank)-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).")
        }
        return _featureDropout(p: p, spatial: 2, generator: generator)
    }

    /// ATen's `_feature_dropout`: one draw per channel (of each sample), broadcast over the
    /// spatial dimensions.
    private func _featureDropout(p: Double, spatial: Int, generator: Generator?) -> Tensor {
        guard p >= 0 && p <= 1 else { _fail("dropout probability has to be between 0 and 1, but got \(p)") }
        if p == 0 { return self }
        let maskShape = Array(shape.dropLast(spatial)) + Array(repeating: 1, count: spatial)
        let floating = dtype.isFloatingPoint ? dtype : .float32
        if p == 1 { return self * Tensor.zeros(maskShape, dtype: floating) }
        let keep = Tensor.rand(maskShape, dtype: floating, generator: generator) .>= p
        return self * (keep.to(floating) / (1 - p))
    }
}

enum _Sqrt: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x.squareRoot() } }
/// NaN passes through relu, as in PyTorch.
enum _Relu: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x > 0 || x.isNaN ? x : 0 } }
enum _Abs: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { Swift.abs(x) } }

/// Clamping to number bounds; NaN stays NaN.
struct _ClampOp: _FloatMap {
    let low: Double, high: Double
    @inline(__always) func apply<T: _FloatElement>(_ x: T) -> T {
        x.isNaN ? x : Swift.min(Swift.max(x, T(low)), T(high))
    }
}

/// ATen's scalar GELU formulas (`GeluKernel.cpp`, the loop for elements its vector loop does
/// not take), with its order of operations: the last bits depend on it.
enum _GeluScalar {
    @inline(__always) static func forward<T: _FloatElement>(_ x: T) -> T {
        x * T(0.5) * (1 + T.erf(x * T(0.7071067811865476)))
    }

    @inline(__always) static func tanhForward<T: _FloatElement>(_ x: T) -> T {
        let cube = x * x * x
        let inner = T(0.7978845608028654) * (x + T(0.044715) * cube)
        return T(0.5) * x * (1 + T.tanh(inner))
    }

    @inline(__always) static func backward<T: _FloatElement>(_ dy: T, _ x: T) -> T {
        let cdf = T(0.5) * (1 + T.erf(x * T(0.7071067811865476)))
        let pdf = T(0.3989422804014327) * T.exp(x * x * T(-0.5))
        return dy * (cdf + x * pdf)
    }

    @inline(__always) static func tanhBackward<T: _FloatElement>(_ dy: T, _ x: T) -> T {
        let beta = T(0.7978845608028654), kappa = T(0.044715)
        let square = x * x
        let cube = square * x
        let t = T.tanh(beta * (x + kappa * cube))
        let left = T(0.5) * x, right = 1 + t
        let leftDerivative = T(0.5) * right
        let tanhDerivative = 1 - t * t
        let innerDerivative = beta * (1 + 3 * kappa * square)
        return dy * (leftDerivative + left * tanhDerivative * innerDerivative)
    }
}
