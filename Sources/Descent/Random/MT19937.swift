/// The 32-bit Mersenne Twister, identical to `std::mt19937` and to PyTorch's `at::mt19937`.
struct MT19937: Sendable {
    private static let n = 624
    private static let m = 397
    private var state: [UInt32]
    private var index: Int

    /// PyTorch's `init_genrand`: only the low 32 bits of the seed are used.
    init(seed: UInt64) {
        var s = [UInt32](repeating: 0, count: MT19937.n)
        s[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<MT19937.n {
            s[j] = 1_812_433_253 &* (s[j - 1] ^ (s[j - 1] >> 30)) &+ UInt32(j)
        }
        state = s
        index = MT19937.n
    }

    /// The 624 state words and the position in them, for saving a generator.
    var words: (state: [UInt32], index: Int) { (state, index) }

    /// A twister restored from ``words``; `nil` unless there are 624 words and `index` is 0...624.
    init?(state: [UInt32], index: Int) {
        guard state.count == MT19937.n, (0...MT19937.n).contains(index) else { return nil }
        self.state = state
        self.index = index
    }

    /// The next 32-bit output.
    mutating func next() -> UInt32 {
        if index >= MT19937.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        let n = MT19937.n, m = MT19937.m
        state.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let y = (s[i] & 0x8000_0000) | (s[(i + 1) % n] & 0x7fff_ffff)
                var v = s[(i + m) % n] ^ (y >> 1)
                if y & 1 != 0 { v ^= 0x9908_b0df }
                s[i] = v
            }
        }
        index = 0
    }
}
