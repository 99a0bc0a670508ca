// Dense solvers, computed in float64 whatever the input dtype (results come back in the
// input's dtype): blocked Cholesky and LU on the float64 matrix-product kernel (linalg.c), and
// least squares by streaming Householder QR finished with column pivoting. They do not record
// gradients.

import CDescentKernels

extension Tensor {
    /// A matrix as float64 rows, for the solvers.
    private func _rowsDouble(_ op: String) -> (rows: Int, cols: Int, values: [Double]) {
        guard rank == 2 else { _fail("\(op): The input tensor A must have at least 2 dimensions.") }
        return (shape[0], shape[1], scalars(as: Double.self))
    }

    /// The lower-triangular `L` with `L L^T = self` for a symmetric positive-definite matrix,
    /// like `torch.linalg.cholesky`.
    ///
    /// ```swift
    /// let l = Tensor([[4, 2], [2, 3]], dtype: .float64).cholesky()
    /// ```
    public func cholesky() -> Tensor {
        let (n, m, values) = _rowsDouble("linalg.cholesky")
        guard n == m else { _fail("linalg.cholesky: A must be batches of square matrices, but they are \(n) by \(m) matrices") }
        var l = values
        // Blocked, its updates through the float64 matrix-product kernel (linalg.c).
        let failed = l.withUnsafeMutableBufferPointer { descent_dpotrf_lower(Int64(n), $0.baseAddress, Int64(n), Int32(Threads.count)) }
        if failed != 0 {
            _fail("linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order \(failed) is not positive-definite).")
        }
        return Tensor(shape: [n, n], scalars: l, dtype: dtype.isFloatingPoint ? dtype : .float32)
    }

