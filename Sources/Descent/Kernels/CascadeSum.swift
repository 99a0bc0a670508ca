/// PyTorch's CPU floating-point sum (`cascade_sum` in ATen's SumKernel.cpp), reproduced in
/// its exact order of additions.
///
/// Summing in PyTorch's order, with float32 accumulators for float32, is what makes the
/// notebook's losses and gradients print the same last digit as PyTorch. The algorithm is also
/// accurate: a cascade of partial sums keeps the rounding error of long sums near O(log n).
/// Vector lanes are independent streams of additions, so each lane is computed as a scalar
/// stream here; the compiler is free to vectorise the loops.
enum CascadeSum {
    /// PyTorch's `Vectorized<T>::size()` for its AVX2 and default builds: 32 bytes of lanes.
    static func lanes<T>(_: T.Type) -> Int { 32 / MemoryLayout<T>.size }

    /// `multi_row_sum` for one accumulator stream: four levels of partial sums, flushed in
    /// blocks of 16 (or more for huge inputs).
    @inline(__always)
    static func multiRow<T: _CascadeValue>(_ size: Int, _ load: (Int) -> T) -> T {
        let ceilLog2 = size <= 2 ? 1 : (Int.bitWidth - (size - 1).leadingZeroBitCount)
        let levelPower = Swift.max(4, ceilLog2 / 4)
        let step = 1 << levelPower
        let mask = step - 1
        var a0 = T.cascadeZero, a1 = T.cascadeZero, a2 = T.cascadeZero, a3 = T.cascadeZero
        var i = 0
        while i + step <= size {
            for _ in 0..<step {
                a0 += load(i)
                i += 1
            }
            a1 += a0; a0 = T.cascadeZero
            if i & (mask << levelPower) != 0 { continue }
            a2 += a1; a1 = T.cascadeZero
            if i & (mask << (2 * levelPower)) != 0 { continue }
            a3 += a2; a2 = T.cascadeZero
        }
        while i < size {
            a0 += load(i)
            i += 1
        }
        a0 += a1
        a0 += a2
        a0 += a3
        return a0
    }

    /// `row_sum`: four interleaved streams, the leftovers, then the streams folded together.
    @inline(__always)
    static func row<T: _CascadeValue>(_ size: Int, _ load: (Int) -> T) -> T {
        let n4 = size / 4
        var p0: T, p1: T, p2: T, p3: T
        if n4 < 16 {
            // A multi-row sum of fewer than 16 steps never reaches its first level: it is a
            // plain sum from zero, then its three empty levels added, which changes nothing (a
            // sum from +0.0 is never -0.0). Written out here for short rows, where four calls of
            // `multiRow` cost more than the additions.
            p0 = T.cascadeZero; p1 = T.cascadeZero; p2 = T.cascadeZero; p3 = T.cascadeZero
            for i in 0..<n4 {
                p0 += load(i * 4)
                p1 += load(i * 4 + 1)
                p2 += load(i * 4 + 2)
                p3 += load(i * 4 + 3)
            }
        } else {
            p0 = multiRow(n4) { load($0 * 4) }
            p1 = multiRow(n4) { load($0 * 4 + 1) }
            p2 = multiRow(n4) { load($0 * 4 + 2) }
            p3 = multiRow(n4) { load($0 * 4 + 3) }
        }
        for i in (n4 * 4)..<size { p0 += load(i) }
        p0 += p1
        p0 += p2
        p0 += p3
        return p0
    }

