import CDescentKernels

/// Where the four operands of an attention live: `[batch, heads, rows, features]` with any
/// strides (a transposed view of a fused projection is read in place), and an additive mask
/// broadcast to `[batch, heads, L, S]` (zero strides where it broadcasts).
struct _AttentionGeometry: Sendable {
    var batch = 0, heads = 0, kvHeads = 0, queries = 0, keys = 0, features = 0, valueFeatures = 0
    var scale = 1.0
    var causal = false
    /// Element strides: (batch, head, row, feature) for q, k and v; (batch, head, row, column) for the mask.
    var q = [Int](repeating: 0, count: 4), k = [Int](repeating: 0, count: 4), v = [Int](repeating: 0, count: 4)
    var mask: [Int]? = nil
    /// Element strides (batch, head, row) of the output and of its gradient; features are
    /// contiguous. The output is laid out `[B, L, H, Ev]` (PyTorch's flash kernel's layout),
    /// so merging the heads back (`transpose(1, 2).contiguous()`) copies nothing.
    var out = [Int](repeating: 0, count: 3), gradOut = [Int](repeating: 0, count: 3)

    /// Query rows and key columns handled together: a block of scores `[64, 128]` stays in
    /// the L1/L2 caches however long the sequence is (the streaming, flash-style form).
    static let queryBlock = 64, keyBlock = 128

    /// Keys a query row may see under the causal mask (top-left aligned, as PyTorch's `tril`).
    @inline(__always)
    func keyLimit(_ rowEnd: Int) -> Int { causal ? Swift.min(keys, rowEnd) : keys }

    /// Columns of a block starting at key `j0` that query `row` may see: the causally hidden
    /// ones are left out of the exponential (at -inf they sent the vector `expf` to its
    /// scalar fallback).
    @inline(__always)
    func visibleColumns(row: Int, j0: Int, cols: Int) -> Int { causal ? Swift.max(0, Swift.min(cols, row + 1 - j0)) : cols }
}

/// The streaming attention kernels: scores computed block by block with a running maximum and
/// sum per row (the online softmax), so memory is one block of scores per thread, never
/// `[L, S]` per head; the backward pass recomputes each block from the saved log-sum-exp.
enum _AttentionKernels {
    /// `out = softmax(scale · q kᵀ + mask) v` and each row's log-sum-exp; `out` through
    /// `g.out`'s strides, `lse` contiguous `[B, H, L]`.
    static func forward<T: _FloatElement & _ConvElement>(
        _ g: _AttentionGeometry, q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>, mask: UnsafePointer<T>?,
        out: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>
    ) {
        let group = g.heads / g.kvHeads
        let tasks = g.batch * g.kvHeads
        let work = g.batch * g.heads * g.queries * g.keys * (g.features + g.valueFeatures)
        let parts = Swift.min(tasks, Threads.parts(work: work, grain: 1 << 18))
        let (pq, pk, pv, pm) = (_UncheckedSendable(q), _UncheckedSendable(k), _UncheckedSendable(v), _UncheckedSendable(mask))
        let (po, pl) = (_UncheckedSendable(out), _UncheckedSendable(lse))
        Threads.run(parts) { part in
            let bq = _AttentionGeometry.queryBlock, bk = _AttentionGeometry.keyBlock
            let scores = UnsafeMutablePointer<T>.allocate(capacity: bq * bk)
            var rowMax = [T](repeating: 0, count: bq), rowSum = rowMax
            defer { scores.deallocate() }
            for task in stride(from: part, to: tasks, by: parts) {
                let b = task / g.kvHeads, kh = task % g.kvHeads
                let kBase = pk.value + b * g.k[0] + kh * g.k[1], vBase = pv.value + b * g.v[0] + kh * g.v[1]
                for h in (kh * group)..<((kh + 1) * group) {
                    let qBase = pq.value + b * g.q[0] + h * g.q[1]
                    let outBase = po.value + b * g.out[0] + h * g.out[1], os = g.out[2]
                    let lseBase = pl.value + (b * g.heads + h) * g.queries
                    let maskBase = pm.value.map { $0 + b * g.mask![0] + h * g.mask![1] }
                    for i0 in stride(from: 0, to: g.queries, by: bq) {
                        let rows = Swift.min(bq, g.queries - i0)
                        let o = outBase + i0 * os
                        for r in 0..<rows {
                            (o + r * os).initialize(repeating: 0, count: g.valueFeatures)
                            rowMax[r] = -.infinity
                            rowSum[r] = 0
                        }
                        let limit = g.keyLimit(i0 + rows)
                        for j0 in stride(from: 0, to: limit, by: bk) {
                            let cols = Swift.min(bk, limit - j0)
                            blockScores(g, qBase + i0 * g.q[2], kBase + j0 * g.k[2], maskBase, i0: i0, j0: j0, rows: rows, cols: cols, into: scores)
                            for r in 0..<rows {
                                let s = scores + r * cols
                                var m = rowMax[r]
                                for c in 0..<cols where s[c] > m { m = s[c] }
                                if m == -.infinity {
                                    for c in 0..<cols { s[c] = 0 }
                                    continue
                                }
                                let correction = rowMax[r] == -.infinity ? 0 : T.exp(rowMax[r] - m)
                                let valid = g.visibleColumns(row: i0 + r, j0: j0, cols: cols)
                                for c in 0..<valid { s[c] -= m }
                                exponentiate(s, valid)
                                for c in valid..<cols { s[c] = 0 }
                                var sum: T = 0
                                for c in 0..<cols { sum += s[c] }
                                rowSum[r] = rowSum[r] * correction + sum
                                rowMax[r] = m
                                if correction != 1 {
                                    let orow = o + r * os
                                    for e in 0..<g.valueFeatures { orow[e] *= correction }
                                }
                            }
                            _gemm(UnsafePointer(scores), cols, 1, vBase + j0 * g.v[2], g.v[2], g.v[3], o,
                                  m: rows, k: cols, n: g.valueFeatures, ldc: os, accumulate: true)
                        }
                        for r in 0..<rows {
                            let orow = o + r * os
                            if rowSum[r] == 0 {
                                // Every key masked: zeros, as PyTorch's safe softmax gives.
                                for e in 0..<g.valueFeatures { orow[e] = 0 }
                                lseBase[i0 + r] = .infinity
                                continue
                            }
                            let inverse = 1 / rowSum[r]
                            for e in 0..<g.valueFeatures { orow[e] *= inverse }
                            lseBase[i0 + r] = rowMax[r] + T.log(rowSum[r])
                        }
                    }
                }
            }
        }
    }

