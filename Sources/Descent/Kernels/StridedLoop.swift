/// The one strided driver every elementwise kernel uses.
///
/// Dimensions of size one are dropped and neighbours that are contiguous for every operand are
/// merged, so a contiguous tensor becomes a single run and `body` is called once per innermost
/// run, not once per element.
///
/// - Parameters:
///   - shape: The iteration shape.
///   - strides: One stride list per operand, each as long as `shape`.
///   - body: Receives the start offset of the run for each operand, the run length, and the
///     per-operand stride along the run.
@inline(__always)
func _forEachRun(
    _ shape: [Int], _ strides: [[Int]],
    _ body: (_ offsets: UnsafePointer<Int>, _ count: Int, _ steps: UnsafePointer<Int>) -> Void
) {
    let k = strides.count
    var sizes: [Int] = []
    var dimStrides: [[Int]] = []   // dimStrides[d][operand]
    sizes.reserveCapacity(shape.count)
    for d in 0..<shape.count {
        let n = shape[d]
        if n == 0 { return }
        if n == 1 { continue }
        if let last = sizes.last {
            var mergeable = true
            for o in 0..<k where dimStrides[dimStrides.count - 1][o] != strides[o][d] * n {
                mergeable = false
                break
            }
            if mergeable {
                sizes[sizes.count - 1] = last * n
                dimStrides[dimStrides.count - 1] = (0..<k).map { strides[$0][d] }
                continue
            }
        }
        sizes.append(n)
        dimStrides.append((0..<k).map { strides[$0][d] })
    }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * k) { scratch in
        let offsets = scratch.baseAddress!
        let steps = offsets + k
        for o in 0..<k { offsets[o] = 0; steps[o] = 0 }
        guard let inner = sizes.popLast() else {
            body(offsets, 1, steps)
            return
        }
        let innerStrides = dimStrides.removeLast()
        for o in 0..<k { steps[o] = innerStrides[o] }
        let outer = sizes.count
        if outer == 0 {
            body(offsets, inner, steps)
            return
        }
        var index = [Int]._small(repeating: 0, count: outer)
        while true {
            body(offsets, inner, steps)
            var d = outer - 1
            while d >= 0 {
                index[d] += 1
                for o in 0..<k { offsets[o] += dimStrides[d][o] }
                if index[d] < sizes[d] { break }
                for o in 0..<k { offsets[o] -= dimStrides[d][o] * sizes[d] }
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
