// Matrix products: mm, mv, dot, bmm and matmul with PyTorch's 1-D/2-D/batched rules.

extension Tensor {
    private static func _checkSameDType(_ a: Tensor, _ b: Tensor) {
        if a.dtype != b.dtype {
            _fail("expected m1 and m2 to have the same dtype, but got: \(a.dtype._cName) != \(b.dtype._cName)")
        }
    }

    /// The product of two matrices (`MmBackward0`), like `torch.mm`.
    ///
    /// ```swift
    /// let y = x.mm(w.t())   // [5, 3] x [3, 2] -> [5, 2]
    /// ```
    public func mm(_ other: Tensor) -> Tensor {
        if rank != 2 { _fail("mm: self must be a matrix, got \(rank)-D tensor") }
        if other.rank != 2 { _fail("mm: mat2 must be a matrix, got \(other.rank)-D tensor") }
        if shape[1] != other.shape[0] {
            _fail("mm: mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))")
        }
        Tensor._checkSameDType(self, other)
        let out = MatmulKernel.batched(self, other, batch: 0, m: shape[0], k: shape[1], n: other.shape[1])
        return out._recorded("MmBackward0", self, other, saving: self, other) { g, node in
            // The transposes are read through strides; no view tensors are made.
            (node.needsInputGrad(0) ? Tensor._mmGrad(g, node.savedTensor(1), transposeB: true) : nil,
             node.needsInputGrad(1) ? Tensor._mmGrad(node.savedTensor(0), g, transposeA: true) : nil)
        }
    }

    /// `_mm` for a gradient: when the backward pass is recorded (`createGraph`), the
    /// differentiable `mm` of transposed views instead.
    static func _mmGrad(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        if GradMode.isEnabled && (a._requiresGradForRecording || b._requiresGradForRecording) {
            return (transposeA ? a.t() : a).mm(transposeB ? b.t() : b)
        }
        return _mm(a, b, transposeA: transposeA, transposeB: transposeB)
    }

    /// `a @ b` (or with either operand transposed) without recording and without view tensors.
    static func _mm(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transposeB ? b.shape[0] : b.shape[1]
        return MatmulKernel.batched(a, b, batch: 0, m: m, k: k, n: n, transposeA: transposeA, transposeB: transposeB)
    }

    /// The product of a matrix and a vector (`MvBackward0`), like `torch.mv`.
    ///
    /// ```swift
    /// let y = a.mv(v)   // [5, 3] x [3] -> [5]
    /// ```
    public func mv(_ vector: Tensor) -> Tensor {
        if rank != 2 || vector.rank != 1 || shape[1] != vector.shape[0] {
            let mat = rank == 2 ? "\(shape[0])x\(shape[1])" : shape.map(String.init).joined(separator: "x")
            _fail("size mismatch, got input (\(rank >= 1 ? shape[0] : 0)), mat (\(mat)), vec (\(vector.shape.first ?? 0))")
        }
        Tensor._checkSameDType(self, vector)
        let column = vector._view(shape: [shape[1], 1], strides: [vector.strides[0], 1], offset: vector.storageOffset)
        let out = MatmulKernel.batched(self, column, batch: 0, m: shape[0], k: shape[1], n: 1)
        let result = out._fresh(shape: [shape[0]])
        return result._recorded("MvBackward0", self, vector, saving: self, vector) { g, node in
            (node.needsInputGrad(0) ? g.reshape([g.scalarCount, 1]) * node.savedTensor(1) : nil, node.needsInputGrad(1) ? node.savedTensor(0).t().mv(g) : nil)
        }
    }

