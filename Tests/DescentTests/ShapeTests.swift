import Testing
@testable import Descent

/// The shape arithmetic every op shares, including the shared arrays that stand in for
/// freshly built ones on the hot paths.
struct ShapeTests {
    @Test func broadcastShapes() {
        #expect(Shape.broadcast([5, 2], [2]) == [5, 2])
        #expect(Shape.broadcast([2], [5, 2]) == [5, 2])
        #expect(Shape.broadcast([5, 1], [1, 2]) == [5, 2])
        #expect(Shape.broadcast([1, 3], [2, 1]) == [2, 3])
        #expect(Shape.broadcast([], [4, 1]) == [4, 1])
        #expect(Shape.broadcast([4, 1], []) == [4, 1])
        #expect(Shape.broadcast([3, 1, 5], [4, 1]) == [3, 4, 5])
        #expect(Shape.broadcast([0, 2], [1, 2]) == [0, 2])
        #expect(Shape.broadcast([2, 1], [2, 0]) == [2, 0])
        // Every pair agrees with the rule written out dimension by dimension.
        let sizes = [[], [1], [3], [1, 3], [2, 1], [2, 3], [4, 1, 3], [1, 1, 1]]
        for a in sizes {
            for b in sizes where broadcastable(a, b) {
                #expect(Shape.broadcast(a, b) == reference(a, b), "\(a) with \(b)")
            }
        }
    }

    private func broadcastable(_ a: [Int], _ b: [Int]) -> Bool {
        zip(a.reversed(), b.reversed()).allSatisfy { $0 == $1 || $0 == 1 || $1 == 1 }
    }

    private func reference(_ a: [Int], _ b: [Int]) -> [Int] {
        let n = max(a.count, b.count)
        let pa = Array(repeating: 1, count: n - a.count) + a, pb = Array(repeating: 1, count: n - b.count) + b
        return (0..<n).map { pa[$0] == 1 ? pb[$0] : pa[$0] }
    }

    @Test func sharedShortArraysHoldTheirValues() {
        for a in [0, 1, 2, 31, 32, 63, 64, 1000] {
            #expect(Shape.one(a) == [a])
            for b in [0, 1, 5, 31, 32, 100] { #expect(Shape.pair(a, b) == [a, b]) }
        }
        for rank in 0...4 {
            for mask in 0..<(1 << rank) {
                #expect(Shape.flags(mask, rank: rank) == (0..<rank).map { mask & (1 << $0) != 0 })
            }
            #expect(Shape.allFlags(rank: rank) == Array(repeating: true, count: rank))
        }
        #expect(Shape.allFlags(rank: 7) == Array(repeating: true, count: 7))
    }

    /// Bias-style gradients of every rank sum to the input's shape, through the shared flag
    /// arrays for small ranks and built ones above four dimensions.
    @Test func gradientsSumBackToEveryRank() {
        for rank in 1...6 {
            let shape = (0..<rank).map { $0 % 2 == 0 ? 2 : 3 }
            let x = Tensor.ones(shape)
            let b = Tensor.zeros([shape[rank - 1]], requiresGrad: true)
            let keep = Tensor.zeros(Array(repeating: 1, count: rank - 1) + [shape[rank - 1]], requiresGrad: true)
            (x + b + keep).sum().backward()
            let rows = Float(shape.dropLast().reduce(1, *))
            #expect(b.grad!.scalars(as: Float.self) == Array(repeating: rows, count: shape[rank - 1]))
            #expect(keep.grad!.shape == keep.shape)
            #expect(keep.grad!.scalars(as: Float.self) == Array(repeating: rows, count: shape[rank - 1]))
        }
    }
}