    /// `multi_row_sum` for `width` streams at once: at step `i`, `add(level0, i)` adds the
    /// step's `width` values into the level-0 accumulators. All streams share one level
    /// schedule, so one pass over memory serves every stream (vector lanes, or columns).
    @inline(__always)
    static func multiRowBatch<T: _FloatElement>(
        _ size: Int, width: Int, into result: UnsafeMutablePointer<T>, _ add: (UnsafeMutablePointer<T>, Int) -> Void
    ) {
        let ceilLog2 = size <= 2 ? 1 : (Int.bitWidth - (size - 1).leadingZeroBitCount)
        let levelPower = Swift.max(4, ceilLog2 / 4)
        let step = 1 << levelPower
        let mask = step - 1
        // Scratch on the stack when small (withUnsafeTemporaryAllocation): a bias gradient
        // sums a few columns every step, and three heap blocks per sum were a third of its cost.
        withUnsafeTemporaryAllocation(of: T.self, capacity: 4 * width) { buffer in
            let acc = buffer.baseAddress!
            acc.initialize(repeating: 0, count: 4 * width)
            let a0 = acc, a1 = acc + width, a2 = acc + 2 * width, a3 = acc + 3 * width
            @inline(__always) func flush(_ from: UnsafeMutablePointer<T>, _ to: UnsafeMutablePointer<T>) {
                for j in 0..<width {
                    to[j] += from[j]
                    from[j] = 0
                }
            }
            var i = 0
            while i + step <= size {
                for _ in 0..<step {
                    add(a0, i)
                    i += 1
                }
                flush(a0, a1)
                if i & (mask << levelPower) != 0 { continue }
                flush(a1, a2)
                if i & (mask << (2 * levelPower)) != 0 { continue }
                flush(a2, a3)
            }
            while i < size {
                add(a0, i)
                i += 1
            }
            for j in 0..<width { result[j] = ((a0[j] + a1[j]) + a2[j]) + a3[j] }
        }
    }

    /// `row_sum` for `width` streams whose values at step `i` are `rowAt(i)[0..<width]`: four
    /// interleaved multi-row sums, the leftover steps, then the four folded together.
    @inline(__always)
    static func rowBatch<T: _FloatElement>(
        _ size: Int, width: Int, into result: UnsafeMutablePointer<T>, _ rowAt: (Int) -> UnsafePointer<T>
    ) {
        let n4 = size / 4
        withUnsafeTemporaryAllocation(of: T.self, capacity: 4 * width) { buffer in
            let partial = buffer.baseAddress!
            multiRowBatch(n4, width: 4 * width, into: partial) { acc, i in
                for r in 0..<4 {
                    let src = rowAt(i * 4 + r), dst = acc + r * width
                    for j in 0..<width { dst[j] += src[j] }
                }
            }
            for i in (n4 * 4)..<size {
                let src = rowAt(i)
                for j in 0..<width { partial[j] += src[j] }
            }
            for j in 0..<width {
                result[j] = ((partial[j] + partial[width + j]) + partial[2 * width + j]) + partial[3 * width + j]
            }
        }
    }

    /// `row` (or, with `inner`, `shortInner`) over rows `j..<j+8` of a 2-d loop at once, one
    /// row per lane of a vector, for each full group of eight rows; returns how many rows it
    /// summed into `out` (the caller sums the rest). The lanes run the scalar form's very
    /// additions, so the sums are the same bits; one row at a time cost 5-12 ns a row.
    static func shortRowsVectorized<T: _FloatElement>(
        _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ size0: Int, _ size1: Int, _ in0: Int, _ in1: Int, _ out1: Int,
        inner: Bool
    ) -> Int {
        func run<S: BinaryFloatingPoint & SIMDScalar & _CascadeValue>(_: S.Type) -> Int {
            let p = UnsafeRawPointer(input).assumingMemoryBound(to: S.self)
            let o = UnsafeMutableRawPointer(out).assumingMemoryBound(to: S.self)
            var j = 0
            while j + 8 <= size1 {
                let base = p + j * in1
                @inline(__always) func gather(_ i: Int) -> SIMD8<S> {
                    let q = base + i * in0
                    return SIMD8(q[0], q[in1], q[2 * in1], q[3 * in1], q[4 * in1], q[5 * in1], q[6 * in1], q[7 * in1])
                }
                let sums: SIMD8<S> = inner ? shortInner(size0, lanes: lanes(T.self), gather) : row(size0, gather)
                for lane in 0..<8 { o[(j + lane) * out1] += sums[lane] }
                j += 8
            }
            return j
        }
        if T.self == Float.self { return run(Float.self) }
        if T.self == Double.self { return run(Double.self) }
        return 0
    }

    /// `multiRowBatch` for `L.count` streams whose values at step `i` are the `L.count`
    /// contiguous values at `raw + i * strideBytes`: `multiRow` with a vector for a value.
    @inline(__always)
    static func multiRowLanes<L: _Lanes>(_ raw: UnsafeRawPointer, _ size: Int, strideBytes: Int, _: L.Type) -> L {
        multiRow(size) { L.load(raw, $0 * strideBytes) }
    }

