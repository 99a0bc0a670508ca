/// One entry of a subscript: an index, a range, a strided slice, a new axis, an ellipsis or
/// an index tensor, as in Python's `x[0, 1:, ..., None]`.
///
/// Integers and Swift ranges convert on their own; the rest are spelled as cases:
/// ```swift
/// x[0]                          // select row 0
/// x[1...]                       // rows 1 onward
/// x[.all, 0..<2]                // first two columns
/// x[.slice(0, nil, step: 2)]    // every other row
/// x[.ellipsis, .newAxis]        // x[..., None]
/// x[order]                      // gather rows with an int64 tensor
/// ```
public struct TensorIndex {
    enum Kind {
        case index(Int)
        case slice(Int?, Int?, step: Int)
        case all
        case newAxis
        case ellipsis
        case tensor(Tensor)
    }
    let kind: Kind
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// A single position; negative counts from the end. Removes the dimension.
    public static func index(_ i: Int) -> TensorIndex { TensorIndex(kind: .index(i)) }
    /// A Python slice `start:end:step`; `nil` bounds mean the whole extent.
    public static func slice(_ start: Int?, _ end: Int?, step: Int = 1) -> TensorIndex {
        TensorIndex(kind: .slice(start, end, step: step))
    }
    /// The whole dimension, Python's `:`.
    public static var all: TensorIndex { TensorIndex(kind: .all) }
    /// A new dimension of size one, Python's `None`.
    public static var newAxis: TensorIndex { TensorIndex(kind: .newAxis) }
    /// As many `.all` as needed to cover the remaining dimensions, Python's `...`.
    public static var ellipsis: TensorIndex { TensorIndex(kind: .ellipsis) }
    /// An int64 tensor of positions to gather, or a bool mask.
    public static func tensor(_ t: Tensor) -> TensorIndex { TensorIndex(kind: .tensor(t)) }
}

/// A value usable inside a tensor subscript.
public protocol TensorIndexConvertible {
    /// The subscript entry this value stands for.
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { self }
}

extension Int: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .index(self)) }
}

extension Range: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .slice(lowerBound, upperBound, step: 1)) }
}

extension ClosedRange: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .slice(lowerBound, upperBound == -1 ? nil : upperBound + 1, step: 1)) }
}

extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .slice(lowerBound, nil, step: 1)) }
}

extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .slice(nil, upperBound, step: 1)) }
}

extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .slice(nil, upperBound == -1 ? nil : upperBound + 1, step: 1)) }
}

extension Tensor: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .tensor(self)) }
}
