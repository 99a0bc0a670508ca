/// Shape arithmetic shared by every op: strides, dimension wrapping and broadcasting.
enum Shape {
    /// Row-major strides for a contiguous tensor of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        // The strides of vectors and of matrices up to 64 columns are shared arrays: a
        // training loop makes such tensors every step, and sharing saves an allocation each.
        if shape.count == 1 { return unitStride }
        if shape.count == 2, shape[1] >= 0, shape[1] < rowStrides.count { return rowStrides[shape[1]] }
        var strides = [Int]._small(repeating: 1, count: shape.count)
        var running = 1
        for i in (0..<shape.count).reversed() {
            strides[i] = running
            running *= max(shape[i], 1)
        }
        return strides
    }

    static let unitStride = [1]

    // Shared arrays for the short shapes and strides that ops make on every step of a small
    // model: a transpose's, a matrix product's, a broadcast's, a bias gradient's. Each was an
    // allocation and a free (about 300 instructions), nine times per epoch of the seed loop.
    // The tables (`singles`, `pairs`, `rowStrides`, `flagTable`) are array literals generated
    // into ShapeTables.swift: immortal objects, whose counts cost no atomic write, never
    // changed, so any thread may read them.

    /// `[a]`, shared when small.
    @inline(__always)
    static func one(_ a: Int) -> [Int] { a >= 0 && a < singles.count ? singles[a] : [a] }

    /// `[a, b]`, shared when both are small.
    @inline(__always)
    static func pair(_ a: Int, _ b: Int) -> [Int] {
        a >= 0 && a < pairLimit && b >= 0 && b < pairLimit ? pairs[a * pairLimit + b] : [a, b]
    }

    /// The reduction flags of `mask` (bit `d` set when dimension `d` is reduced) for a tensor
    /// of at most four dimensions, shared like the shapes above.
    static func flags(_ mask: Int, rank: Int) -> [Bool] { flagTable[rank][mask] }

    /// Every dimension of a tensor of `rank` dimensions reduced.
    static func allFlags(rank: Int) -> [Bool] {
        rank < flagTable.count ? flagTable[rank][(1 << rank) - 1] : [Bool](repeating: true, count: rank)
    }

    /// Whether two shapes are equal, inline: the checks an op makes on its operands' shapes
    /// mostly compare an array with itself (shapes are shared), and `==` was a call each time.
    @inline(__always)
    static func same(_ a: [Int], _ b: [Int]) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                if pa.baseAddress == pb.baseAddress { return true }
                for i in 0..<n where pa[i] != pb[i] { return false }
                return true
            }
        }
    }

    static func count(_ shape: [Int]) -> Int {
        var n = 1
        for s in shape { n *= s }
        return n
    }

    /// Whether (shape, strides) walks memory in row-major order with no gaps. Sizes of one are
    /// ignored, as in PyTorch's `is_contiguous`.
    static func isContiguous(_ shape: [Int], _ strides: [Int]) -> Bool {
        var expected = 1
        for i in (0..<shape.count).reversed() where shape[i] != 1 {
            if shape[i] == 0 { return true }
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Wraps a possibly negative dimension with PyTorch's range error.
    static func wrap(_ dim: Int, rank: Int) -> Int {
        let r = max(rank, 1)
        guard dim >= -r && dim < r else {
            _fail("Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
        }
        return dim < 0 ? dim + r : dim
    }

    /// The broadcast shape of two operands, failing with PyTorch's `infer_size` message.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        if a == b { return a }
        // Most broadcasts give one operand's own shape (a bias added to a batch): return that
        // array rather than build an equal one.
        if covers(a, b) { return a }
        if covers(b, a) { return b }
        let n = max(a.count, b.count)
        var out = [Int]._small(repeating: 0, count: n)
        for i in (0..<n).reversed() {
            let offset = n - 1 - i
            let da = a.count - 1 - offset, db = b.count - 1 - offset
            let sa = da >= 0 ? a[da] : 1
            let sb = db >= 0 ? b[db] : 1
            guard sa == sb || sa == 1 || sb == 1 else {
                _fail("The size of tensor a (\(sa)) must match the size of tensor b (\(sb)) at non-singleton dimension \(i)")
            }
            out[i] = sa == 1 ? sb : sa
        }
        return out
    }

    @inline(__always)
    /// Whether a tensor of shape `b` broadcasts to `a` without changing `a`.
    static func canBroadcast(_ b: [Int], to a: [Int]) -> Bool { covers(a, b) }

    private static func covers(_ a: [Int], _ b: [Int]) -> Bool {
        guard a.count >= b.count else { return false }
        let lead = a.count - b.count
        for i in 0..<b.count where b[i] != a[lead + i] && b[i] != 1 { return false }
        return true
    }

    /// Strides that read a tensor of (shape, strides) as if expanded to `target`, with zero
    /// strides on broadcast dimensions. The caller has checked that the shapes broadcast.
    static func broadcastStrides(_ shape: [Int], _ strides: [Int], to target: [Int]) -> [Int] {
        var out = [Int]._small(repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
            out[lead + i] = shape[i] == 1 ? 0 : strides[i]
        }
        return out
    }
}

extension Array {
    /// `Array(repeating:count:)` for the short arrays of shapes, strides and dimension flags.
    ///
    /// An array of run-time length is allocated by the standard library's unspecialized
    /// `_allocateBufferUninitialized`, which looks up the storage class's generic metadata on
    /// every call: about 40 ns, four times the cost of the allocation itself, measured nine
    /// times per epoch of the seed loop. Array literals are allocated with static metadata, so
    /// the common lengths are built as literals.
    @inline(__always)
    static func _small(repeating value: Element, count: Int) -> [Element] {
        switch count {
        case 0: return []
        case 1: return [value]
        case 2: return [value, value]
        case 3: return [value, value, value]
        case 4: return [value, value, value, value]
        default: return Array(repeating: value, count: count)
        }
    }
}
