import RealModule

// Matrix functions and decompositions over the last two dimensions (batched over the rest):
// inverse, det, slogdet, matrixPower, matrixExp, qr, eigh, svd, pinverse. Factorisations run in
// float64 and return the input's float dtype; gradients are PyTorch's formulas (FunctionsManual)
// written with tensor ops, so they are differentiable again.

extension Tensor {
    /// The matrices of the last two dimensions as float64 arrays, with the batch shape.
    func _matrixBatch(_ op: String, square: Bool = true) -> (batch: [Int], rows: Int, cols: Int, matrices: [[Double]]) {
        if rank < 2 { _fail("\(op): The input tensor A must have at least 2 dimensions.") }
        let (n, m) = (shape[rank - 2], shape[rank - 1])
        if square && n != m { _fail("\(op): A must be batches of square matrices, but they are \(n) by \(m) matrices") }
        if !dtype.isFloatingPoint { _fail("\(op): Expected a floating point or complex tensor as input. Got \(dtype.cppName)") }
        let values = noGrad { to(.float64).contiguous() }.scalars(as: Double.self)
        let size = n * m
        let count = size == 0 ? 0 : values.count / size
        return (Array(shape.dropLast(2)), n, m, (0..<count).map { Array(values[($0 * size)..<(($0 + 1) * size)]) })
    }

    /// The results of a float64 loop over the matrices: inside a compiled step a unit of the
    /// plan, run again on every replay (the loop reads the values into Swift arrays, which no
    /// recorded kernel would read again).
    func _matrixValues(_ compute: @escaping (Tensor) -> [Tensor]) -> [Tensor] {
        _CaptureTape.opaque([self]) { t in noGrad { compute(t[0]!) } }
    }

    /// A tensor of `shape` from float64 values, in `dtype`.
    static func _fromDoubles(_ values: [Double], _ shape: [Int], _ dtype: DType) -> Tensor {
        let t = Tensor(shape: shape, scalars: values, dtype: .float64)
        return dtype == .float64 ? t : t.to(dtype)
    }

    /// This fresh result with each matrix laid out column by column, as LAPACK writes it and
    /// ATen's `linalg` functions hand it out (batch after batch, each matrix column-major):
    /// the values are the same, but a later reduction adds them in that memory order.
    func _columnMajor() -> Tensor {
        guard rank >= 2 else { return self }
        var strides = Shape.contiguousStrides(shape)
        strides[rank - 2] = 1
        strides[rank - 1] = shape[rank - 2]
        let out = Tensor(freshShape: shape, denseStrides: strides, dtype: dtype)
        CopyKernel.copy(self, into: out)
        return out
    }

    /// The transpose of the last two dimensions (`x.mT`).
    public var mT: Tensor { transpose(-2, -1) }

