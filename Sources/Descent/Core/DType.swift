/// The element type of a tensor, chosen at run time as in PyTorch.
///
/// Descent keeps the dtype as a value rather than a generic parameter (see ARCHITECTURE.md §1):
/// one `Tensor` type flows through every API, and kernels are specialised per dtype internally.
///
/// ```swift
/// let x = Tensor([1, 2, 3])                 // float32, PyTorch's default
/// let y = x.to(.float64)
/// print(y.dtype)                            // torch.float64
/// ```
public enum DType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 32-bit IEEE float, the default for tensors made from numbers.
    case float32
    /// 64-bit IEEE float.
    case float64
    /// 64-bit signed integer, used for indices.
    case int64
    /// Booleans, produced by comparisons.
    case bool

    /// Whether values of this dtype can carry gradients.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32: 4
        case .float64, .int64: 8
        case .bool: 1
        }
    }

    /// PyTorch's spelling, `torch.float32`.
    public var description: String {
        switch self {
        case .float32: "torch.float32"
        case .float64: "torch.float64"
        case .int64: "torch.int64"
        case .bool: "torch.bool"
        }
    }

    /// The legacy type name PyTorch uses in autograd messages (`torch.FloatTensor`).
    var legacyTypeName: String {
        switch self {
        case .float32: "torch.FloatTensor"
        case .float64: "torch.DoubleTensor"
        case .int64: "torch.LongTensor"
        // PyTorch's `toString()` has no legacy name for bool and falls back to the dispatch key.
        case .bool: "CPUBoolType"
        }
    }

    /// The C++ scalar type name ATen's dispatch messages use (`"frac_cpu" not implemented for 'Long'`).
    var cppName: String {
        switch self {
        case .float32: "Float"
        case .float64: "Double"
        case .int64: "Long"
        case .bool: "Bool"
        }
    }

    /// Order used by type promotion within and across categories.
    private var rank: Int {
        switch self {
        case .bool: 0
        case .int64: 1
        case .float32: 2
        case .float64: 3
        }
    }

    /// PyTorch's `torch.promote_types` for two tensor operands.
    static func promote(_ a: DType, _ b: DType) -> DType {
        a.rank >= b.rank ? a : b
    }

    /// ATen's `combine_categories`: the higher-priority participant's dtype, unless the lower
    /// one is of a higher category (floating over integer over bool).
    static func _combineCategories(_ higher: DType?, _ lower: DType?) -> DType? {
        guard let higher else { return lower }
        guard let lower else { return higher }
        if higher.isFloatingPoint { return higher }
        if higher == .bool || lower.isFloatingPoint { return promote(higher, lower) }
        return higher
    }

    /// The result dtype when a tensor meets a Swift number: a number never widens a tensor
    /// within its category, but a floating-point number lifts integer and bool tensors to the
    /// default float dtype, as a Python scalar does in PyTorch.
    static func promote(_ tensor: DType, scalarIsFloatingPoint: Bool) -> DType {
        if tensor.isFloatingPoint { return tensor }
        if scalarIsFloatingPoint { return .float32 }
        return .int64
    }
}