    /// `multiRowBatch` over four columns of rows `rowStride` apart, through one vector per
    /// row; false (and nothing done) for element types without one.
    static func multiRowVectorized4<T: _FloatElement>(
        _ p: UnsafePointer<T>, rows: Int, rowStride: Int, into result: UnsafeMutablePointer<T>
    ) -> Bool {
        func run<S: BinaryFloatingPoint & SIMDScalar>(_: S.Type) -> Bool {
            let sums = multiRowLanes(UnsafeRawPointer(p), rows, strideBytes: rowStride * MemoryLayout<S>.stride, SIMD4<S>.self)
            let rs = UnsafeMutableRawPointer(result).assumingMemoryBound(to: S.self)
            for j in 0..<4 { rs[j] = sums[j] }
            return true
        }
        if T.self == Float.self { return run(Float.self) }
        if T.self == Double.self { return run(Double.self) }
        return false
    }

    /// `rowBatch` over contiguous rows whose four-row steps fill one `L` exactly
    /// (`L.count == 4 * width`): lane `r * width + j` of step `i` is row `4i + r`, column `j`,
    /// which is stream `r`'s column `j` in `rowBatch`. The vector adds are the scalar streams'
    /// additions in the same order, so the sums are the same bits; the scalar form ran at a
    /// fifth of memory speed on a [1M, 2] bias gradient.
    @inline(__always)
    static func rowBatchContiguous<L: _Lanes>(
        _ p: UnsafePointer<L.Scalar>, rows: Int, into result: UnsafeMutablePointer<L.Scalar>, _: L.Type
    ) {
        let width = L.count / 4
        let size = rows / 4
        var partial = multiRowLanes(UnsafeRawPointer(p), size, strideBytes: L.count * MemoryLayout<L.Scalar>.stride, L.self)
        for row in (size * 4)..<rows {
            for j in 0..<width { partial[j] += p[row * width + j] }
        }
        for j in 0..<width {
            result[j] = ((partial[j] + partial[width + j]) + partial[2 * width + j]) + partial[3 * width + j]
        }
    }

    /// `rowBatch` over `rows` contiguous rows of `width` values through whole vectors, for the
    /// widths whose four rows make a vector type; false (and nothing done) for the others.
    static func rowBatchVectorized<T: _FloatElement>(
        _ p: UnsafePointer<T>, rows: Int, width: Int, into result: UnsafeMutablePointer<T>
    ) -> Bool {
        func run<S: BinaryFloatingPoint & SIMDScalar>(_: S.Type) -> Bool {
            let ps = UnsafeRawPointer(p).assumingMemoryBound(to: S.self)
            let rs = UnsafeMutableRawPointer(result).assumingMemoryBound(to: S.self)
            switch width {
            case 1: rowBatchContiguous(ps, rows: rows, into: rs, SIMD4<S>.self)
            case 2: rowBatchContiguous(ps, rows: rows, into: rs, SIMD8<S>.self)
            case 3: rowBatchContiguous(ps, rows: rows, into: rs, _LaneJoin<SIMD8<S>, SIMD4<S>>.self)
            case 4: rowBatchContiguous(ps, rows: rows, into: rs, SIMD16<S>.self)
            // Not SIMD32: its operations compile to element-by-element code, 70x slower than
            // two SIMD16s (measured on sums of 8M values).
            case 8: rowBatchContiguous(ps, rows: rows, into: rs, _LaneJoin<SIMD16<S>, SIMD16<S>>.self)
            default: return false
            }
            return true
        }
        if T.self == Float.self { return run(Float.self) }
        if T.self == Double.self { return run(Double.self) }
        return false
    }

    /// `vectorized_inner_sum` of a row of fewer than four vectors of `l` lanes, element `k`
    /// read through `load`. The four-stream row sum then has no multi-row steps, so each lane
    /// is a plain sum from zero of its column of vectors (its three empty streams add zeros,
    /// which change nothing here: a sum from +0.0 is never -0.0): the same additions as the
    /// general form without its machinery. Generic so that vector lanes can each run one row.
    @inline(__always)
    static func shortInner<V: _CascadeValue>(_ size: Int, lanes l: Int, _ load: (Int) -> V) -> V {
        let vectors = size / l
        var total = V.cascadeZero
        for k in (vectors * l)..<size { total += load(k) }
        for lane in 0..<l {
            var sum = V.cascadeZero
            for v in 0..<vectors { sum += load(v * l + lane) }
            total += sum
        }
        return total
    }

