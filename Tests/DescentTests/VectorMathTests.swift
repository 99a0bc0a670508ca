import Testing
import Foundation
import CDescentKernels
@testable import Descent

/// The vectorised float32 `exp` gives the C library's `expf` bit for bit (the whole float
/// range |x| < 88 was checked once, exhaustively; this keeps a sample and the edges).
struct VectorMathTests {
    @Test func expEqualsTheCLibrary() {
        var values: [Float] = [0, -0.0, 1, -1, 87.99, -87.99, 88, -88, 88.7, 89, -103, -104, -150,
                               .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1e-30, -1e-30, 0.5, 2.5]
        let generator = Generator(seed: 3)
        values += Tensor.randn(100_003, generator: generator).scalars(as: Float.self).map { $0 * 30 }
        values += Tensor.rand(50_001, generator: generator).scalars(as: Float.self).map { $0 * 190 - 102 }
        let x = Tensor(shape: [values.count], scalars: values)
        let fast = x.exp().scalars(as: Float.self)
        for (v, e) in zip(values, fast) {
            let expected = Foundation.exp(v)
            if !(expected.bitPattern == e.bitPattern || (expected.isNaN && e.isNaN)) {
                Issue.record("exp(\(v)) = \(e), the C library gives \(expected)")
                return
            }
        }
        // A strided input takes the scalar path; both agree.
        let strided = x[.slice(nil, nil, step: 3)].exp().scalars(as: Float.self)
        #expect(zip(strided, stride(from: 0, to: fast.count, by: 3).map { fast[$0] }).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    }

    /// The recurrent cells' sigmoid and tanh (expf.c, through an exponential within two ulps):
    /// within 4e-7 of float64's over the range that matters, exact at the edges, NaN kept.
    @Test func recurrentActivationsAreCloseToFloat64s() throws {
        try #require(descent_cpu_has_avx2_fma() != 0)
        var values: [Float] = [0, -0.0, 1e-30, -1e-30, 20, -20, 90, -90, 200, -200, .infinity, -.infinity, .nan]
        values += Tensor.randn(20_001, generator: Generator(seed: 5)).scalars(as: Float.self).map { $0 * 6 }
        var sig = values, th = values
        #expect(descent_sigmoid_f32(Int64(sig.count), &sig) == 1)
        #expect(descent_tanh_f32(Int64(th.count), &th) == 1)
        // A value gets the same bits wherever it lies (the last few of a buffer are no exception).
        for i in 0..<40 {
            var one = [values[i]], two = [values[i]]
            _ = descent_sigmoid_f32(1, &one)
            _ = descent_tanh_f32(1, &two)
            #expect(one[0].bitPattern == sig[i].bitPattern && two[0].bitPattern == th[i].bitPattern, "x = \(values[i])")
        }
        for (i, v) in values.enumerated() {
            let x = Double(v)
            let (s, t) = (1 / (1 + Foundation.exp(-x)), Foundation.tanh(x))
            if v.isNaN {
                #expect(sig[i].isNaN && th[i].isNaN)
                continue
            }
            if abs(Double(sig[i]) - s) > 4e-7 * max(s, 1e-30) + 1e-38 || abs(Double(th[i]) - t) > 4e-7 * abs(t) + 1e-38 {
                Issue.record("x = \(v): sigmoid \(sig[i]) (float64 \(s)), tanh \(th[i]) (float64 \(t))")
                return
            }
        }
    }

    /// The LSTM cell's elementwise kernels (recurrent.c) round as the scalar expressions of the
    /// float64 path do, in the AVX2 lanes and in the tails alike (hidden sizes not a multiple of 8).
    @Test(arguments: [1, 13, 128])
    func lstmCellKernelsRoundAsTheScalarCode(hidden: Int) {
        let g = Generator(seed: 21), batch = 3, h = hidden
        func values(_ n: Int) -> [Float] { Tensor.rand(n, generator: g).scalars(as: Float.self).map { $0 * 2 - 0.5 } }
        let gates = values(batch * 4 * h), cp = values(batch * h), d = values(batch * h), th = values(batch * h)
        let dc = values(batch * h)
        var c = [Float](repeating: 0, count: batch * h), copy = c, r = c
        descent_lstm_cell_f32(Int64(batch), Int64(h), gates, cp, &c, &copy)
        descent_lstm_output_f32(Int64(batch), Int64(h), gates, th, &r)
        var dcOut = dc, a = [Float](repeating: 0, count: batch * 4 * h)
        descent_lstm_cell_backward_f32(Int64(batch), Int64(h), gates, th, cp, d, &dcOut, &a)
        for b in 0..<batch {
            for j in 0..<h {
                let row = b * 4 * h, k = b * h + j
                let i = gates[row + j], f = gates[row + h + j], gg = gates[row + 2 * h + j], o = gates[row + 3 * h + j]
                let cell = f * cp[k] + i * gg
                #expect(c[k].bitPattern == cell.bitPattern && copy[k].bitPattern == cell.bitPattern)
                #expect(r[k].bitPattern == (o * th[k]).bitPattern)
                let tc = th[k]
                let dcj = dc[k] + d[k] * o * (1 - tc * tc)
                #expect(a[row + j].bitPattern == (dcj * gg * i * (1 - i)).bitPattern)
                #expect(a[row + h + j].bitPattern == (dcj * cp[k] * f * (1 - f)).bitPattern)
                #expect(a[row + 2 * h + j].bitPattern == (dcj * i * (1 - gg * gg)).bitPattern)
                #expect(a[row + 3 * h + j].bitPattern == (d[k] * tc * o * (1 - o)).bitPattern)
                #expect(dcOut[k].bitPattern == (dcj * f).bitPattern)
            }
        }
    }
}
