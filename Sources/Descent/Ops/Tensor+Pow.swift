#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// Powers, following ATen's Pow.cpp and PowKernel.cpp: exponents 0 and 1 fill and copy, 0.5,
// -0.5 and -1 take the sqrt, rsqrt and reciprocal kernels, 2, 3 and -2 multiply, and every
// other exponent calls C's `pow`, which gives the real power of a negative base for an
// integral exponent (`(-2) ** 3 == -8`) and NaN for a fractional one.

extension Tensor {
    /// Raises every element to a number (`PowBackward0`).
    ///
    /// A negative element raised to an integral exponent has its real power; to a fractional
    /// exponent, NaN, as in PyTorch. Integer and bool tensors compute in the default float
    /// dtype; use ``pow(_:)-(Int)`` to keep integers.
    ///
    /// ```swift
    /// let sq = diff.pow(2)
    /// Tensor([-2, 3]).pow(3)   // tensor([-8., 27.])
    /// ```
    public func pow(_ exponent: Double) -> Tensor {
        let x = dtype.isFloatingPoint ? self : to(.float32)
        return Tensor._powScalar(x, exponent)
    }

    /// Raises every element to an integer; an integer tensor stays integer, as
    /// `torch.tensor([2, 3]) ** 2` does (`PowBackward0`).
    ///
    /// ```swift
    /// Tensor(shape: [3], scalars: [Int64(1), 2, 3]).pow(2)   // tensor([1, 4, 9])
    /// ```
    public func pow(_ exponent: Int) -> Tensor {
        switch dtype {
        case .float32, .float64:
            return Tensor._powScalar(self, Double(exponent))
        case .int64, .bool:
            if exponent < 0 { _fail("Integers to negative integer powers are not allowed.") }
            let x = to(.int64)
            let e = Int64(exponent)
            let out = Elementwise.map(x, Int64.self, Int64.self) { Tensor._integerPower($0, e) }
            // Integer results carry no gradient; recording keeps PyTorch's error for backward.
            return out
        }
    }

    /// Raises every element to the matching element of `exponent`, broadcasting
    /// (`PowBackward1`).
    ///
    /// ```swift
    /// let y = base.pow(exps)
    /// ```
    public func pow(_ exponent: Tensor) -> Tensor {
        let promoted = dtype == exponent.dtype ? dtype : Tensor._resultType(self, exponent)
        if dtype == .bool && exponent.dtype == .bool {
            // PyTorch checks the shapes first (its TensorIterator is built before the dtype
            // dispatch), so a size mismatch is the error it reports.
            _ = Shape.broadcast(shape, exponent.shape)
            _fail("\"pow\" not implemented for 'Bool'")
        }
        if !promoted.isFloatingPoint {
            let (a, b) = Tensor._promote(self.to(.int64), exponent.to(.int64))
            return Elementwise.zip(a, b, Int64.self, Int64.self, Int64.self) { Tensor._integerPower($0, $1) }
        }
        // Computed on converted copies; the operands themselves are recorded and saved, so an
        // in-place change of one before backward() is caught, as in PyTorch.
        let a = noGrad { to(promoted) }, b = noGrad { exponent.to(promoted) }
        let out: Tensor
        switch promoted {
        case .float32: out = Elementwise.zip(a, b, Float.self, Float.self, Float.self) { powf($0, $1) }
        default: out = Elementwise.zip(a, b, Double.self, Double.self, Double.self) { CMath.pow($0, $1) }
        }
        return out._recorded("PowBackward1", self, exponent, saving: self, exponent, savingOutput: true) { g, node in
            let a = node.savedTensor(0).to(g.dtype), b = node.savedTensor(1).to(g.dtype), y = node.savedTensor(2)
            // pow_backward_self: where(exponent == 0, 0, grad * (exponent * self.pow(exponent - 1))).
            let ga = node.needsInputGrad(0)
                ? Tensor.where(b .== 0, Tensor.zeros([], dtype: g.dtype), g * (b * a.pow(b - 1))) : nil
            // pow_backward_exponent: 0 where self == 0 and exponent >= 0, else result * log(self).
            let gb = node.needsInputGrad(1)
                ? g * Tensor.where((a .== 0) & (b .>= 0), Tensor.zeros([], dtype: g.dtype), y * a.log()) : nil
            return (ga, gb)
        }
    }

