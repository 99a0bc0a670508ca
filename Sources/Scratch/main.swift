import Descent
import Foundation
let g = Generator(seed: 0)
let x = Tensor.randn(1_000_000, 32, generator: g)
let gr = Tensor.randn(1_000_000, 2, generator: g)
func time(_ name: String, _ body: () -> Void) {
    body()
    var best = 1e9
    for _ in 0..<5 { let t0 = Date(); body(); best = min(best, Date().timeIntervalSince(t0)) }
    print(name, String(format: "%.2f ms  %.1f GB/s", best * 1e3, 128e6 / best / 1e9))
}
Threads.count = 1
time("g.t() @ x") { _ = gr.t().matmul(x) }
time("x.t() @ g") { _ = x.t().matmul(gr) }
let a = gr.t().matmul(x), b = x.t().matmul(gr).t()
print((a - b).abs().max().item(as: Double.self), a.abs().max().item(as: Double.self))
let small = Tensor.randn(3, 50, generator: g), big = Tensor.randn(50, 7, generator: g)
print((small.matmul(big) - small.to(.float64).matmul(big.to(.float64)).to(.float32)).abs().max().item(as: Double.self))