    /// `vectorized_inner_sum` for one contiguous row: lanes summed as `row_sum` over vectors,
    /// then the tail, then the lanes, in that order.
    @inline(__always)
    static func vectorizedInner<T: _FloatElement>(_ p: UnsafePointer<T>, _ size: Int) -> T {
        let l = lanes(T.self)
        let vectors = size / l
        if vectors < 4 { return shortInner(size, lanes: l) { p[$0] } }
        var laneSums = (T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0))
        withUnsafeMutableBytes(of: &laneSums) { raw in
            let sums = raw.baseAddress!.assumingMemoryBound(to: T.self)
            if !rowBatchVectorized(p, rows: vectors, width: l, into: sums) {
                rowBatch(vectors, width: l, into: sums) { p + $0 * l }
            }
        }
        var total: T = 0
        for k in (vectors * l)..<size { total += p[k] }
        withUnsafeBytes(of: &laneSums) { raw in
            let sums = raw.baseAddress!.assumingMemoryBound(to: T.self)
            for lane in 0..<l { total += sums[lane] }
        }
        return total
    }

    /// Sums `input` over the dimensions flagged in `reduced` into `out`, a contiguous tensor
    /// of the kept dimensions, following TensorIterator's dimension order and `cascade_sum`'s
    /// choice of loop.
    static func sum<T: _FloatElement>(_ input: Tensor, reduced: [Bool], into out: UnsafeMutablePointer<T>, _: T.Type) {
        // The common layouts, without the general dimension sorting below: a contiguous tensor
        // reduced over everything, or over its leading dimensions (a bias gradient).
        if input.isContiguous {
            let n = input.scalarCount
            let p = UnsafePointer(input.pointer(T.self))
            if !reduced.contains(false) {
                out.pointee = n >= lanes(T.self) ? vectorizedInner(p, n) : row(n) { p[$0] }
                return
            }
            // Every reduced dimension of size one: each output is one input, added to zero as
            // the cascade would (so -0.0 sums to 0.0, as in PyTorch). The general loop below
            // took this as millions of sums of one element (43 ms for [4M, 1].sum(dim: 1)).
            if (0..<input.rank).allSatisfy({ !reduced[$0] || input.shape[$0] == 1 }) {
                for i in 0..<n { out[i] = 0 + p[i] }
                return
            }
            if let lead = reduced.firstIndex(of: false), !reduced[lead...].contains(true), lead > 0 {
                var rows = 1
                for d in 0..<lead { rows *= input.shape[d] }
                let columns = n / Swift.max(rows, 1)
                out.initialize(repeating: 0, count: columns)
                if rows > 1 && columns > 1 {
                    loop2d(p, out, rows, columns, columns, 1, 0, 1)
                    return
                }
            }
        }
        // Output strides over the input's dims: zero on reduced dims.
        var outShape = input.shape
        for d in 0..<input.rank where reduced[d] { outShape[d] = 1 }
        var outStrides = Shape.contiguousStrides(outShape)
        for d in 0..<input.rank where reduced[d] { outStrides[d] = 0 }

        // TensorIterator's order (`reorder_dimensions`): an insertion sort from the last dim
        // to the first, reduced dims ahead of kept ones, then by each operand's stride where
        // neither is broadcast (stride 0), then the smaller size first; ambiguous pairs keep
        // their place. Dims of size one then coalesce away.
        let order = _iteratorOrder(input.shape, [outStrides, input.strides], reductionOutput: 0)
            .filter { input.shape[$0] != 1 }
        var sizes: [Int] = [], inS: [Int] = [], outS: [Int] = []
        for d in order {
            if let last = sizes.last,
               inS[inS.count - 1] * last == input.strides[d], outS[outS.count - 1] * last == outStrides[d] {
                sizes[sizes.count - 1] = last * input.shape[d]
                continue
            }
            sizes.append(input.shape[d])
            inS.append(input.strides[d])
            outS.append(outStrides[d])
        }
        let outCount = Shape.count(outShape)
        out.initialize(repeating: 0, count: outCount)
        if input.scalarCount == 0 { return }
        while sizes.count < 2 {
            sizes.append(1)
            inS.append(0)
            outS.append(0)
        }
        let base = input.pointer(T.self)
        let outer = Array(sizes.dropFirst(2))
        var index = [Int]._small(repeating: 0, count: outer.count)
        var inOffset = 0, outOffset = 0
        while true {
            loop2d(base + inOffset, out + outOffset, sizes[0], sizes[1], inS[0], inS[1], outS[0], outS[1])
            // The outer dims advance like an odometer, fastest first (they are in order).
            var d = 0
            while d < outer.count {
                index[d] += 1
                inOffset += inS[d + 2]
                outOffset += outS[d + 2]
                if index[d] < outer[d] { break }
                inOffset -= inS[d + 2] * outer[d]
                outOffset -= outS[d + 2] * outer[d]
                index[d] = 0
                d += 1
            }
            if d == outer.count { return }
        }
    }

    /// TensorIterator's `reorder_dimensions`: dimensions from innermost to outermost, for
    /// operands with these strides (the one at `reductionOutput` is a reduction's output,
    /// zero on reduced dims).
    static func _iteratorOrder(_ shape: [Int], _ strides: [[Int]], reductionOutput: Int?) -> [Int] {
        let rank = shape.count
        var perm = Array((0..<rank).reversed())
        func shouldSwap(_ d0: Int, _ d1: Int) -> Int {
            for (arg, st) in strides.enumerated() {
                let s0 = st[d0], s1 = st[d1]
                if arg == reductionOutput && (s0 == 0) != (s1 == 0) { return s1 == 0 ? 1 : -1 }
                if s0 == 0 || s1 == 0 { continue }
                if s0 < s1 { return -1 }
                if s0 > s1 { return 1 }
                if shape[d0] > shape[d1] { return 1 }
            }
            return 0
        }
        if rank > 1 {
            for i in 1..<rank {
                var d1 = i
                var d0 = i - 1
                while d0 >= 0 {
                    let c = shouldSwap(perm[d0], perm[d1])
                    if c > 0 {
                        perm.swapAt(d0, d1)
                        d1 = d0
                    } else if c < 0 {
                        break
                    }
                    d0 -= 1
                }
            }
        }
        return perm
    }

    /// Column sums in one pass over the rows: columns below `blocked` by multi-row sums, the
    /// rest by row sums, as PyTorch's outer-sum loops assign them; added into `out`.
    private static func columnSums<T: _FloatElement>(
        _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        rows: Int, columns: Int, rowStride: Int, outStride: Int, blocked: Int
    ) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: columns) { buffer in
            let sums = buffer.baseAddress!
            if blocked > 0 && !(blocked == 4 && multiRowVectorized4(input, rows: rows, rowStride: rowStride, into: sums)) {
                multiRowBatch(rows, width: blocked, into: sums) { acc, i in
                    let src = input + i * rowStride
                    for j in 0..<blocked { acc[j] += src[j] }
                }
            }
            let width = columns - blocked
            if width > 0 && width <= 4 && rows * width <= 1 << 14 {
                // A few narrow columns (a bias gradient): each column's `row_sum` is the same
                // sequence of additions as its stream in `rowBatch`, without the scratch
                // streams; small enough to stay in cache for the next column's pass.
                for j in blocked..<columns {
                    let column = input + j
                    sums[j] = row(rows) { column[$0 * rowStride] }
                }
            } else if width > 0 {
                if blocked > 0 || rowStride != width || !rowBatchVectorized(input, rows: rows, width: width, into: sums) {
                    rowBatch(rows, width: width, into: sums + blocked) { UnsafePointer(input + blocked + $0 * rowStride) }
                }
            }
            for j in 0..<columns { out[j * outStride] += sums[j] }
        }
    }

    /// One call of `cascade_sum`'s 2-D loop; results are added into `out`.
    private static func loop2d<T: _FloatElement>(
        _ input: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
        _ size0In: Int, _ size1In: Int, _ in0In: Int, _ in1In: Int, _ out0In: Int, _ out1In: Int
    ) {
        var size0 = size0In, size1 = size1In, in0 = in0In, in1 = in1In, out0 = out0In, out1 = out1In
        if out0 != 0 && out1 == 0 {
            swap(&size0, &size1); swap(&in0, &in1); swap(&out0, &out1)
        }
        if out0 != 0 && out1 != 0 {
            for j in 0..<size1 {
                for i in 0..<size0 { out[j * out1 + i * out0] += input[j * in1 + i * in0] }
            }
            return
        }
        let l = lanes(T.self)
        if in0 == 1 && size0 >= l {
            // Rows of fewer than four vectors: eight at a time in vector lanes, as below.
            let done = size0 < 4 * l ? shortRowsVectorized(input, out, size0, size1, in0, in1, out1, inner: true) : 0
            for j in done..<size1 { out[j * out1] += vectorizedInner(input + j * in1, size0) }
        } else if in1 == 1 && size1 >= l {
            // vectorized_outer_sum: contiguous columns, blocks of four vectors by multi-row sums.
            columnSums(input, out, rows: size0, columns: size1, rowStride: in0, outStride: out1, blocked: (size1 / (4 * l)) * 4 * l)
        } else if in0 < in1 {
            // Rows shorter than a vector (a sum over a few columns per row): eight rows at a
            // time, one per lane, each lane the same `row_sum` as the loop below.
            let done = size0 < l ? shortRowsVectorized(input, out, size0, size1, in0, in1, out1, inner: false) : 0
            for j in done..<size1 {
                let r = input + j * in1
                out[j * out1] += row(size0) { r[$0 * in0] }
            }
        } else if in1 == 1 {
            // scalar_outer_sum over a few contiguous columns: groups of four by multi-row sums.
            columnSums(input, out, rows: size0, columns: size1, rowStride: in0, outStride: out1, blocked: (size1 / 4) * 4)
        } else {
            let blocked = (size1 / 4) * 4
            for j in 0..<size1 {
                let column = input + j * in1
                out[j * out1] += j < blocked
                    ? multiRow(size0) { column[$0 * in0] }
                    : row(size0) { column[$0 * in0] }
            }
        }
    }
}

