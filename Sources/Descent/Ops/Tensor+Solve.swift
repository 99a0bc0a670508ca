// Dense solvers, computed in float64 whatever the input dtype (results come back in the
// input's dtype): Cholesky, LU solve, and least squares by Householder QR with column pivoting.
// They do not record gradients.

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
        let (n, m, a) = _rowsDouble("linalg.cholesky")
        guard n == m else { _fail("linalg.cholesky: A must be batches of square matrices, but they are \(n) by \(m) matrices") }
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            guard d > 0 else {
                _fail("linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order \(j + 1) is not positive-definite).")
            }
            let djj = d.squareRoot()
            l[j * n + j] = djj
            for i in (j + 1)..<Swift.max(n, j + 1) {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / djj
            }
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
        var x = rhs.scalars(as: Double.self)
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<Swift.max(n, col + 1) where Swift.abs(lu[r * n + col]) > Swift.abs(lu[pivot * n + col]) { pivot = r }
            guard lu[pivot * n + col] != 0 else {
                _fail("torch.linalg.solve: The solver failed because the input matrix is singular.")
            }
            if pivot != col {
                for c in 0..<n { lu.swapAt(col * n + c, pivot * n + c) }
                for c in 0..<k { x.swapAt(col * k + c, pivot * k + c) }
            }
            for r in (col + 1)..<Swift.max(n, col + 1) {
                let f = lu[r * n + col] / lu[col * n + col]
                if f == 0 { continue }
                for c in col..<n { lu[r * n + c] -= f * lu[col * n + c] }
                for c in 0..<k { x[r * k + c] -= f * x[col * k + c] }
            }
        }
        for col in stride(from: n - 1, through: 0, by: -1) {
            for c in 0..<k {
                var s = x[col * k + c]
                for j in (col + 1)..<Swift.max(n, col + 1) { s -= lu[col * n + j] * x[j * k + c] }
                x[col * k + c] = s / lu[col * n + col]
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
        let (m, n, values) = a._rowsDouble("linalg.lstsq")
        let vector = b.rank == 1
        let rhs = vector ? b.reshape([b.shape[0], 1]) : b
        guard rhs.rank == 2, rhs.shape[0] == m else {
            _fail("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
        }
        let k = rhs.shape[1]
        var r = values                       // m x n, overwritten by R and the reflectors
        var y = rhs.scalars(as: Double.self) // m x k, becomes Q^T b
        var permutation = Array(0..<n)
        var norms = (0..<n).map { c in (0..<m).reduce(0.0) { $0 + r[$1 * n + c] * r[$1 * n + c] } }
        let steps = Swift.min(m, n)
        var diagonal = [Double](repeating: 0, count: steps)
        for j in 0..<steps {
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
        let tolerance = (rcond ?? Double.ulpOfOne * Double(Swift.max(m, n))) * Swift.abs(diagonal.first ?? 0)
        var rankR = 0
        while rankR < steps && Swift.abs(diagonal[rankR]) > tolerance { rankR += 1 }
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
        let type = DType.promote(a.dtype, b.dtype)
        let out = Tensor(shape: [n, k], scalars: x, dtype: type.isFloatingPoint ? type : .float32)
        return vector ? out.reshape([n]) : out
    }
}