    /// Raises a number to every element of `exponent` (`PowBackward2`).
    ///
    /// ```swift
    /// let y = Tensor.pow(2, x)    // 2 ** x
    /// Tensor.pow(-2, Tensor([2, 3]))   // tensor([ 4., -8.])
    /// ```
    public static func pow(_ base: Double, _ exponent: Tensor) -> Tensor {
        let x = exponent.dtype.isFloatingPoint ? exponent : exponent.to(.float32)
        var out: Tensor
        switch x.dtype {
        case .float32:
            let b = Float(base)
            out = Elementwise.map(x, Float.self, Float.self) { powf(b, $0) }
        default:
            out = Elementwise.map(x, Double.self, Double.self) { CMath.pow(base, $0) }
        }
        // ATen's `pow.Scalar` allocates a contiguous result, whatever the exponent's layout.
        out = out.contiguous()
        return out._recorded("PowBackward2", x, saving: x, savingOutput: true) { g, node in
            // pow_backward_exponent for a number base: grad * (result * log(base)), and 0 where
            // the base is 0 and the exponent is not negative.
            let e = node.savedTensor(0), y = node.savedTensor(1)
            let logBase = CMath.log(base)
            if base == 0 {
                return (g * Tensor.where(e .>= 0, Tensor.zeros([], dtype: g.dtype), y * logBase), nil)
            }
            return (g * (y * logBase), nil)
        }
    }

    /// Raises an integer to every element of `exponent` (`PowBackward2`): an integer tensor
    /// gives integers, as `2 ** torch.tensor([1, 2])` does; a floating one, floats.
    ///
    /// ```swift
    /// Tensor.pow(2, Tensor(shape: [3], scalars: [0, 1, 2]))   // tensor([1, 2, 4])
    /// ```
    public static func pow(_ base: Int, _ exponent: Tensor) -> Tensor {
        if exponent.dtype.isFloatingPoint { return pow(Double(base), exponent) }
        let b = Int64(base)
        return Elementwise.map(exponent.to(.int64), Int64.self, Int64.self) { _integerPower(b, $0) }.contiguous()
    }

    /// `pow(Tensor, Scalar)` for a floating tensor: the kernel PyTorch picks for the exponent,
    /// and pow_backward (`grad * (exponent * self.pow(exponent - 1))`, zero for exponent 0).
    static func _powScalar(_ x: Tensor, _ exponent: Double) -> Tensor {
        let out: Tensor
        switch exponent {
        case 0: out = Tensor.ones(like: x)
        case 1: out = x.detach().clone()
        case 0.5: out = x._powKernel({ $0.squareRoot() }, { $0.squareRoot() })
        case -0.5: out = x._powKernel({ 1 / $0.squareRoot() }, { 1 / $0.squareRoot() })
        case -1: out = x._powKernel({ 1 / $0 }, { 1 / $0 })
        case 2: out = x._powKernel({ $0 * $0 }, { $0 * $0 })
        case 3: out = x._powKernel({ $0 * $0 * $0 }, { $0 * $0 * $0 })
        case -2: out = x._powKernel({ 1 / ($0 * $0) }, { 1 / ($0 * $0) })
        default:
            let f = Float(exponent)
            out = x._powKernel({ powf($0, f) }, { CMath.pow($0, exponent) })
        }
        return out._recorded("PowBackward0", x, saving: x, scalar: exponent) { g, node in
            let e = node.scalar
            if e == 0 { return (Tensor.zeros(like: g), nil) }
            return (g * (node.savedTensor(0).pow(e - 1) * e), nil)
        }
    }

    private func _powKernel(_ f: @escaping (Float) -> Float, _ d: @escaping (Double) -> Double) -> Tensor {
        switch dtype {
        case .float32: Elementwise.map(self, Float.self, Float.self, f)
        default: Elementwise.map(self, Double.self, Double.self, d)
        }
    }

    /// ATen's `powi`: exponentiation by squaring, wrapping on overflow as C++ does; a negative
    /// exponent gives 1 for a base of 1, ±1 for -1 and 0 otherwise.
    static func _integerPower(_ base: Int64, _ exponent: Int64) -> Int64 {
        if exponent < 0 {
            if base == 1 { return 1 }
            if base == -1 { return exponent & 1 == 0 ? 1 : -1 }
            return 0
        }
        var result: Int64 = 1, b = base, e = exponent
        while e > 0 {
            if e & 1 == 1 { result = result &* b }
            b = b &* b
            e >>= 1
        }
        return result
    }
}

/// C's math functions for doubles, named apart from `Tensor`'s methods of the same names
/// (inside a `Tensor` extension, `log(x)` means the method).
enum CMath {
    @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double { Glibc_pow(x, y) }
    @inline(__always) static func log(_ x: Double) -> Double { Glibc_log(x) }
    @inline(__always) static func log1p(_ x: Double) -> Double { Glibc_log1p(x) }
    @inline(__always) static func exp(_ x: Double) -> Double { Glibc_exp(x) }
}

@inline(__always) private func Glibc_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) private func Glibc_log(_ x: Double) -> Double { log(x) }
@inline(__always) private func Glibc_log1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) private func Glibc_exp(_ x: Double) -> Double { exp(x) }
