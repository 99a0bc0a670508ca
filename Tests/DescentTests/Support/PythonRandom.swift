/// Python's `random` module, as far as a ported program needs it: `random.seed(n)` and
/// `random.randint(a, b)`, drawing the same numbers as CPython (MT19937 seeded by
/// `init_by_array`, `randint` through `getrandbits` rejection).
struct PythonRandom {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.seed(seed)` for a non-negative integer seed below 2^32.
    init(seed: UInt32) {
        initGenrand(19_650_218)
        let key = [seed]
        var i = 1, j = 0
        for _ in 0..<Swift.max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    private mutating func next() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `random.randint(a, b)`: `a + _randbelow(b - a + 1)` for ranges below 2^32.
    mutating func randint(_ a: Int, _ b: Int) -> Int {
        let n = UInt32(b - a + 1)
        let k = 32 - n.leadingZeroBitCount
        var r = next() >> (32 - UInt32(k))
        while r >= n { r = next() >> (32 - UInt32(k)) }
        return a + Int(r)
    }
}