    /// The dot product of two vectors (`DotBackward0`), like `torch.dot`.
    ///
    /// ```swift
    /// let s = a.dot(b)   // 0-d
    /// ```
    public func dot(_ other: Tensor) -> Tensor {
        if rank != 1 || other.rank != 1 {
            _fail("1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
        }
        if shape[0] != other.shape[0] {
            _fail("inconsistent tensor size, expected tensor [\(shape[0])] and src [\(other.shape[0])] to have the same number of elements, but got \(shape[0]) and \(other.shape[0]) elements respectively")
        }
        Tensor._checkSameDType(self, other)
        let row = _view(shape: [1, shape[0]], strides: [0, strides[0]], offset: storageOffset)
        let column = other._view(shape: [shape[0], 1], strides: [other.strides[0], 1], offset: other.storageOffset)
        let out = MatmulKernel.batched(row, column, batch: 0, m: 1, k: shape[0], n: 1)._fresh(shape: [])
        return out._recorded("DotBackward0", self, other, saving: self, other) { g, node in
            (node.needsInputGrad(0) ? g * node.savedTensor(1) : nil, node.needsInputGrad(1) ? g * node.savedTensor(0) : nil)
        }
    }

    /// Batched matrix product of `[b, n, m]` and `[b, m, p]` (`BmmBackward0`), like `torch.bmm`.
    ///
    /// ```swift
    /// let y = a.bmm(b)   // [4, 5, 3] x [4, 3, 2] -> [4, 5, 2]
    /// ```
    public func bmm(_ other: Tensor) -> Tensor {
        if rank != 3 { _fail("batch1 must be a 3D tensor") }
        if other.rank != 3 { _fail("batch2 must be a 3D tensor") }
        if other.shape[0] != shape[0] || other.shape[1] != shape[2] {
            _fail("Expected size for first two dimensions of batch2 tensor to be: [\(shape[0]), \(shape[2])] but got: [\(other.shape[0]), \(other.shape[1])].")
        }
        Tensor._checkSameDType(self, other)
        let out = MatmulKernel.batched(self, other, batch: shape[0], m: shape[1], k: shape[2], n: other.shape[2])
        return out._recorded("BmmBackward0", self, other, saving: self, other) { g, node in
            (node.needsInputGrad(0) ? g.bmm(node.savedTensor(1).transpose(1, 2)) : nil, node.needsInputGrad(1) ? node.savedTensor(0).transpose(1, 2).bmm(g) : nil)
        }
    }

    /// The matrix product with PyTorch's `matmul` rules (the `@` operator): vectors are
    /// promoted to matrices and back, extra leading dimensions are batch dimensions that
    /// broadcast.
    ///
    /// ```swift
    /// let preds = inputs.matmul(w.t()) + b   // [5, 3] x [3, 2]
    /// let batched = x.matmul(w)              // [8, 5, 3] x [3, 2] -> [8, 5, 2]
    /// ```
    public func matmul(_ other: Tensor) -> Tensor {
        let da = rank, db = other.rank
        if da == 0 || db == 0 {
            _fail("both arguments to matmul need to be at least 1D, but they are \(da)D and \(db)D")
        }
        if da == 1 && db == 1 { return dot(other) }
        if da == 2 && db == 1 { return mv(other) }
        if da == 1 && db == 2 {
            // `mm(x.unsqueeze(0), w).squeeze_(0)`: squeezed in place, so the result is the
            // product itself, not a view of it.
            let product = unsqueeze(0).mm(other)
            return product._fresh(shape: [product.shape[1]])._recorded("SqueezeBackward4", product) { g, _ in (g.unsqueeze(0), nil) }
        }
        if da == 2 && db == 2 { return mm(other) }
        // Two 3-D operands, one with a batch of one that requires grad and the other with a
        // larger batch: PyTorch squeezes the single batch away and folds the other operand
        // into one matrix product (so that operand's gradient is a product, not a bmm summed
        // over an expanded batch). Checked on PyTorch 2.15: `SqueezeBackward1` then `mm`, even
        // under `no_grad`.
        if da == 3 && db == 3 {
            if shape[0] == 1 && other.shape[0] > 1 && _requiresGrad { return squeeze(0).matmul(other) }
            if other.shape[0] == 1 && shape[0] > 1 && other._requiresGrad { return matmul(other.squeeze(0)) }
        }
        if Tensor._shouldFold(self, other) {
            // One matrix product with the batch of the larger operand folded into its rows
            // (ATen's `_matmul_impl`); a vector operand makes it a matrix-vector product.
            let transpose = db > da
            let t1 = transpose ? other.transpose(-1, -2) : self
            let t2 = !transpose ? other : (da == 2 ? t() : self)
            var outShape = Array(t1.shape.dropLast())
            let folded = Shape.count(outShape)
            if t2.rank == 2 { outShape.append(t2.shape[1]) }
            let t1Folded = t1.reshape([folded, t1.shape[t1.rank - 1]])
            if t2.rank == 2 {
                let output = t1Folded.mm(t2)._unsafeView(outShape)
                return transpose ? output.transpose(-1, -2).contiguous() : output
            }
            return t1Folded.mv(t2)._unsafeView(outShape)
        }
        // Batched: broadcast the batch dimensions, then one bmm.
        let left = da == 1 ? unsqueeze(0) : self
        let right = db == 1 ? other.unsqueeze(1) : other
        let batchA = Array(left.shape.dropLast(2)), batchB = Array(right.shape.dropLast(2))
        let batch = Shape.broadcast(batchA, batchB)
        let n = left.shape[left.rank - 2], k = left.shape[left.rank - 1]
        let k2 = right.shape[right.rank - 2], p = right.shape[right.rank - 1]
        let count = Shape.count(batch)
        let a3 = left.expand(batch + [n, k]).reshape([count, n, k])
        let b3 = right.expand(batch + [k2, p]).reshape([count, k2, p])
        var outShape = batch
        if da > 1 { outShape.append(n) }
        if db > 1 { outShape.append(p) }
        return a3.bmm(b3)._unsafeView(outShape)
    }
}

extension Tensor {
    /// ATen's `should_fold`: whether the larger operand (three or more dimensions, against
    /// one or two) folds into a matrix without a copy, or the smaller one requires grad (a
    /// copy then saves a large tensor in backward).
    static func _shouldFold(_ a: Tensor, _ b: Tensor) -> Bool {
        let aLarger = a.rank >= b.rank
        let t1 = aLarger ? a : b.transpose(-1, -2)
        let smallerRank = aLarger ? b.rank : a.rank
        guard t1.rank >= 3 && smallerRank <= 2 else { return false }
        if aLarger ? b._requiresGrad : a._requiresGrad { return true }
        if a.rank == 2 { return false }
        if t1.scalarCount == 0 { return true }
        for i in 0..<(t1.rank - 2) where t1.strides[i] != t1.strides[i + 1] * t1.shape[i + 1] { return false }
        return true
    }
}

extension Tensor {
    /// `x @ weight^T + bias` for a matrix `x`, the forward of `nn.Linear` (`AddmmBackward0`, as
    /// PyTorch names it). The weight's gradient is computed as `g^T @ x`, already in the
    /// weight's layout, so nothing is transposed or copied on the way back.
    ///
    /// ```swift
    /// let y = Tensor.linear(x, weight: w, bias: b)   // [n, in] -> [n, out]
    /// ```
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        guard x.rank == 2 else {
            // PyTorch 2.15 folds a contiguous input of any other rank, with a bias, into one
            // addmm (`UnsafeViewBackward0` over `AddmmBackward0` over the input's
            // `ViewBackward0`): a transformer's `[B, T, C]` layers. The weight's gradient is
            // then `gᵀ @ x` in its own layout, where `matmul(weight.t())` gave its transpose,
            // which `.grad` had to copy (1% of a GPT step), and the bias joins the product.
            if let bias, x.isContiguous, x.rank >= 1, weight.rank == 2 {
                let inner = x.shape[x.rank - 1]
                let out = linear(x.view([x.scalarCount / Swift.max(inner, 1), inner]), weight: weight, bias: bias)
                return out._unsafeView(Array(x.shape.dropLast()) + [weight.shape[0]])
            }
            let out = x.matmul(weight.t())
            return bias.map { out + $0 } ?? out
        }
        if weight.rank > 2 { _fail("t() expects a tensor with <= 2 dimensions, but self is \(weight.rank)D") }
        if weight.rank != 2 || x.shape[1] != weight.shape[1] {
            _fail("\(bias == nil ? "mm" : "addmm"): mat1 and mat2 shapes cannot be multiplied (\(x.shape[0])x\(x.shape[1]) and \(weight.shape.last ?? 0)x\(weight.shape.first ?? 0))")
        }
        let product = _mm(x, weight, transposeB: true)
        guard let bias else {
            return product._recorded("MmBackward0", x, weight, saving: x, weight) { g, node in
                (node.needsInputGrad(0) ? Tensor._mmGrad(g, node.savedTensor(1)) : nil,
                 node.needsInputGrad(1) ? Tensor._mmGrad(g, node.savedTensor(0), transposeA: true) : nil)
            }
        }
        let out = noGrad { product + bias }
        return out._recorded("AddmmBackward0", [bias, x, weight], saving: [x, weight]) { g, node in
            [g,
             node.needsInputGrad(1) ? Tensor._mmGrad(g, node.savedTensor(1)) : nil,
             node.needsInputGrad(2) ? Tensor._mmGrad(g, node.savedTensor(0), transposeA: true) : nil]
        }
    }

