import Foundation
@inline(never) func a(_ n: Int) -> [Int] { [Int](repeating: 1, count: n) }
@inline(never) func b(_ n: Int) -> [Int] { Array(unsafeUninitializedCapacity: n) { buf, c in for i in 0..<n { buf[i] = 1 }; c = n } }
@inline(never) func c(_ n: Int) -> [Int] {
    switch n {
    case 1: return [1]
    case 2: return [1, 1]
    case 3: return [1, 1, 1]
    default: return [Int](repeating: 1, count: n)
    }
}
@inline(never) func d(_ n: Int) -> [Int] { var x: [Int] = []; x.reserveCapacity(n); for _ in 0..<n { x.append(1) }; return x }
@inline(never) func e(_ s: [Int]) -> [Int] { s.map { $0 + 1 } }
for (name, f) in [("repeating", a), ("unsafeUninit", b), ("literal", c), ("reserve", d), ("map", { e([Int](repeating: 0, count: $0)) })] as [(String, (Int) -> [Int])] {
    let t0 = Date()
    var s = 0
    for i in 0..<5_000_000 { s &+= f(2 + (i & 0))[0] }
    print(name, Date().timeIntervalSince(t0) / 5e6 * 1e9, "ns", s)
}
