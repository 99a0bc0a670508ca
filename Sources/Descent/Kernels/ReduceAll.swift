/// ATen's `vec::reduce_all`/`map_reduce_all` in its reference build: values summed in vector
/// lanes of 32 bytes (eight floats, four doubles), the first vector starting the lanes, a
/// partial last vector added into the leading lanes, and the lanes then added in order; fewer
/// values than a vector are added in order. The sums of layer and batch normalisation's
/// backward passes.
enum _ReduceAll {
    @inline(__always)
    static func sum<T: _FloatElement>(_ n: Int, _ value: (Int) -> T) -> T {
        let lanes = 32 / MemoryLayout<T>.stride
        if n < lanes {
            var total = value(0)
            for j in 1..<Swift.max(n, 1) { total = total + value(j) }
            return total
        }
        return withUnsafeTemporaryAllocation(of: T.self, capacity: lanes) { acc in
            for l in 0..<lanes { acc[l] = value(l) }
            var d = lanes
            while d < n - n % lanes {
                for l in 0..<lanes { acc[l] = acc[l] + value(d + l) }
                d += lanes
            }
            for l in 0..<(n - d) { acc[l] = acc[l] + value(d + l) }
            var total = acc[0]
            for l in 1..<lanes { total = total + acc[l] }
            return total
        }
    }
}