/// A block of independent accumulator lanes added a vector at a time.
protocol _Lanes: _CascadeValue {
    associatedtype Scalar: BinaryFloatingPoint
    static var count: Int { get }
    init()
    static func load(_ raw: UnsafeRawPointer, _ byteOffset: Int) -> Self
    subscript(index: Int) -> Scalar { get set }
}

extension SIMD4: _Lanes where Scalar: BinaryFloatingPoint {
    static var count: Int { 4 }
    @inline(__always) static func load(_ raw: UnsafeRawPointer, _ byteOffset: Int) -> Self {
        raw.loadUnaligned(fromByteOffset: byteOffset, as: Self.self)
    }
}

extension SIMD8: _Lanes where Scalar: BinaryFloatingPoint {
    static var count: Int { 8 }
    @inline(__always) static func load(_ raw: UnsafeRawPointer, _ byteOffset: Int) -> Self {
        raw.loadUnaligned(fromByteOffset: byteOffset, as: Self.self)
    }
}

extension SIMD16: _Lanes where Scalar: BinaryFloatingPoint {
    static var count: Int { 16 }
    @inline(__always) static func load(_ raw: UnsafeRawPointer, _ byteOffset: Int) -> Self {
        raw.loadUnaligned(fromByteOffset: byteOffset, as: Self.self)
    }
}