    /// LU with partial pivoting of an n×n matrix in place; the sign of the permutation, or nil
    /// when a pivot is exactly zero.
    private static func _lu(_ a: inout [Double], _ n: Int, _ permutation: inout [Int]) -> Double? {
        var sign = 1.0
        permutation = Array(0..<n)
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<Swift.max(n, col + 1) where Swift.abs(a[r * n + col]) > Swift.abs(a[pivot * n + col]) { pivot = r }
            if a[pivot * n + col] == 0 { return nil }
            if pivot != col {
                for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
                permutation.swapAt(col, pivot)
                sign = -sign
            }
            for r in (col + 1)..<Swift.max(n, col + 1) {
                let f = a[r * n + col] / a[col * n + col]
                a[r * n + col] = f
                if f == 0 { continue }
                for c in (col + 1)..<n { a[r * n + c] -= f * a[col * n + c] }
            }
        }
        return sign
    }

    /// The inverse of each square matrix (`LinalgInvExBackward0`), like `torch.linalg.inv`.
    ///
    /// ```swift
    /// let aInv = a.inverse()
    /// ```
    public func inverse() -> Tensor {
        let result = _matrixValues { source in
            let (batch, n, _, matrices) = source._matrixBatch("linalg.inv")
            var out: [Double] = []
            for var a in matrices {
                var perm: [Int] = []
                guard Tensor._lu(&a, n, &perm) != nil else {
                    _fail("linalg.inv: The diagonal element \(n) is zero, the inversion could not be completed because the input matrix is singular.")
                }
                var inv = [Double](repeating: 0, count: n * n)
                for c in 0..<n {
                    // Solve L U x = P e_c.
                    var x = (0..<n).map { perm[$0] == c ? 1.0 : 0.0 }
                    for i in 0..<n { for j in 0..<i { x[i] -= a[i * n + j] * x[j] } }
                    for i in stride(from: n - 1, through: 0, by: -1) {
                        for j in (i + 1)..<Swift.max(n, i + 1) { x[i] -= a[i * n + j] * x[j] }
                        x[i] /= a[i * n + i]
                    }
                    for i in 0..<n { inv[i * n + c] = x[i] }
                }
                out += inv
            }
            return [Tensor._fromDoubles(out, batch + [n, n], source.dtype)._columnMajor()]
        }[0]
        return result._recorded("LinalgInvExBackward0", self, savingOutput: true) { g, node in
            let t = node.savedTensor(0).mT
            return (-(t.matmul(g).matmul(t)), nil)
        }
    }

    /// The determinant of each square matrix (`LinalgDetBackward0`), like `torch.linalg.det`.
    public func det() -> Tensor {
        let result = _matrixValues { source in
            let (batch, n, _, matrices) = source._matrixBatch("linalg.det")
            let values = matrices.map { m -> Double in
                var a = m
                var perm: [Int] = []
                guard let sign = Tensor._lu(&a, n, &perm) else { return 0 }
                return (0..<n).reduce(sign) { $0 * a[$1 * n + $1] }
            }
            return [Tensor._fromDoubles(values, batch, source.dtype)]
        }[0]
        return result._recorded("LinalgDetBackward0", self, saving: self, savingOutput: true) { g, node in
            let a = node.savedTensor(0), d = node.savedTensor(1)
            return ((g * d).unsqueeze(-1).unsqueeze(-1) * a.inverse().mT, nil)
        }
    }

    /// The sign and the log of the absolute value of each determinant
    /// (`LinalgSlogdetBackward0`), like `torch.linalg.slogdet`.
    public func slogdet() -> (sign: Tensor, logabsdet: Tensor) {
        let parts = _matrixValues { source in
            let (batch, n, _, matrices) = source._matrixBatch("linalg.slogdet")
            var signs: [Double] = [], logs: [Double] = []
            for m in matrices {
                var a = m
                var perm: [Int] = []
                guard var sign = Tensor._lu(&a, n, &perm) else {
                    signs.append(0)
                    logs.append(-.infinity)
                    continue
                }
                var log = 0.0
                for i in 0..<n {
                    let v = a[i * n + i]
                    if v < 0 { sign = -sign }
                    log += Double.log(Swift.abs(v))
                }
                signs.append(sign)
                logs.append(log)
            }
            return [Tensor._fromDoubles(signs, batch, source.dtype), Tensor._fromDoubles(logs, batch, source.dtype)]
        }
        let logabs = parts[1]._recorded("LinalgSlogdetBackward0", self, saving: self) { g, node in
            (g.unsqueeze(-1).unsqueeze(-1) * node.savedTensor(0).inverse().mT, nil)
        }
        return (parts[0], logabs)
    }

    /// The `n`-th power of each square matrix by repeated squaring; negative powers invert
    /// first, like `torch.linalg.matrix_power`.
    public func matrixPower(_ n: Int) -> Tensor {
        if rank < 2 || shape[rank - 1] != shape[rank - 2] { _fail("linalg.matrix_power: A must be batches of square matrices") }
        if n == 0 {
            let size = shape[rank - 1]
            return Tensor.eye(size, dtype: dtype).expand(shape).contiguous()
        }
        var base = n < 0 ? inverse() : self
        var k = Swift.abs(n)
        var result: Tensor? = nil
        while k > 0 {
            if k & 1 == 1 { result = result.map { $0.matmul(base) } ?? base }
            k >>= 1
            if k > 0 { base = base.matmul(base) }
        }
        return result!
    }

    /// The matrix exponential of each square matrix (`LinalgMatrixExpBackward0`), like
    /// `torch.linalg.matrix_exp`: scaling and squaring over a degree-18 Taylor polynomial in float64.
    public func matrixExp() -> Tensor {
        let result = _matrixValues { source in
            let (batch, n, _, matrices) = source._matrixBatch("linalg.matrix_exp")
            var out: [Double] = []
            for a in matrices { out += Tensor._expm(a, n) }
            return [Tensor._fromDoubles(out, batch + [n, n], source.dtype)]
        }[0]
        return result._recorded("LinalgMatrixExpBackward0", self, saving: self) { g, node in
            // The Fréchet derivative in the direction g of exp at A^T: the upper right block of
            // exp([[A^T, g], [0, A^T]]).
            let at = node.savedTensor(0).mT
            let zeros = Tensor.zeros(like: g)
            let big = Tensor.cat([Tensor.cat([at, g], dim: -1), Tensor.cat([zeros, at], dim: -1)], dim: -2)
            let size = at.shape[at.rank - 1]
            return (big.matrixExp().narrow(-2, 0, size).narrow(-1, size, size), nil)
        }
    }

    private static func _expm(_ a: [Double], _ n: Int) -> [Double] {
        if n == 0 { return [] }
        func mul(_ x: [Double], _ y: [Double]) -> [Double] {
            var z = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for k in 0..<n { let v = x[i * n + k]; if v == 0 { continue }; for j in 0..<n { z[i * n + j] += v * y[k * n + j] } } }
            return z
        }
        var norm = 0.0
        for i in 0..<n { norm = Swift.max(norm, (0..<n).reduce(0.0) { $0 + Swift.abs(a[i * n + $1]) }) }
        var squarings = 0
        if norm > 0.5 { squarings = Swift.max(0, Int(Double.log2(norm / 0.5).rounded(.up))) }
        let scale = Double.pow(2, -Double(squarings))
        let x = a.map { $0 * scale }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n { result[i * n + i] = 1 }
        var term = result
        for k in 1...18 {
            term = mul(term, x).map { $0 / Double(k) }
            for i in 0..<(n * n) { result[i] += term[i] }
        }
        for _ in 0..<squarings { result = mul(result, result) }
        return result
    }

    /// The reduced QR decomposition `A = Q R` of each matrix by Householder reflections, signs
    /// as LAPACK's `geqrf` gives them (`LinalgQrBackward0`), like `torch.linalg.qr`.
    ///
    /// ```swift
    /// let (q, r) = a.qr()
    /// ```
    public func qr() -> (Q: Tensor, R: Tensor) {
        let qr = _matrixValues { source in
            let (batch, m, n, matrices) = source._matrixBatch("linalg.qr", square: false)
            let k = Swift.min(m, n)
            var qs: [Double] = [], rs: [Double] = []
            for a in matrices {
                var r = a
                var reflectors: [[Double]] = []
                for j in 0..<k {
                    var below = 0.0
                    for i in (j + 1)..<Swift.max(m, j + 1) { below += r[i * n + j] * r[i * n + j] }
                    let norm = (below + r[j * n + j] * r[j * n + j]).squareRoot()
                    var v = [Double](repeating: 0, count: m)
                    // Nothing below the diagonal: LAPACK's dlarfg takes H = I (no sign change).
                    if below == 0 { reflectors.append(v); continue }
                    let alpha = r[j * n + j] > 0 ? -norm : norm
                    for i in j..<m { v[i] = r[i * n + j] }
                    v[j] -= alpha
                    let vnorm = (j..<m).reduce(0.0) { $0 + v[$1] * v[$1] }
                    if vnorm == 0 { reflectors.append([Double](repeating: 0, count: m)); continue }
                    for c in j..<n {
                        let dot = (j..<m).reduce(0.0) { $0 + v[$1] * r[$1 * n + c] }
                        let f = 2 * dot / vnorm
                        for i in j..<m { r[i * n + c] -= f * v[i] }
                    }
                    reflectors.append(v.map { $0 / vnorm.squareRoot() })
                }
                // Q: the reflectors applied to the first k columns of the identity.
                var q = [Double](repeating: 0, count: m * k)
                for i in 0..<k { q[i * k + i] = 1 }
                for j in stride(from: k - 1, through: 0, by: -1) {
                    let v = reflectors[j]
                    for c in 0..<k {
                        let dot = (j..<m).reduce(0.0) { $0 + v[$1] * q[$1 * k + c] }
                        for i in j..<m { q[i * k + c] -= 2 * dot * v[i] }
                    }
                }
                qs += q
                for i in 0..<k { for c in 0..<n { rs.append(c >= i ? r[i * n + c] : 0) } }
            }
            return [Tensor._fromDoubles(qs, batch + [m, k], source.dtype)._columnMajor(),
                    Tensor._fromDoubles(rs, batch + [k, n], source.dtype)._columnMajor()]
        }
        let (q, r) = (qr[0], qr[1])
        // PyTorch records one node for both outputs; here each output has its own node under
        // that name, and since the gradient is linear in (gQ, gR) the engine's sum of the two
        // parts is the same gradient.
        let out = Tensor._recordedOutputs("LinalgQrBackward0", [q, r], inputs: [self], saving: []) { k, g, node in
            [Tensor._qrBackward(gQ: k == 0 ? g : nil, gR: k == 1 ? g : nil, q: node.savedTensor(0), r: node.savedTensor(1))]
        }
        return (out[0], out[1])
    }

    /// PyTorch's `linalg_qr_backward` for the reduced decomposition with m >= n: with
    /// M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^{-T}. The gradients of Q and R arrive
    /// through two nodes; the map is linear in (gQ, gR), so each part is computed on its own
    /// and the engine adds them.
    static func _qrBackward(gQ: Tensor?, gR: Tensor?, q: Tensor, r: Tensor) -> Tensor {
        let m = q.shape[q.rank - 2], n = r.shape[r.rank - 1]
        if m < n { _fail("The derivative of linalg.qr is not implemented when mode='reduced' and nrows < ncols") }
        var mMatrix: Tensor
        if let gR { mMatrix = r.matmul(gR.mT) } else { mMatrix = -(gQ!.mT.matmul(q)) }
        // copyltu: the lower triangle mirrored, the diagonal kept.
        let lower = mMatrix.tril(-1)
        let sym = lower + lower.mT + mMatrix.diagonal(offset: 0, dim1: -2, dim2: -1).diagEmbed()
        var b = q.matmul(sym)
        if let gQ { b = b + gQ }
        // b R^{-T}: solve against the triangular R through its inverse.
        return b.matmul(r.inverse().mT)
    }

    /// Eigenvalues in ascending order and orthonormal eigenvectors (columns) of each symmetric
    /// matrix, by cyclic Jacobi rotations in float64 (`LinalgEighBackward0`), like
    /// `torch.linalg.eigh`; only the lower triangle is read, as with `UPLO="L"`. Each
    /// eigenvector's sign is chosen so its largest component is positive (LAPACK's choice may
    /// differ; functions that do not depend on the signs agree).
    public func eigh() -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let eigen = _matrixValues { source in
            let (batch, n, _, matrices) = source._matrixBatch("linalg.eigh")
            var values: [Double] = [], vectors: [Double] = []
            for m in matrices {
                var a = m
                for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { a[i * n + j] = a[j * n + i] } }
                let (l, v) = Tensor._jacobiEigen(a, n)
                values += l
                vectors += v
            }
            return [Tensor._fromDoubles(values, batch + [n], source.dtype), Tensor._fromDoubles(vectors, batch + [n, n], source.dtype)]
        }
        let (lOut, vOut) = (eigen[0], eigen[1])
        let out = Tensor._recordedOutputs("LinalgEighBackward0", [lOut, vOut], inputs: [self], saving: []) { k, g, node in
            let l = node.savedTensor(0), v = node.savedTensor(1)
            if k == 0 { return [v.matmul(g.diagEmbed()).matmul(v.mT)] }
            // V ((V^T gV) / E) V^T with E_ij = λ_j - λ_i off the diagonal (PyTorch's
            // linalg_eig_backward for Hermitian input; the diagonal of V^T gV does not matter).
            let e = l.unsqueeze(-2) - l.unsqueeze(-1)
            let size = l.shape.last ?? 0
            let eye = Tensor.eye(size, dtype: g.dtype)
            let safe = e + eye
            let inner = (v.mT.matmul(g) / safe) * (1 - eye)
            return [v.matmul(inner).matmul(v.mT)]
        }
        return (out[0], out[1])
    }

    /// Cyclic Jacobi eigen-decomposition of a symmetric n×n matrix: ascending eigenvalues and
    /// the eigenvectors as columns (row-major n×n).
    static func _jacobiEigen(_ input: [Double], _ n: Int) -> ([Double], [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i * n + j] * a[i * n + j] } }
            if off < 1e-30 * Swift.max(1, (0..<n).reduce(0.0) { $0 + a[$1 * n + $1] * a[$1 * n + $1] }) { break }
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(n, p + 1) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        let values = order.map { a[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (newColumn, old) in order.enumerated() {
            var column = (0..<n).map { v[$0 * n + old] }
            if let big = column.indices.max(by: { Swift.abs(column[$0]) < Swift.abs(column[$1]) }), column[big] < 0 {
                column = column.map { -$0 }
            }
            for k in 0..<n { vectors[k * n + newColumn] = column[k] }
        }
        return (values, vectors)
    }

    /// The reduced singular value decomposition `A = U diag(S) Vh` of each matrix, singular
    /// values descending (`LinalgSvdBackward0`), like `torch.linalg.svd(A, full_matrices=False)`;
    /// signs are chosen as for ``eigh()``.
    public func svd() -> (U: Tensor, S: Tensor, Vh: Tensor) {
        let factors = _matrixValues { source in
            let (batch, m, n, matrices) = source._matrixBatch("linalg.svd", square: false)
            let k = Swift.min(m, n)
            var us: [Double] = [], ss: [Double] = [], vhs: [Double] = []
            for a in matrices {
                // Eigenvectors of the smaller Gram matrix give V (or U); the other factor follows.
                let wide = m < n
                let (rows, cols) = wide ? (n, m) : (m, n)
                let at: [Double] = wide ? (0..<(n * m)).map { idx in a[(idx % m) * n + idx / m] } : a
                var gram = [Double](repeating: 0, count: cols * cols)
                for i in 0..<cols { for j in 0..<cols { gram[i * cols + j] = (0..<rows).reduce(0.0) { $0 + at[$1 * cols + i] * at[$1 * cols + j] } } }
                let (values, vectors) = Tensor._jacobiEigen(gram, cols)
                let order = Array((0..<cols).reversed())
                var s = [Double](), v = [Double](repeating: 0, count: cols * k), u = [Double](repeating: 0, count: rows * k)
                for (c, idx) in order.prefix(k).enumerated() {
                    let sigma = Swift.max(values[idx], 0).squareRoot()
                    s.append(sigma)
                    for i in 0..<cols { v[i * k + c] = vectors[i * cols + idx] }
                    for i in 0..<rows {
                        let dot = (0..<cols).reduce(0.0) { $0 + at[i * cols + $1] * vectors[$1 * cols + idx] }
                        u[i * k + c] = sigma > 0 ? dot / sigma : 0
                    }
                }
                if wide { swap(&u, &v) }
                us += u
                ss += s
                // Vh = V^T (V is n×k either way).
                let vRows = n
                var vh = [Double](repeating: 0, count: k * vRows)
                for i in 0..<vRows { for c in 0..<k { vh[c * vRows + i] = v[i * k + c] } }
                vhs += vh
            }
            return [Tensor._fromDoubles(us, batch + [m, k], source.dtype), Tensor._fromDoubles(ss, batch + [k], source.dtype),
                    Tensor._fromDoubles(vhs, batch + [k, n], source.dtype)]
        }
        let (uOut, sOut, vhOut) = (factors[0], factors[1], factors[2])
        let out = Tensor._recordedOutputs("LinalgSvdBackward0", [uOut, sOut, vhOut], inputs: [self], saving: []) { k, g, node in
            [Tensor._svdBackward(gU: k == 0 ? g : nil, gS: k == 1 ? g : nil, gVh: k == 2 ? g : nil,
                                 u: node.savedTensor(0), s: node.savedTensor(1), vh: node.savedTensor(2))]
        }
        return (out[0], out[1], out[2])
    }

    /// The gradient of the reduced SVD (PyTorch's `svd_backward`, real case), linear in each of
    /// gU, gS, gVh, so each output's part is computed on its own.
    static func _svdBackward(gU: Tensor?, gS: Tensor?, gVh: Tensor?, u: Tensor, s: Tensor, vh: Tensor) -> Tensor {
        let m = u.shape[u.rank - 2], n = vh.shape[vh.rank - 1], k = s.shape.last ?? 0
        let v = vh.mT
        if let gS { return u.matmul(gS.diagEmbed()).matmul(vh) }
        let eye = Tensor.eye(k, dtype: s.dtype)
        let s2 = s * s
        let e = s2.unsqueeze(-2) - s2.unsqueeze(-1)   // E_ij = s_j^2 - s_i^2
        let f = (1 - eye) / (e + eye)
        let sDiag = s.diagEmbed()
        let sInv = s.reciprocal().diagEmbed()
        if let gU {
            let j = f * (u.mT.matmul(gU) - gU.mT.matmul(u))
            var gA = u.matmul(j.matmul(sDiag)).matmul(vh)
            if m > k {
                let projector = Tensor.eye(m, dtype: s.dtype) - u.matmul(u.mT)
                gA = gA + projector.matmul(gU).matmul(sInv).matmul(vh)
            }
            return gA
        }
        let gV = gVh!.mT
        let kk = f * (v.mT.matmul(gV) - gV.mT.matmul(v))
        var gA = u.matmul(sDiag.matmul(kk)).matmul(vh)
        if n > k {
            let projector = Tensor.eye(n, dtype: s.dtype) - v.matmul(vh)
            gA = gA + u.matmul(sInv).matmul(gV.mT).matmul(projector)
        }
        return gA
    }

    /// The Moore-Penrose pseudo-inverse through the SVD, singular values below
    /// `rtol · max(S)` treated as zero, like `torch.linalg.pinv`.
    public func pinverse(rtol: Double? = nil) -> Tensor {
        let out = noGrad { _pinverse(rtol: rtol) }
        return out._recorded("LinalgPinvBackward0", self, saving: self) { g, node in
            (Tensor._recomputedGradient(node.savedTensor(0), g) { $0._pinverse(rtol: rtol) }, nil)
        }
    }

    /// The gradient of `f` at `x` for `g`: ``_recomputedGradients(_:_:_:)`` of one input.
    static func _recomputedGradient(_ x: Tensor, _ g: Tensor, _ f: (Tensor) -> Tensor) -> Tensor {
        _recomputedGradients([x], g) { f($0[0]) }[0]!
    }

    /// Gradients of `f` at `inputs` for `g`, by recording `f` again from the inputs and
    /// differentiating it (with a graph when the backward pass is itself recorded).
    static func _recomputedGradients(_ inputs: [Tensor], _ g: Tensor, _ f: ([Tensor]) -> Tensor) -> [Tensor?] {
        let recording = GradMode.isEnabled
        return enableGrad {
            // Inputs that are not part of the recorded graph become leaves of their own: their
            // gradients are computed and then dropped by the caller.
            let leaves = inputs.map { recording && $0.requiresGrad ? $0 : $0.detach().requiresGrad(true) }
            let y = f(leaves)
            return Descent.grad(outputs: [y], inputs: leaves, gradOutputs: [g], createGraph: recording, allowUnused: true, materializeGrads: true)
        }
    }

    private func _pinverse(rtol: Double?) -> Tensor {
        let (u, s, vh) = svd()
        let m = shape[rank - 2], n = shape[rank - 1]
        let tolerance = (rtol ?? Double.ulpOfOne * Double(Swift.max(m, n)))
        let cutoff = s.amax(dims: [-1], keepDim: true) * tolerance
        let sInv = Tensor.where(s .> cutoff, s.reciprocal(), Tensor.zeros([], dtype: s.dtype))
        return vh.mT.matmul(sInv.unsqueeze(-1) * u.mT)
    }
}