    /// The solution `x` of `a x = b` for a square, invertible `a`, by LU with partial pivoting,
    /// like `torch.linalg.solve`. `b` may be a vector or a matrix of right-hand sides.
    ///
    /// ```swift
    /// let x = Tensor.solve(a, b)
    /// ```
    public static func solve(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, m, values) = a._rowsDouble("linalg.solve")
        guard n == m else { _fail("linalg.solve: A must be batches of square matrices, but they are \(n) by \(m) matrices") }
        let vector = b.rank == 1
        let rhs = vector ? b.reshape([b.shape[0], 1]) : b
        guard rhs.rank == 2, rhs.shape[0] == n else {
            _fail("linalg.solve: Incompatible shapes of A and B for the equation AX = B (\(n)x\(n) and \(b.shape.map(String.init).joined(separator: "x")))")
        }
        let k = rhs.shape[1]
        var lu = values
        var pivots = [Int64](repeating: 0, count: n)
        // Blocked LU (LAPACK's dgetrf), its trailing updates through the float64 matrix-product
        // kernel; then the two triangular solves.
        let singular = lu.withUnsafeMutableBufferPointer { f in
            pivots.withUnsafeMutableBufferPointer { descent_dgetrf(Int64(n), f.baseAddress, Int64(n), $0.baseAddress, Int32(Threads.count)) }
        }
        if singular != 0 { _fail("torch.linalg.solve: The solver failed because the input matrix is singular.") }
        var x = rhs.scalars(as: Double.self)
        lu.withUnsafeBufferPointer { f in
            pivots.withUnsafeBufferPointer { p in
                x.withUnsafeMutableBufferPointer { descent_dgetrs(Int64(n), f.baseAddress, Int64(n), p.baseAddress, $0.baseAddress, Int64(k)) }
            }
        }
        let out = Tensor(shape: [n, k], scalars: x, dtype: DType.promote(a.dtype, b.dtype).isFloatingPoint ? DType.promote(a.dtype, b.dtype) : .float32)
        return vector ? out.reshape([n]) : out
    }

    /// The least-squares solution `x` minimising `||a x - b||`, like
    /// `torch.linalg.lstsq(a, b).solution`, by Householder QR with column pivoting in float64.
    /// Columns that are numerically dependent (relative to `rcond`, machine precision times the
    /// larger dimension by default) get zero coefficients, the basic solution LAPACK's gelsy
    /// computes in the full-rank case.
    ///
    /// ```swift
    /// let coefficients = Tensor.lstsq(features, targets)   // [n, k]
    /// ```
    public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil) -> Tensor {
        _leastSquares(a, appendingOnes: false, b, rcond: rcond)
    }

    /// ``lstsq(_:_:rcond:)`` of `[a, 1]` (a column of ones after `a`'s, for an intercept) when
    /// `appendingOnes`, without building that matrix: a linear model's exact fit on a million
    /// rows would otherwise copy them all into float64 first.
    package static func _leastSquares(_ a: Tensor, appendingOnes: Bool, _ b: Tensor, rcond: Double? = nil) -> Tensor {
        guard a.rank == 2 else { _fail("linalg.lstsq: The input tensor A must have at least 2 dimensions.") }
        let m = a.shape[0], n = a.shape[1] + (appendingOnes ? 1 : 0)
        let vector = b.rank == 1
        let rhs = vector ? b.reshape([b.shape[0], 1]) : b
        guard rhs.rank == 2, rhs.shape[0] == m else {
            _fail("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
        }
        let k = rhs.shape[1], w = n + k
        // R of [A | B] by streaming Householder QR: its top-left n x n block is A's R, its
        // top-right n x k block Q^T B. The rows are read once, a block at a time, converted
        // to float64 as they go.
        let r = _streamingR(rows: m, width: w) { start, count, out in
            a._copyRowsAsDouble(start, count, into: out, stride: w)
            if appendingOnes { for i in 0..<count { out[i * w + n - 1] = 1 } }
            rhs._copyRowsAsDouble(start, count, into: out + n, stride: w)
        }
        var ra = [Double](repeating: 0, count: n * n), y = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<n { ra[i * n + j] = r[i * w + j] }
            for j in 0..<k { y[i * k + j] = r[i * w + n + j] }
        }
        let x = _pivotedLeastSquares(ra, n, y, k, rcond: rcond, largerDimension: Swift.max(m, n))
        let type = DType.promote(a.dtype, b.dtype)
        let out = Tensor(shape: [n, k], scalars: x, dtype: type.isFloatingPoint ? type : .float32)
        return vector ? out.reshape([n]) : out
    }

    /// The `width x width` triangular factor R of the `rows x width` matrix whose rows `fill`
    /// writes (`fill(start, count, buffer)` writes rows `start..<start + count`, row-major),
    /// folded in a few rows at a time (the block stays in the first-level cache while its
    /// reflections run). Rows split over threads, each thread's R folded into the first's.
    static func _streamingR(rows: Int, width w: Int, fill: (Int, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let blockRows = Swift.max(8, 4096 / Swift.max(w, 1))
        let parts = Threads.parts(work: rows * w * w, grain: 1 << 22)
        let factors = UnsafeMutablePointer<Double>.allocate(capacity: parts * w * w)
        factors.initialize(repeating: 0, count: parts * w * w)
        defer { factors.deallocate() }
        let shared = _UncheckedSendable(factors)
        withoutActuallyEscaping(fill) { fill in
            let fill = _UncheckedSendable(fill)
            Threads.run(parts) { t in
                let lo = rows * t / parts, hi = rows * (t + 1) / parts
                let block = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * w)
                defer { block.deallocate() }
                var start = lo
                while start < hi {
                    let count = Swift.min(blockRows, hi - start)
                    fill.value(start, count, block)
                    descent_qr_absorb(shared.value + t * w * w, Int64(w), block, Int64(count))
                    start += count
                }
            }
        }
        for t in 1..<Swift.max(parts, 1) {
            descent_qr_absorb(factors, Int64(w), factors + t * w * w, Int64(w))
        }
        return Array(UnsafeBufferPointer(start: factors, count: w * w))
    }

    /// Rows `start..<start + count` of this matrix (any dtype and strides) as float64, row `i`
    /// at `out + i * stride`.
    func _copyRowsAsDouble(_ start: Int, _ count: Int, into out: UnsafeMutablePointer<Double>, stride: Int) {
        let cols = shape[1], rs = strides[0], cs = strides[1]
        func copy<T>(_: T.Type, _ convert: (T) -> Double) {
            let base = pointer(T.self) + start * rs
            for i in 0..<count {
                let row = base + i * rs, dst = out + i * stride
                if cs == 1 {
                    for j in 0..<cols { dst[j] = convert(row[j]) }
                } else {
                    for j in 0..<cols { dst[j] = convert(row[j * cs]) }
                }
            }
        }
        switch dtype {
        case .float32: copy(Float.self) { Double($0) }
        case .float64: copy(Double.self) { $0 }
        case .int64: copy(Int64.self) { Double($0) }
        case .bool: copy(Bool.self) { $0 ? 1 : 0 }
        }
    }

    /// The basic least-squares solution from a square upper-triangular `r` (n x n) and
    /// `y = Q^T b` (n x k), by Householder QR with column pivoting of `r`: columns numerically
    /// dependent (relative to `rcond`, machine precision times the larger dimension of the
    /// original problem by default) get zero coefficients, as LAPACK's gelsy gives them.
    static func _pivotedLeastSquares(_ values: [Double], _ n: Int, _ rhs: [Double], _ k: Int, rcond: Double?,
                                     largerDimension: Int) -> [Double] {
        let m = n
        var r = values, y = rhs
        var permutation = Array(0..<n)
        var norms = (0..<n).map { c in (0..<m).reduce(0.0) { $0 + r[$1 * n + c] * r[$1 * n + c] } }
        var diagonal = [Double](repeating: 0, count: n)
        for j in 0..<n {
            // Pivot: the remaining column with the largest norm.
            var best = j
            for c in (j + 1)..<Swift.max(n, j + 1) where norms[c] > norms[best] { best = c }
            if best != j {
                for i in 0..<m { r.swapAt(i * n + j, i * n + best) }
                norms.swapAt(j, best)
                permutation.swapAt(j, best)
            }
            // Householder reflector for column j below the diagonal.
            var alpha = 0.0
            for i in j..<m { alpha += r[i * n + j] * r[i * n + j] }
            alpha = alpha.squareRoot()
            if r[j * n + j] > 0 { alpha = -alpha }
            diagonal[j] = alpha
            if alpha == 0 { continue }
            r[j * n + j] -= alpha
            var vnorm = 0.0
            for i in j..<m { vnorm += r[i * n + j] * r[i * n + j] }
            if vnorm == 0 { continue }
            for c in (j + 1)..<Swift.max(n, j + 1) {
                var dot = 0.0
                for i in j..<m { dot += r[i * n + j] * r[i * n + c] }
                let f = 2 * dot / vnorm
                for i in j..<m { r[i * n + c] -= f * r[i * n + j] }
                norms[c] = 0
                for i in (j + 1)..<m { norms[c] += r[i * n + c] * r[i * n + c] }
            }
            for c in 0..<k {
                var dot = 0.0
                for i in j..<m { dot += r[i * n + j] * y[i * k + c] }
                let f = 2 * dot / vnorm
                for i in j..<m { y[i * k + c] -= f * r[i * n + j] }
            }
        }
        // Rank from the diagonal of R, then back substitution on the leading block.
        let tolerance = (rcond ?? Double.ulpOfOne * Double(largerDimension)) * Swift.abs(diagonal.first ?? 0)
        var rankR = 0
        while rankR < n && Swift.abs(diagonal[rankR]) > tolerance { rankR += 1 }
        var x = [Double](repeating: 0, count: n * k)
        for c in 0..<k {
            var z = [Double](repeating: 0, count: rankR)
            for j in stride(from: rankR - 1, through: 0, by: -1) {
                var s = y[j * k + c]
                for t in (j + 1)..<Swift.max(rankR, j + 1) { s -= r[j * n + t] * z[t] }
                z[j] = s / diagonal[j]
            }
            for j in 0..<rankR { x[permutation[j] * k + c] = z[j] }
        }
        return x
    }
}