/// The lanes of `A` followed by those of `B`, as two vectors.
struct _LaneJoin<A: _Lanes, B: _Lanes>: _Lanes where A.Scalar == B.Scalar {
    typealias Scalar = A.Scalar
    var low = A(), high = B()
    static var count: Int { A.count + B.count }
    static var cascadeZero: Self { Self() }
    init() {}
    @inline(__always) static func += (a: inout Self, b: Self) {
        a.low += b.low
        a.high += b.high
    }
    @inline(__always) static func load(_ raw: UnsafeRawPointer, _ byteOffset: Int) -> Self {
        var r = Self()
        r.low = A.load(raw, byteOffset)
        r.high = B.load(raw, byteOffset + A.count * MemoryLayout<Scalar>.stride)
        return r
    }
    subscript(index: Int) -> Scalar {
        get { index < A.count ? low[index] : high[index - A.count] }
        set { if index < A.count { low[index] = newValue } else { high[index - A.count] = newValue } }
    }
}

/// What the cascade adds: one float, or a vector of floats whose lanes are independent sums.
protocol _CascadeValue {
    static var cascadeZero: Self { get }
    static func += (a: inout Self, b: Self)
}

extension Float: _CascadeValue {
    static var cascadeZero: Float { 0 }
}

extension Double: _CascadeValue {
    static var cascadeZero: Double { 0 }
}

extension SIMD4: _CascadeValue where Scalar: BinaryFloatingPoint {
    static var cascadeZero: Self { Self() }
}

extension SIMD8: _CascadeValue where Scalar: BinaryFloatingPoint {
    static var cascadeZero: Self { Self() }
}

extension SIMD16: _CascadeValue where Scalar: BinaryFloatingPoint {
    static var cascadeZero: Self { Self() }
}
