// Products: einsum, baddbmm, addbmm, addmv, addr, tensordot, cross.

extension Tensor {
    /// Einstein summation over up to any number of operands, like `torch.einsum`: explicit
    /// (`"bij,bjk->bik"`) or implicit (`"ij,jk"`) output, repeated letters for diagonals, and
    /// `...` for broadcast dimensions. Pairs of operands contract with a batched matrix product,
    /// as PyTorch's `sumproduct_pair` does.
    ///
    /// ```swift
    /// let scores = Tensor.einsum("bhqd,bhkd->bhqk", q, k)
    /// ```
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor { einsum(equation, operands) }

    /// `einsum` with the operands in an array.
    public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
        let eq = equation.filter { $0 != " " }
        var sides: [String] = []
        var rest = eq[...]
        while let r = rest.firstRange(of: "->") {
            sides.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        sides.append(String(rest))
        if sides.count > 2 { _fail("einsum(): invalid equation: more than one '->'") }
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if terms.count != operands.count {
            _fail(terms.count < operands.count
                  ? "einsum(): more operands were provided than specified in the equation"
                  : "einsum(): fewer operands were provided than specified in the equation")
        }
        // Labels: a letter's ASCII code; broadcast (ellipsis) dimensions 1000 + k, right-aligned.
        func parse(_ term: String, rank: Int?) -> (labels: [Int], ellipsis: Int?) {
            var labels: [Int] = [], ellipsisAt: Int? = nil
            var chars = Array(term)[...]
            while let c = chars.first {
                if c == "." {
                    guard chars.starts(with: ["." , ".", "."]), ellipsisAt == nil else { _fail("einsum(): found '.' for operand that is not part of any ellipsis") }
                    ellipsisAt = labels.count
                    chars = chars.dropFirst(3)
                    continue
                }
                guard c.isLetter, let a = c.asciiValue else { _fail("einsum(): invalid subscript given at index \(labels.count) in the equation string, subscripts must be in [a-zA-Z]") }
                labels.append(Int(a))
                chars = chars.dropFirst()
            }
            return (labels, ellipsisAt)
        }
        var ellipsisDims = 0
        var operandLabels: [[Int]] = []
        var parsed: [(labels: [Int], ellipsis: Int?)] = []
        for (t, x) in zip(terms, operands) {
            let p = parse(t, rank: x.rank)
            if p.ellipsis == nil && p.labels.count != x.rank {
                _fail("einsum(): the number of subscripts in the equation (\(p.labels.count)) does not match the number of dimensions (\(x.rank)) for operand \(parsed.count) and no ellipsis was given")
            }
            if p.ellipsis != nil && p.labels.count > x.rank {
                _fail("einsum(): the number of subscripts in the equation (\(p.labels.count)) is more than the number of dimensions (\(x.rank)) for operand \(parsed.count)")
            }
            if p.ellipsis != nil { ellipsisDims = Swift.max(ellipsisDims, x.rank - p.labels.count) }
            parsed.append(p)
        }
        for (p, x) in zip(parsed, operands) {
            guard let at = p.ellipsis else { operandLabels.append(p.labels); continue }
            let e = x.rank - p.labels.count
            let ell = (0..<e).map { 1000 + ellipsisDims - e + $0 }
            operandLabels.append(Array(p.labels[..<at]) + ell + Array(p.labels[at...]))
        }
        let output: [Int]
        if sides.count == 2 {
            let p = parse(sides[1], rank: nil)
            let ell = (0..<ellipsisDims).map { 1000 + $0 }
            output = p.ellipsis.map { Array(p.labels[..<$0]) + ell + Array(p.labels[$0...]) } ?? p.labels
            for l in output where l < 1000 && !operandLabels.contains(where: { $0.contains(l) }) {
                _fail("einsum(): output subscript \(Character(UnicodeScalar(UInt8(l)))) does not appear in the equation for any input operand")
            }
        } else {
            var counts: [Int: Int] = [:]
            for ls in operandLabels { for l in ls where l < 1000 { counts[l, default: 0] += 1 } }
            output = (0..<ellipsisDims).map { 1000 + $0 } + counts.filter { $0.value == 1 }.keys.sorted()
        }

        // Each operand: diagonals for repeated labels, then sums over labels no one else needs.
        var items: [(Tensor, [Int])] = []
        var lastWasDiagonal = false
        for (i, x) in operands.enumerated() {
            var t = x, labels = operandLabels[i]
            while let (p, q) = Tensor._repeatedPair(labels) {
                if t.shape[p] != t.shape[q] { _fail("einsum(): subscript \(Character(UnicodeScalar(UInt8(labels[p])))) is repeated for operand \(i) but the sizes don't match, \(t.shape[p]) != \(t.shape[q])") }
                t = t.diagonal(offset: 0, dim1: p, dim2: q)
                let l = labels[p]
                labels.remove(at: q)
                labels.remove(at: p)
                labels.append(l)
                lastWasDiagonal = true
            }
            let others = Set(output + operandLabels.enumerated().filter { $0.offset != i }.flatMap(\.element))
            let lonely = labels.indices.filter { !others.contains(labels[$0]) }
            if !lonely.isEmpty {
                t = t.sum(dims: lonely)
                labels = labels.indices.filter { !lonely.contains($0) }.map { labels[$0] }
                lastWasDiagonal = false
            }
            items.append((t, labels))
        }

        var (acc, accLabels) = items[0]
        for j in 1..<Swift.max(items.count, 1) where items.count > 1 {
            let (b, bLabels) = items[j]
            let later = Set(output + items[(j + 1)...].flatMap(\.1))
            let common = accLabels.filter { bLabels.contains($0) }
            let contracted = common.filter { !later.contains($0) }
            let batch = common.filter { later.contains($0) }
            let aOnly = accLabels.filter { !bLabels.contains($0) }
            let bOnly = bLabels.filter { !accLabels.contains($0) }
            func size(_ l: Int) -> Int {
                let sa = accLabels.firstIndex(of: l).map { acc.shape[$0] } ?? 1
                let sb = bLabels.firstIndex(of: l).map { b.shape[$0] } ?? 1
                if sa != sb && sa != 1 && sb != 1 { _fail("einsum(): operands do not broadcast with remapped shapes (original->remapped)") }
                return Swift.max(sa, sb)
            }
            if contracted.isEmpty {
                // No sum: a broadcast product, `acc`'s labels then `b`'s own.
                let resultLabels = accLabels + bOnly
                var bAligned = b.permute(resultLabels.compactMap { bLabels.firstIndex(of: $0) })
                let bShape = resultLabels.map { l in bLabels.firstIndex(of: l).map { b.shape[$0] } ?? 1 }
                bAligned = bAligned.reshape(bShape)
                let accAligned = acc.reshape(acc.shape + [Int](repeating: 1, count: bOnly.count))
                acc = accAligned * bAligned
                accLabels = resultLabels
            } else {
                let batchSizes = batch.map(size), aSizes = aOnly.map(size), bSizes = bOnly.map(size), kSizes = contracted.map(size)
                let aPerm = (batch + aOnly + contracted).map { accLabels.firstIndex(of: $0)! }
                let bPerm = (batch + contracted + bOnly).map { bLabels.firstIndex(of: $0)! }
                let a3 = acc.permute(aPerm).expand(batchSizes + aSizes + kSizes).reshape([batchSizes.reduce(1, *), aSizes.reduce(1, *), kSizes.reduce(1, *)])
                let b3 = b.permute(bPerm).expand(batchSizes + kSizes + bSizes).reshape([batchSizes.reduce(1, *), kSizes.reduce(1, *), bSizes.reduce(1, *)])
                acc = a3.bmm(b3).view(batchSizes + aSizes + bSizes)
                accLabels = batch + aOnly + bOnly
            }
            lastWasDiagonal = false
        }
        let leftover = accLabels.indices.filter { !output.contains(accLabels[$0]) }
        if !leftover.isEmpty {
            acc = acc.sum(dims: leftover)
            accLabels = accLabels.indices.filter { !leftover.contains($0) }.map { accLabels[$0] }
            lastWasDiagonal = false
        }
        let perm = output.map { accLabels.firstIndex(of: $0)! }
        if perm != Array(0..<perm.count) || lastWasDiagonal { acc = acc.permute(perm) }
        return acc
    }