    /// The gradients of q, k and v (contiguous, zeroed by the caller) for upstream `gout`
    /// (contiguous), by the flash-attention backward pass: per block `P = exp(S - lse)`,
    /// `dV += Pᵀ dO`, `dS = P ∘ (dO Vᵀ - rowsum(dO ∘ O))`, `dQ += scale · dS K`,
    /// `dK += scale · dSᵀ Q`.
    static func backward<T: _FloatElement & _ConvElement>(
        _ g: _AttentionGeometry, q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>, mask: UnsafePointer<T>?,
        out: UnsafePointer<T>, lse: UnsafePointer<T>, gout: UnsafePointer<T>,
        gq: UnsafeMutablePointer<T>, gk: UnsafeMutablePointer<T>, gv: UnsafeMutablePointer<T>
    ) {
        let group = g.heads / g.kvHeads
        let tasks = g.batch * g.kvHeads
        let work = 2 * g.batch * g.heads * g.queries * g.keys * (g.features + g.valueFeatures)
        let parts = Swift.min(tasks, Threads.parts(work: work, grain: 1 << 18))
        let (pq, pk, pv, pm) = (_UncheckedSendable(q), _UncheckedSendable(k), _UncheckedSendable(v), _UncheckedSendable(mask))
        let (po, pl, pg) = (_UncheckedSendable(out), _UncheckedSendable(lse), _UncheckedSendable(gout))
        let (pgq, pgk, pgv) = (_UncheckedSendable(gq), _UncheckedSendable(gk), _UncheckedSendable(gv))
        let scale = T(g.scale)
        Threads.run(parts) { part in
            let bq = _AttentionGeometry.queryBlock, bk = _AttentionGeometry.keyBlock
            let p = UnsafeMutablePointer<T>.allocate(capacity: bq * bk), dp = UnsafeMutablePointer<T>.allocate(capacity: bq * bk)
            var delta = [T](repeating: 0, count: g.queries)
            defer {
                p.deallocate()
                dp.deallocate()
            }
            for task in stride(from: part, to: tasks, by: parts) {
                let b = task / g.kvHeads, kh = task % g.kvHeads
                let kBase = pk.value + b * g.k[0] + kh * g.k[1], vBase = pv.value + b * g.v[0] + kh * g.v[1]
                let gkBase = pgk.value + (b * g.kvHeads + kh) * g.keys * g.features
                let gvBase = pgv.value + (b * g.kvHeads + kh) * g.keys * g.valueFeatures
                for h in (kh * group)..<((kh + 1) * group) {
                    let qBase = pq.value + b * g.q[0] + h * g.q[1]
                    let head = (b * g.heads + h) * g.queries
                    let oBase = po.value + b * g.out[0] + h * g.out[1], goBase = pg.value + b * g.gradOut[0] + h * g.gradOut[1]
                    let os = g.out[2], gs = g.gradOut[2]
                    let gqBase = pgq.value + head * g.features
                    let lseBase = pl.value + head
                    let maskBase = pm.value.map { $0 + b * g.mask![0] + h * g.mask![1] }
                    for i in 0..<g.queries {
                        var sum: T = 0
                        for e in 0..<g.valueFeatures { sum += goBase[i * gs + e] * oBase[i * os + e] }
                        delta[i] = sum
                    }
                    for i0 in stride(from: 0, to: g.queries, by: bq) {
                        let rows = Swift.min(bq, g.queries - i0)
                        let limit = g.keyLimit(i0 + rows)
                        let qBlock = qBase + i0 * g.q[2], goBlock = goBase + i0 * gs
                        for j0 in stride(from: 0, to: limit, by: bk) {
                            let cols = Swift.min(bk, limit - j0)
                            blockScores(g, qBlock, kBase + j0 * g.k[2], maskBase, i0: i0, j0: j0, rows: rows, cols: cols, into: p)
                            for r in 0..<rows {
                                let s = p + r * cols, l = lseBase[i0 + r]
                                if l == .infinity {
                                    for c in 0..<cols { s[c] = 0 }
                                    continue
                                }
                                let valid = g.visibleColumns(row: i0 + r, j0: j0, cols: cols)
                                for c in 0..<valid { s[c] -= l }
                                exponentiate(s, valid)
                                for c in valid..<cols { s[c] = 0 }
                            }
                            // dV_j += Pᵀ dO
                            _gemm(UnsafePointer(p), 1, cols, goBlock, gs, 1, gvBase + j0 * g.valueFeatures,
                                  m: cols, k: rows, n: g.valueFeatures, accumulate: true)
                            // dP = dO Vᵀ, then dS = scale · P ∘ (dP - delta)
                            _gemm(goBlock, gs, 1, vBase + j0 * g.v[2], g.v[3], g.v[2], dp,
                                  m: rows, k: g.valueFeatures, n: cols, accumulate: false)
                            for r in 0..<rows {
                                let s = p + r * cols, d = dp + r * cols, dr = delta[i0 + r]
                                for c in 0..<cols { d[c] = s[c] * (d[c] - dr) * scale }
                            }
                            _gemm(UnsafePointer(dp), cols, 1, kBase + j0 * g.k[2], g.k[2], g.k[3], gqBase + i0 * g.features,
                                  m: rows, k: cols, n: g.features, accumulate: true)
                            _gemm(UnsafePointer(dp), 1, cols, qBlock, g.q[2], g.q[3], gkBase + j0 * g.features,
                                  m: cols, k: rows, n: g.features, accumulate: true)
                        }
                    }
                }
            }
        }
    }

