import RealModule

// The scalar functions behind elementwise ops; each kernel is one of these applied by the
// drivers in Kernels/Elementwise.swift.

enum _Add: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._plus(x, y) } }
enum _Sub: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._minus(x, y) } }
enum _Mul: _BinaryNumericFunction { static func apply<T: _NumericElement>(_ x: T, _ y: T) -> T { T._times(x, y) } }

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
