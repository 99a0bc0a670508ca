/// The windows of a pooling op over up to three spatial dimensions (leading ones of size 1
/// for 1-D and 2-D pooling): for each output index along a dimension, the first input index
/// inside the input, how many window positions lie inside, and the step between them.
///
/// Max pooling, average pooling and their adaptive forms differ only in these windows and in
/// what they do with the elements, so they share the loops below.
struct _PoolWindows: Sendable {
    let input: [Int], output: [Int]
    let first: [[Int]], count: [[Int]], step: [Int]
    /// Average pooling's divisor along each dimension for each output index (product over
    /// dimensions gives the divisor), when the windows count padding or differ from `count`.
    let divisorCount: [[Int]]?
    /// Adaptive windows, whose average ATen divides by each dimension's count in turn
    /// (`sum / kh / kw`) instead of by their product.
    var dividesPerDimension = false

    var inputVolume: Int { input[0] * input[1] * input[2] }
    var outputVolume: Int { output[0] * output[1] * output[2] }

    /// PyTorch's `pooling_output_shape`.
    static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool) -> Int {
        let numerator = input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        var size = Int((Double(numerator) / Double(stride)).rounded(.down)) + 1
        if ceilMode && (size - 1) * stride >= input + padding { size -= 1 }
        return size
    }

    /// Windows of `kernel` positions `dilation` apart, `stride` apart, after `padding`.
    init(input: [Int], output: [Int], kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], countIncludePad: Bool?) {
        self.input = input
        self.output = output
        var first: [[Int]] = [], count: [[Int]] = [], divisors: [[Int]] = []
        for d in 0..<3 {
            var f: [Int] = [], c: [Int] = [], q: [Int] = []
            for o in 0..<output[d] {
                let start = o * stride[d] - padding[d]
                if countIncludePad != nil {
                    // Average pooling: a contiguous window, clipped to the padded then the real input.
                    let end = Swift.min(start + kernel[d], input[d] + padding[d])
                    let lo = Swift.max(start, 0), hi = Swift.min(end, input[d])
                    f.append(lo)
                    c.append(Swift.max(0, hi - lo))
                    q.append(countIncludePad! ? end - start : Swift.max(0, hi - lo))
                } else {
                    var jlo = 0
                    if start < 0 { jlo = (-start + dilation[d] - 1) / dilation[d] }
                    var jhi = kernel[d]
                    let room = input[d] - start
                    jhi = room <= 0 ? 0 : Swift.min(jhi, (room - 1) / dilation[d] + 1)
                    f.append(start + jlo * dilation[d])
                    c.append(Swift.max(0, jhi - jlo))
                }
            }
            first.append(f)
            count.append(c)
            divisors.append(q)
        }
        self.first = first
        self.count = count
        self.step = countIncludePad != nil ? [1, 1, 1] : dilation
        self.divisorCount = countIncludePad != nil ? divisors : nil
    }

    /// Adaptive windows: output `o` of `out` covers `floor(o·in/out) ..< ceil((o+1)·in/out)`.
    init(adaptiveInput input: [Int], output: [Int]) {
        self.input = input
        self.output = output
        var first: [[Int]] = [], count: [[Int]] = []
        for d in 0..<3 {
            var f: [Int] = [], c: [Int] = []
            for o in 0..<output[d] {
                let lo = (o * input[d]) / output[d]
                let hi = ((o + 1) * input[d] + output[d] - 1) / output[d]
                f.append(lo)
                c.append(hi - lo)
            }
            first.append(f)
            count.append(c)
        }
        self.first = first
        self.count = count
        self.step = [1, 1, 1]
        self.divisorCount = count
        self.dividesPerDimension = true
    }

    private func planes(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = Threads.parts(work: count * Swift.max(inputVolume, outputVolume), grain: 1 << 16)
        let step = (count + parts - 1) / Swift.max(parts, 1)
        Threads.run(parts) { t in
            let lo = t * step, hi = Swift.min(count, lo + step)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Max over each window, NaN winning as in PyTorch (`val > max || isnan(val)`), with the
    /// flat index of the winner within its plane.
    func max<T: BinaryFloatingPoint & _NumericElement>(_ x: UnsafePointer<T>, planes count: Int, _ y: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>) {
        let (px, py, pi) = (_UncheckedSendable(x), _UncheckedSendable(y), _UncheckedSendable(indices))
        if isTwoByTwo {
            planes(count) { range in self.maxTwoByTwo(px.value, range, py.value, pi.value) }
            return
        }
        planes(count) { range in
            // The window tables as flat buffers: indexing the nested arrays inside the loops
            // (a bounds check and a reference count each) was a fifth of a LeNet step.
            self.withTables { f0, c0, f1, c1, f2, c2 in
                let (H, W) = (self.input[1], self.input[2])
                let (s0, s1, s2) = (self.step[0], self.step[1], self.step[2])
                let (O0, O1, O2) = (self.output[0], self.output[1], self.output[2])
                let inVolume = self.inputVolume, outVolume = self.outputVolume
                for plane in range {
                    let src = px.value + plane &* inVolume
                    var o = plane &* outVolume
                    for od in 0..<O0 {
                        for oh in 0..<O1 {
                            for ow in 0..<O2 {
                                let (fd, fh, fw) = (f0[od], f1[oh], f2[ow])
                                var best = -T.infinity
                                var bestIndex = (fd &* H &+ fh) &* W &+ fw
                                var id = fd
                                for _ in 0..<c0[od] {
                                    var row = (id &* H &+ fh) &* W
                                    for _ in 0..<c1[oh] {
                                        var index = row &+ fw
                                        for _ in 0..<c2[ow] {
                                            let v = src[index]
                                            let take = Self.beats(v, best)
                                            best = take ? v : best
                                            bestIndex = take ? index : bestIndex
                                            index &+= s2
                                        }
                                        row &+= s1 &* W
                                    }
                                    id &+= s0
                                }
                                py.value[o] = best
                                pi.value[o] = Int64(bestIndex)
                                o &+= 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether `v` takes a window's lead from `best`, as in PyTorch (`val > max || isnan(val)`):
    /// a select, not a branch, since on real data which element wins is unpredictable.
    @inline(__always)
    static func beats<T: BinaryFloatingPoint>(_ v: T, _ best: T) -> Bool {
        (unsafeBitCast(v > best, to: UInt8.self) | unsafeBitCast(v != v, to: UInt8.self)) != 0
    }

    /// Whether every window is the 2 x 2 block at (2·oh, 2·ow) of a 2-D plane: `MaxPool2d(2)`
    /// without padding, the pooling of nearly every CNN.
    var isTwoByTwo: Bool {
        input[0] == 1 && output[0] == 1 && step[1] == 1 && step[2] == 1
            && (0..<output[1]).allSatisfy { first[1][$0] == 2 * $0 && count[1][$0] == 2 }
            && (0..<output[2]).allSatisfy { first[2][$0] == 2 * $0 && count[2][$0] == 2 }
    }

    /// ``max(_:planes:_:_:)`` for ``isTwoByTwo`` windows: the four candidates in the general
    /// loop's order (row by row, NaN winning, the first of equal values kept), without its
    /// window tables and its loops of two, which cost 23 ns a window, a quarter of a LeNet step.
    private func maxTwoByTwo<T: BinaryFloatingPoint & _NumericElement>(
        _ x: UnsafePointer<T>, _ range: Range<Int>, _ y: UnsafeMutablePointer<T>, _ indices: UnsafeMutablePointer<Int64>
    ) {
        let (W, OH, OW) = (input[2], output[1], output[2])
        let inVolume = inputVolume, outVolume = outputVolume
        for plane in range {
            let src = x + plane &* inVolume
            var o = plane &* outVolume
            for oh in 0..<OH {
                let top = 2 &* oh &* W
                for ow in 0..<OW {
                    let i0 = top &+ 2 &* ow
                    // The first value starts the window as the general loop's -inf would
                    // leave it (taken unless it is -inf, whose index is the first anyway).
                    var best = src[i0], at = i0
                    @inline(__always) func consider(_ i: Int) {
                        let v = src[i]
                        let take = Self.beats(v, best)
                        best = take ? v : best
                        at = take ? i : at
                    }
                    consider(i0 &+ 1)
                    consider(i0 &+ W)
                    consider(i0 &+ W &+ 1)
                    y[o] = best
                    indices[o] = Int64(at)
                    o &+= 1
                }
            }
        }
    }

    /// The window tables of the three dimensions as buffers.
    private func withTables<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>,
                                        UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> R) -> R {
        first[0].withUnsafeBufferPointer { f0 in count[0].withUnsafeBufferPointer { c0 in
            first[1].withUnsafeBufferPointer { f1 in count[1].withUnsafeBufferPointer { c1 in
                first[2].withUnsafeBufferPointer { f2 in count[2].withUnsafeBufferPointer { c2 in
                    body(f0, c0, f1, c1, f2, c2)
                } }
            } }
        } }
    }

    /// Each window's sum over its divisor (`divisorOverride` when given).
    func average<T: BinaryFloatingPoint & _NumericElement>(_ x: UnsafePointer<T>, planes count: Int, _ y: UnsafeMutablePointer<T>, divisorOverride: Int?) {
        let (px, py) = (_UncheckedSendable(x), _UncheckedSendable(y))
        planes(count) { range in
            let (H, W) = (self.input[1], self.input[2])
            for plane in range {
                let src = px.value + plane * self.inputVolume
                var o = plane * self.outputVolume
                for od in 0..<self.output[0] {
                    for oh in 0..<self.output[1] {
                        for ow in 0..<self.output[2] {
                            let (fd, fh, fw) = (self.first[0][od], self.first[1][oh], self.first[2][ow])
                            let (cd, ch, cw) = (self.count[0][od], self.count[1][oh], self.count[2][ow])
                            if cd == 0 || ch == 0 || cw == 0 {
                                py.value[o] = 0
                                o += 1
                                continue
                            }
                            var sum = T.zero
                            for id in fd..<(fd + cd) {
                                for ih in fh..<(fh + ch) {
                                    let row = src + (id * H + ih) * W
                                    for iw in fw..<(fw + cw) { sum += row[iw] }
                                }
                            }
                            py.value[o] = self.divided(sum, od, oh, ow, divisorOverride)
                            o += 1
                        }
                    }
                }
            }
        }
    }

    /// The gradient of ``average(_:planes:_:divisorOverride:)``: each output's gradient over its
    /// divisor, added to every input of its window.
    func averageBackward<T: BinaryFloatingPoint & _NumericElement>(_ g: UnsafePointer<T>, planes count: Int, _ gx: UnsafeMutablePointer<T>, divisorOverride: Int?) {
        let (pg, px) = (_UncheckedSendable(g), _UncheckedSendable(gx))
        planes(count) { range in
            let (H, W) = (self.input[1], self.input[2])
            for plane in range {
                let dst = px.value + plane * self.inputVolume
                var o = plane * self.outputVolume
                for od in 0..<self.output[0] {
                    for oh in 0..<self.output[1] {
                        for ow in 0..<self.output[2] {
                            let (fd, fh, fw) = (self.first[0][od], self.first[1][oh], self.first[2][ow])
                            let (cd, ch, cw) = (self.count[0][od], self.count[1][oh], self.count[2][ow])
                            let share = self.divided(pg.value[o], od, oh, ow, divisorOverride)
                            o += 1
                            for id in fd..<(fd + cd) {
                                for ih in fh..<(fh + ch) {
                                    let row = dst + (id * H + ih) * W
                                    for iw in fw..<(fw + cw) { row[iw] += share }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `value` over the window's divisor, as ATen divides it.
    @inline(__always)
    private func divided<T: BinaryFloatingPoint>(_ value: T, _ od: Int, _ oh: Int, _ ow: Int, _ override: Int?) -> T {
        if override == nil && dividesPerDimension, let q = divisorCount {
            let inner = q[0][od] == 1 ? value : value / T(q[0][od])
            return inner / T(q[1][oh]) / T(q[2][ow])
        }
        return value / T(divisor(od, oh, ow, override))
    }

    @inline(__always)
    private func divisor(_ od: Int, _ oh: Int, _ ow: Int, _ override: Int?) -> Int {
        if let override { return override }
        let q = divisorCount!
        return q[0][od] * q[1][oh] * q[2][ow]
    }
}

/// `gx[plane][indices[o]] += g[o]`: the gradient of max pooling (and the forward of max
/// unpooling), planes of `inputVolume` in the result and `outputVolume` in `g`.
func _scatterToPlanes<T: _NumericElement>(_ g: UnsafePointer<T>, _ indices: UnsafePointer<Int64>, planes: Int, outputVolume: Int,
                                          _ gx: UnsafeMutablePointer<T>, inputVolume: Int, accumulate: Bool) {
    for plane in 0..<planes {
        let dst = gx + plane * inputVolume
        let src = g + plane * outputVolume, idx = indices + plane * outputVolume
        for o in 0..<outputVolume {
            let i = Int(idx[o])
            dst[i] = accumulate ? T._plus(dst[i], src[o]) : src[o]
        }
    }
}