    /// `scale · q kᵀ` for one block, with the mask added and causally hidden keys at -inf.
    @inline(__always)
    static func blockScores<T: _FloatElement & _ConvElement>(
        _ g: _AttentionGeometry, _ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ mask: UnsafePointer<T>?,
        i0: Int, j0: Int, rows: Int, cols: Int, into s: UnsafeMutablePointer<T>
    ) {
        _gemm(q, g.q[2], g.q[3], k, g.k[3], g.k[2], s, m: rows, k: g.features, n: cols, accumulate: false)
        let scale = T(g.scale)
        for r in 0..<rows {
            let row = s + r * cols
            for c in 0..<cols { row[c] *= scale }
            if let mask, let ms = g.mask {
                let m = mask + (i0 + r) * ms[2] + j0 * ms[3]
                for c in 0..<cols { row[c] += m[c * ms[3]] }
            }
            if g.causal {
                let first = Swift.max(0, i0 + r + 1 - j0)
                if first < cols { for c in first..<cols { row[c] = -.infinity } }
            }
        }
    }

    /// `x = exp(x)` over a row: glibc's `expf` in AVX2 lanes for float32.
    @inline(__always)
    static func exponentiate<T: _FloatElement>(_ x: UnsafeMutablePointer<T>, _ n: Int) {
        if T.self == Float.self {
            let f = UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
            descent_expf(Int64(n), f, f)
        } else {
            for c in 0..<n { x[c] = T.exp(x[c]) }
        }
    }
}
