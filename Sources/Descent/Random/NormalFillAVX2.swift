// PyTorch's `normal_fill_AVX2`, the Box-Muller transform its AVX2 build runs for `randn` and
// `normal_` over 16 or more contiguous float32 values: eight lanes of a Cephes-style
// logarithm and sine/cosine (its `avx_mathfun.h`), compiled with FMA so that GCC fused each
// multiply that feeds a single add. Reproduced here lane by lane with the same operations and
// the same fusions, checked bit for bit against PyTorch on 320,000 values (`RandomTests`).
// Swift never fuses `a * b + c` on its own, so each fusion below is written out.

extension Tensor {
    /// `normal_fill_16_AVX2` over `data[0..<16]`: lanes 0-7 hold the first uniforms (u1),
    /// lanes 8-15 the second (u2); they become `r cos θ` and `r sin θ`, times `std` plus `mean`.
    static func _normalFill16AVX2(_ data: UnsafeMutablePointer<Float>, mean: Float, std: Float) {
        let twoPi = Float(2.0 * Double.pi)
        for lane in 0..<8 {
            let u1 = 1 - data[lane]
            let u2 = data[lane + 8]
            let radius = (-2 * _avxLog(u1)).squareRoot()
            let (sine, cosine) = _avxSinCos(twoPi * u2)
            data[lane] = mean.addingProduct(radius * cosine, std)
            data[lane + 8] = mean.addingProduct(radius * sine, std)
        }
    }

    /// `log256_ps` for one lane: NaN at or below zero, denormals taken as the smallest normal.
    private static func _avxLog(_ input: Float) -> Float {
        let invalid = !(input > 0)
        let smallestNormal = Float(bitPattern: 0x0080_0000)
        var x = input > smallestNormal ? input : smallestNormal
        let exponent = Int32(bitPattern: x.bitPattern >> 23) - 0x7f
        // The mantissa as a number in [0.5, 1).
        x = Float(bitPattern: (x.bitPattern & ~UInt32(0x7f80_0000)) | Float(0.5).bitPattern)
        var e = Float(exponent) + 1
        let belowRootHalf = x < 0.707106781186547524
        let extra: Float = belowRootHalf ? x : 0
        x = x - 1
        e = e - (belowRootHalf ? 1 : 0)
        x = x + extra
        let z = x * x
        var y: Float = 7.0376836292E-2
        for c: Float in [-1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
                         -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1] {
            y = c.addingProduct(y, x)
        }
        y = y * x
        // y * z + e * q1: the product y * z fused, e * q1 rounded first.
        y = (e * -2.12194440e-4).addingProduct(y, z)
        y = y.addingProduct(-z, 0.5)
        x = (x + y).addingProduct(e, 0.693359375)
        return invalid ? .nan : x
    }

    /// `sincos256_ps` for one lane: Cephes' reduction by π/4 in three parts, then the two
    /// polynomials, each picked for sine or cosine by the octant.
    private static func _avxSinCos(_ input: Float) -> (sin: Float, cos: Float) {
        var x = Swift.abs(input)
        var sineSign = input.bitPattern & 0x8000_0000
        var j = Int32(x * 1.27323954473516)   // truncated, as cvttps2dq does
        j = (j &+ 1) & ~1
        let y = Float(j)
        sineSign ^= UInt32(bitPattern: j & 4) << 29
        let sinePolynomial = j & 2 == 0
        let cosineSign = UInt32(bitPattern: ~(j &- 2) & 4) << 29
        x = x.addingProduct(y, -0.78515625)
        x = x.addingProduct(y, -2.4187564849853515625e-4)
        x = x.addingProduct(y, -3.77489497744594108e-8)
        let z = x * x
        var cosine = Float(-1.388731625493765E-003).addingProduct(2.443315711809948E-005, z)
        cosine = Float(4.166664568298827E-002).addingProduct(cosine, z)
        cosine = cosine * z
        cosine = (-(z * 0.5)).addingProduct(cosine, z)
        cosine = cosine + 1
        var sine = Float(8.3321608736E-3).addingProduct(-1.9515295891E-4, z)
        sine = Float(-1.6666654611E-1).addingProduct(sine, z)
        sine = sine * z
        sine = x.addingProduct(sine, x)
        // Each result is one polynomial plus a zero, as the masked adds compute it.
        let s = sinePolynomial ? 0 + sine : cosine + 0
        let c = sinePolynomial ? cosine + 0 : 0 + sine
        return (Float(bitPattern: s.bitPattern ^ sineSign), Float(bitPattern: c.bitPattern ^ cosineSign))
    }
}