    private static func _repeatedPair(_ labels: [Int]) -> (Int, Int)? {
        for q in labels.indices { if let p = labels[..<q].firstIndex(of: labels[q]) { return (p, q) } }
        return nil
    }

    /// `beta · self + alpha · (batch1 @ batch2)` for batches of matrices (`BaddbmmBackward0`),
    /// like `torch.baddbmm`.
    public func baddbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        // ATen allocates the result contiguous, whatever `self`'s layout.
        let out = noGrad { ((beta == 1 ? self : self * beta) + (alpha == 1 ? batch1.bmm(batch2) : batch1.bmm(batch2) * alpha)).contiguous() }
        return out._recorded("BaddbmmBackward0", [self, batch1, batch2], saving: [batch1, batch2]) { g, n in
            let b1 = n.savedTensor(0), b2 = n.savedTensor(1)
            return [n.needsInputGrad(0) ? g * beta : nil,
                    n.needsInputGrad(1) ? g.bmm(b2.transpose(1, 2)) * alpha : nil,
                    n.needsInputGrad(2) ? b1.transpose(1, 2).bmm(g) * alpha : nil]
        }
    }

    /// `beta · self + alpha · Σ_b batch1[b] @ batch2[b]` (`AddbmmBackward0`), like `torch.addbmm`.
    public func addbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        let out = noGrad { ((beta == 1 ? self : self * beta) + batch1.bmm(batch2).sum(dim: 0) * alpha).contiguous() }
        let batches = batch1.shape.first ?? 0
        return out._recorded("AddbmmBackward0", [self, batch1, batch2], saving: [batch1, batch2]) { g, n in
            let b1 = n.savedTensor(0), b2 = n.savedTensor(1)
            let ge = g.unsqueeze(0).expand([batches] + g.shape)
            return [n.needsInputGrad(0) ? g * beta : nil,
                    n.needsInputGrad(1) ? ge.bmm(b2.transpose(1, 2)) * alpha : nil,
                    n.needsInputGrad(2) ? b1.transpose(1, 2).bmm(ge) * alpha : nil]
        }
    }

    /// `beta · self + alpha · (mat @ vec)` (`AddmvBackward0`), like `torch.addmv`.
    public func addmv(_ mat: Tensor, _ vec: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        let out = noGrad { (beta == 1 ? self : self * beta) + mat.mv(vec) * alpha }
        return out._recorded("AddmvBackward0", [self, mat, vec], saving: [mat, vec]) { g, n in
            let m = n.savedTensor(0), v = n.savedTensor(1)
            return [n.needsInputGrad(0) ? g * beta : nil,
                    n.needsInputGrad(1) ? g.outer(v) * alpha : nil,
                    n.needsInputGrad(2) ? m.t().mv(g) * alpha : nil]
        }
    }

    /// `beta · self + alpha · outer(vec1, vec2)` (`AddrBackward0`), like `torch.addr`.
    public func addr(_ vec1: Tensor, _ vec2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        let out = noGrad { (beta == 1 ? self : self * beta) + vec1.outer(vec2) * alpha }
        return out._recorded("AddrBackward0", [self, vec1, vec2], saving: [vec1, vec2]) { g, n in
            let v1 = n.savedTensor(0), v2 = n.savedTensor(1)
            return [n.needsInputGrad(0) ? g * beta : nil,
                    n.needsInputGrad(1) ? g.mv(v2) * alpha : nil,
                    n.needsInputGrad(2) ? g.t().mv(v1) * alpha : nil]
        }
    }

    /// Contracts `dims.0` of `a` with `dims.1` of `b`, like `torch.tensordot`.
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: ([Int], [Int])) -> Tensor {
        if dims.0.count != dims.1.count { _fail("both dimension lists should have same length") }
        let da = a._dims(dims.0), db = b._dims(dims.1)
        for (x, y) in zip(da, db) where a.shape[x] != b.shape[y] {
            _fail("contracted dimensions need to match, but first has size \(a.shape[x]) in dim \(x) and second has size \(b.shape[y]) in dim \(y)")
        }
        let freeA = (0..<a.rank).filter { !da.contains($0) }, freeB = (0..<b.rank).filter { !db.contains($0) }
        let k = da.map { a.shape[$0] }.reduce(1, *)
        let left = a.permute(freeA + da).reshape([freeA.map { a.shape[$0] }.reduce(1, *), k])
        let right = b.permute(db + freeB).reshape([k, freeB.map { b.shape[$0] }.reduce(1, *)])
        return left.mm(right).view(freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
    }

    /// Contracts the last `dims` dimensions of `a` with the first `dims` of `b`.
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: Int = 2) -> Tensor {
        tensordot(a, b, dims: (Array((a.rank - dims)..<a.rank), Array(0..<dims)))
    }

    /// The cross product of 3-vectors along `dim` (`LinalgCrossBackward0`), like
    /// `torch.linalg.cross`.
    public func cross(_ other: Tensor, dim: Int = -1) -> Tensor {
        let common = Shape.broadcast(shape, other.shape)
        let d = Shape.wrap(dim, rank: common.count)
        if common[d] != 3 { _fail("linalg.cross: inputs dimension \(dim) must have length 3. Got \(rank > d ? shape[d] : 0) and \(other.rank > d ? other.shape[d] : 0)") }
        let out = noGrad { () -> Tensor in
            let a = expand(common), b = other.expand(common)
            func c(_ t: Tensor, _ i: Int) -> Tensor { t.narrow(d, i, 1) }
            return Tensor.cat([c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1),
                               c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2),
                               c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)], dim: d)
        }
        return out._recorded("LinalgCrossBackward0", self, other, saving: self, other) { g, n in
            let a = n.savedTensor(0), b = n.savedTensor(1)
            return (n.needsInputGrad(0) ? b.cross(g, dim: d) : nil, n.needsInputGrad(1) ? g.cross(a, dim: d) : nil)
        }
    }
}
