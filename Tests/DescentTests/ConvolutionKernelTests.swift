import Testing
@testable import Descent

/// The float32 convolution products that pack im2col's columns straight from the image
/// (conv_gemm.c) against the written-out columns and the same product: equal bit for bit, for
/// the geometries whose edges the packing treats apart (padding, stride, dilation, groups,
/// widths that split a panel across output rows, one and three spatial dimensions), also
/// those for which convolutions take the written-out columns.
struct ConvolutionKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let channels: Int, outChannels: Int, groups: Int
        let input: [Int], kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]
        var testDescription: String {
            "in \(input) k \(kernel) s \(stride) p \(padding) d \(dilation) g \(groups)"
        }
    }

    static let cases: [Case] = [
        Case(channels: 8, outChannels: 16, groups: 1, input: [1, 32, 32], kernel: [1, 3, 3], stride: [1, 1, 1], padding: [0, 1, 1], dilation: [1, 1, 1]),
        Case(channels: 3, outChannels: 6, groups: 1, input: [1, 28, 28], kernel: [1, 5, 5], stride: [1, 1, 1], padding: [0, 0, 0], dilation: [1, 1, 1]),
        Case(channels: 4, outChannels: 4, groups: 2, input: [1, 13, 11], kernel: [1, 3, 2], stride: [1, 2, 3], padding: [0, 2, 1], dilation: [1, 2, 1]),
        Case(channels: 6, outChannels: 6, groups: 6, input: [1, 17, 40], kernel: [1, 3, 3], stride: [1, 1, 1], padding: [0, 1, 1], dilation: [1, 1, 1]),
        Case(channels: 5, outChannels: 7, groups: 1, input: [1, 9, 19], kernel: [1, 4, 7], stride: [1, 1, 1], padding: [0, 3, 5], dilation: [1, 1, 2]),
        Case(channels: 3, outChannels: 5, groups: 1, input: [1, 1, 300], kernel: [1, 1, 9], stride: [1, 1, 2], padding: [0, 0, 4], dilation: [1, 1, 1]),
        Case(channels: 2, outChannels: 4, groups: 1, input: [5, 6, 7], kernel: [3, 2, 3], stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 2, 1]),
        Case(channels: 16, outChannels: 8, groups: 1, input: [1, 10, 24], kernel: [1, 3, 5], stride: [1, 1, 1], padding: [0, 2, 2], dilation: [1, 2, 1]),
        Case(channels: 40, outChannels: 9, groups: 1, input: [1, 6, 6], kernel: [1, 3, 3], stride: [1, 1, 1], padding: [0, 1, 1], dilation: [1, 1, 1]),
    ]

    // One image: with more, the weight gradient's per-thread sums would add in another order.
    @Test(arguments: cases)
    func implicitProductsEqualTheWrittenOutColumns(_ c: Case) {
        let output = (0..<3).map {
            _ConvGeometry.outputSize(input: c.input[$0], kernel: c.kernel[$0], stride: c.stride[$0], padding: c.padding[$0], dilation: c.dilation[$0])
        }
        let g = _ConvGeometry(batch: 1, inChannels: c.channels, outChannels: c.outChannels, groups: c.groups, input: c.input,
                              output: output, kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation)
        let gen = Generator(seed: 7)
        let x = Tensor.randn([1, c.channels] + c.input, generator: gen)
        let w = Tensor.randn([c.outChannels, c.channels / c.groups] + c.kernel, generator: gen)
        let gy = Tensor.randn([1, c.outChannels] + output, generator: gen)
        // The implicit products themselves, whichever path `forward` and `weightGradient`
        // choose for this shape.
        let y = Tensor.zeros([1, c.outChannels] + output)
        let gw = Tensor.zeros(w.shape)
        let (xc, wc, gyc) = (x.contiguous(), w.contiguous(), gy.contiguous())
        let rows0 = g.columnRows, ov0 = g.outputVolume, cog0 = g.outPerGroup, cig = c.channels / c.groups
        for group in 0..<c.groups {
            let image = xc.pointer(Float.self) + group * cig * g.inputVolume
            g.implicitProduct(transposed: false, wc.pointer(Float.self) + group * cog0 * rows0, rows0, 1, image: image,
                              y.pointer(Float.self) + group * cog0 * ov0, m: cog0, accumulate: false)
            g.implicitProduct(transposed: true, gyc.pointer(Float.self) + group * cog0 * ov0, ov0, 1, image: image,
                              gw.pointer(Float.self) + group * cog0 * rows0, m: cog0, accumulate: true)
        }

        // The explicit way: im2col, then the same product per image and group.
        let rows = g.columnRows, ov = g.outputVolume, cog = g.outPerGroup
        var cols = [Float](repeating: .nan, count: c.channels * g.kernelVolume * ov)
        var expectedY = [Float](repeating: 0, count: c.outChannels * ov)
        var expectedGW = [Float](repeating: 0, count: w.shape.reduce(1, *))
        let xs = x.contiguous(), ws = w.contiguous(), gys = gy.contiguous()
        let px = xs.pointer(Float.self), pw = ws.pointer(Float.self), pgy = gys.pointer(Float.self)
        cols.withUnsafeMutableBufferPointer { colsBuffer in
            let pc: UnsafeMutablePointer<Float> = colsBuffer.baseAddress!
            g.im2col(px, channels: c.channels, pc)
            expectedY.withUnsafeMutableBufferPointer { yBuffer in
                expectedGW.withUnsafeMutableBufferPointer { gwBuffer in
                    let py: UnsafeMutablePointer<Float> = yBuffer.baseAddress!, pgw: UnsafeMutablePointer<Float> = gwBuffer.baseAddress!
                    for group in 0..<c.groups {
                        let groupCols: UnsafeMutablePointer<Float> = pc + group * rows * ov
                        let groupGY: UnsafeMutablePointer<Float> = pgy + group * cog * ov
                        _gemm(pw + group * cog * rows, rows, 1, groupCols, ov, 1, py + group * cog * ov,
                              m: cog, k: rows, n: ov, accumulate: false)
                        _gemm(groupGY, ov, 1, groupCols, 1, ov, pgw + group * cog * rows,
                              m: cog, k: ov, n: rows, accumulate: true)
                    }
                }
            }
        }
        let bits = { (t: Tensor) -> [UInt32] in t.contiguous().scalars(as: Float.self).map { $0.bitPattern } }
        #expect(bits(y) == expectedY.map { $0.bitPattern })
        #expect(bits(gw) == expectedGW.map { $0.bitPattern })
    }
}
