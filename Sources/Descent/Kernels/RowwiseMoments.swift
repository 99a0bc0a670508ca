/// ATen's `RowwiseMoments` (`moments_utils.h`): the mean and biased variance of one row by
/// Welford's updates in vector lanes of 32 bytes (eight floats, four doubles), sixteen vectors a
/// chunk, chunks combined pairwise, then the leftover elements one by one and the lanes folded
/// into them. Layer normalisation's statistics, bit for bit: every step is one IEEE operation in
/// the element type, in ATen's order (its vector `m2 += m2_add + …` adds `m2_add` first, as the
/// reference build computes it).
enum _RowwiseMoments {
    static let chunk = 16

    static func compute(_ x: UnsafePointer<Float>, _ n: Int) -> (mean: Float, variance: Float) {
        run(x, n, SIMD8<Float>.self)
    }

    static func compute(_ x: UnsafePointer<Double>, _ n: Int) -> (mean: Double, variance: Double) {
        run(x, n, SIMD4<Double>.self)
    }

    private struct Stack<V: SIMD> where V.Scalar: BinaryFloatingPoint {
        var count = 0
        var m1 = V(), m2 = V()

        /// `AddMomentsVec`: folds `count` values with lane means `m1` and sums `m2` into this.
        @inline(__always)
        mutating func add(_ addCount: Int, _ addM1: V, _ addM2: V) {
            let total = count + addCount
            let c = total == 0 ? 0 : V.Scalar(addCount) / V.Scalar(total)
            let delta = addM1 - m1
            m1 += V(repeating: c) * delta
            m2 = (m2 + addM2) + delta * delta * V(repeating: c) * V(repeating: V.Scalar(count))
            count = total
        }
    }

    @inline(__always)
    private static func run<V: SIMD>(_ x: UnsafePointer<V.Scalar>, _ n: Int, _: V.Type) -> (mean: V.Scalar, variance: V.Scalar)
    where V.Scalar: BinaryFloatingPoint {
        let lanes = V.scalarCount
        let vectors = n / lanes
        let chunks = (vectors + chunk - 1) / chunk
        // `utils::CeilLog2`, which is 1 for two chunks or fewer.
        let depth = chunks <= 2 ? 1 : Int.bitWidth - (chunks - 1).leadingZeroBitCount
        return withUnsafeTemporaryAllocation(of: Stack<V>.self, capacity: depth) { stack in
            stack.initialize(repeating: Stack())
            for i in 0..<chunks {
                let base = x + i * chunk * lanes
                let count = Swift.min(chunk, vectors - i * chunk)
                var m1 = V(), m2 = V()
                for j in 0..<count {
                    let v = UnsafeRawPointer(base + j * lanes).loadUnaligned(as: V.self)
                    let delta = v - m1
                    m1 += delta * V(repeating: 1 / V.Scalar(j + 1))
                    m2 += delta * (v - m1)
                }
                stack[0].add(count, m1, m2)
                var mask = i + 1, j = 1
                while j < depth && mask & 1 == 0 {
                    stack[j].add(stack[j - 1].count, stack[j - 1].m1, stack[j - 1].m2)
                    stack[j - 1] = Stack()
                    mask >>= 1
                    j += 1
                }
            }
            for i in 1..<Swift.max(depth, 1) { stack[0].add(stack[i].count, stack[i].m1, stack[i].m2) }
            // The elements after the last whole vector, then each lane as `m0_add` more values
            // (`AddMoments`).
            var count = 0
            var m1: V.Scalar = 0, m2: V.Scalar = 0
            for i in (vectors * lanes)..<Swift.max(n, vectors * lanes) {
                let v = x[i]
                let delta = v - m1
                count += 1
                m1 += delta / V.Scalar(count)
                m2 += delta * (v - m1)
            }
            for l in 0..<lanes {
                let total = count + vectors
                let c = total == 0 ? 0 : V.Scalar(vectors) / V.Scalar(total)
                let delta = stack[0].m1[l] - m1
                m1 += c * delta
                m2 += stack[0].m2[l] + delta * delta * c * V.Scalar(count)
                count = total
            }
            return (m1, m2 / V.Scalar(n))
        }
    }
}
