import RealModule

// The scalar functions behind elementwise ops; each kernel is one of these applied by the
// drivers in Kernels/Elementwise.swift.

enum _Add: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._plus(x, y) } }
enum _Sub: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._minus(x, y) } }
enum _Mul: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._times(x, y) } }
enum _Div: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._divide(x, y) } }

/// Maximum and minimum propagate NaN, as PyTorch's do.
enum _Maximum: _BinaryNumericFunction {
    static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { x != x ? x : (y != y ? y : (x > y ? x : y)) }
}
enum _Minimum: _BinaryNumericFunction {
    static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { x != x ? x : (y != y ? y : (x < y ? x : y)) }
}

enum _Equal: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x == y } }
enum _NotEqual: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x != y } }
enum _Less: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x < y } }
enum _LessEqual: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x <= y } }
enum _Greater: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x > y } }
enum _GreaterEqual: _ComparisonFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> Bool { x >= y } }

enum _Exp: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.exp(x) } }
enum _Log: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.log(x) } }
/// Float32 tanh is the double one rounded, as PyTorch's CPU kernel gives it (checked on 3,000
/// values: `tanhf` differs from it in a fifth of them).
enum _Tanh: _UnaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T) -> T {
        T.self == Float.self ? T(Double.tanh(Double(x))) : T.tanh(x)
    }
}
enum _Reciprocal: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { 1 / x } }
enum _Sigmoid: _UnaryFloatFunction {
    static func apply<T: _FloatElement>(_ x: T) -> T { 1 / (1 + T.exp(-x)) }
}

// Trigonometric, hyperbolic and special functions: the C library's, as ATen's reference
// kernels call them (`std::sin` and so on).
enum _Sin: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.sin(x) } }
enum _Cos: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.cos(x) } }
enum _Tan: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.tan(x) } }
enum _Asin: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.asin(x) } }
enum _Acos: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.acos(x) } }
enum _Atan: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.atan(x) } }
enum _Sinh: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.sinh(x) } }
enum _Cosh: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.cosh(x) } }
enum _Asinh: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.asinh(x) } }
enum _Acosh: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.acosh(x) } }
enum _Atanh: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.atanh(x) } }
enum _Exp2: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.exp2(x) } }
enum _Expm1: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.expMinusOne(x) } }
enum _Log2: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.log2(x) } }
enum _Log10: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.log10(x) } }
enum _Log1p: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.log(onePlus: x) } }
enum _Erf: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.erf(x) } }
enum _Erfc: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.erfc(x) } }
enum _Lgamma: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { T.logGamma(x) } }
enum _Rsqrt: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { 1 / x.squareRoot() } }
enum _Floor: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x.rounded(.down) } }
enum _Ceil: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x.rounded(.up) } }
enum _Trunc: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x.rounded(.towardZero) } }
/// `std::nearbyint` in the default rounding mode: halves go to the even neighbour.
enum _Round: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x.rounded(.toNearestOrEven) } }
enum _Frac: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { x - x.rounded(.towardZero) } }
enum _Erfinv: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { _erfinv(x) } }
enum _Digamma: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { _digamma(x) } }
enum _Trigamma: _UnaryFloatFunction { static func apply<T: _FloatElement>(_ x: T) -> T { _trigamma(x) } }

/// ATen's `calc_erfinv`: a rational first guess (Pavlis's translation of MATLAB's erfinv),
/// then two Newton steps, in the element type.
@inline(__always)
func _erfinv<T: _FloatElement>(_ y: T) -> T {
    let a: (T, T, T, T) = (T(0.886226899), T(-1.645349621), T(0.914624893), T(-0.140543331))
    let b: (T, T, T, T) = (T(-2.118377725), T(1.442710462), T(-0.329097515), T(0.012229801))
    let c: (T, T, T, T) = (T(-1.970840454), T(-1.624906493), T(3.429567803), T(1.641345311))
    let d: (T, T) = (T(3.543889200), T(1.637067800))
    let yAbs = Swift.abs(y)
    if yAbs > 1 { return .nan }
    if yAbs == 1 { return y < 0 ? -.infinity : .infinity }
    var x: T
    if yAbs <= T(0.7) {
        let z = y * y
        let num = ((a.3 * z + a.2) * z + a.1) * z + a.0
        let dem = (((b.3 * z + b.2) * z + b.1) * z + b.0) * z + 1
        x = y * num / dem
    } else {
        let z = T.sqrt(-T.log((1 - yAbs) / 2))
        let num = ((c.3 * z + c.2) * z + c.1) * z + c.0
        let dem = (d.1 * z + d.0) * z + 1
        x = (y < 0 ? -num : num) / dem
    }
    let twoOverSqrtPi = T(2) / T(Double.pi.squareRoot())
    x = x - (T.erf(x) - y) / (twoOverSqrtPi * T.exp(-x * x))
    x = x - (T.erf(x) - y) / (twoOverSqrtPi * T.exp(-x * x))
    return x
}

/// ATen's `calc_digamma`: the reflection formula below zero, the recurrence up to 10, then the
/// asymptotic series (Cephes's coefficients).
func _digamma<T: _FloatElement>(_ value: T) -> T {
    var x = value
    if x == 0 { return x.sign == .minus ? .infinity : -.infinity }
    if x < 0 {
        if x == x.rounded(.towardZero) { return .nan }
        let r = x - x.rounded(.towardZero)
        return _digamma(1 - x) - T(Double.pi) / T.tan(T(Double.pi) * r)
    }
    var result: T = 0
    while x < 10 {
        result -= 1 / x
        x += 1
    }
    if x == 10 { return result + T(2.25175258906672110764) }
    let coefficients: [T] = [T(8.33333333333333333333E-2), T(-2.10927960927960927961E-2), T(7.57575757575757575758E-3),
                             T(-4.16666666666666666667E-3), T(3.96825396825396825397E-3), T(-8.33333333333333333333E-3),
                             T(8.33333333333333333333E-2)]
    var y: T = 0
    if x < T(1.0e17) {
        let z = 1 / (x * x)
        var p: T = coefficients[0]
        for k in 1..<coefficients.count { p = p * z + coefficients[k] }
        y = z * p
    }
    return result + T.log(x) - (T(0.5) / x) - y
}

/// ATen's `calc_trigamma` (`polygamma(1, x)`), the derivative of digamma.
func _trigamma<T: _FloatElement>(_ value: T) -> T {
    var x = value
    var sign: T = 1
    var result: T = 0
    if x < T(0.5) {
        sign = -1
        let s = T.sin(T(Double.pi) * x)
        result -= T(Double.pi * Double.pi) / (s * s)
        x = 1 - x
    }
    for _ in 0..<6 {
        result += 1 / (x * x)
        x += 1
    }
    let ixx = 1 / (x * x)
    result += (1 + 1 / (2 * x) + ixx * (T(1.0 / 6) - ixx * (T(1.0 / 30) - ixx * T(1.0 / 42)))) / x
    return sign * result
}