    /// `bias + a @ b` in one primitive (`AddmmBackward0`), as `torch.addmm` and `nn.Linear`
    /// compute it.
    ///
    /// ```swift
    /// let y = Tensor.addmm(b, x, w.t())
    /// ```
    public static func addmm(_ bias: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        if a.rank != 2 { _fail("addmm: self must be a matrix, got \(a.rank)-D tensor") }
        if b.rank != 2 { _fail("addmm: mat2 must be a matrix, got \(b.rank)-D tensor") }
        if a.shape[1] != b.shape[0] {
            _fail("addmm: mat1 and mat2 shapes cannot be multiplied (\(a.shape[0])x\(a.shape[1]) and \(b.shape[0])x\(b.shape[1]))")
        }
        let product = MatmulKernel.batched(a, b, batch: 0, m: a.shape[0], k: a.shape[1], n: b.shape[1])
        let out = noGrad { product + bias }
        return out._recorded("AddmmBackward0", [bias, a, b], saving: [a, b]) { g, node in
            [g,
             node.needsInputGrad(1) ? Tensor._mmGrad(g, node.savedTensor(1), transposeB: true) : nil,
             node.needsInputGrad(2) ? Tensor._mmGrad(node.savedTensor(0), g, transposeA: true) : nil]
        }
    }
}

extension DType {
    /// The C type name PyTorch uses in some kernel messages.
    var _cName: String {
        switch self {
        case .float32: "float"
        case .float64: "double"
        case .int64: "long int"
        case .bool: "bool"
        }
    }
}
