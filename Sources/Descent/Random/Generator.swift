import RealModule
import Synchronization

/// A source of random numbers that reproduces PyTorch's CPU generator bit for bit.
///
/// `manualSeed(0)` followed by `Tensor.randn(2, 3)` gives exactly the values of
/// `torch.manual_seed(0); torch.randn(2, 3)`. Pass a generator of your own to keep a stream
/// apart from the global one, as with `torch.Generator`.
///
/// ```swift
/// let g = Generator(seed: 42)
/// let x = Tensor.randn(2, 3, generator: g)   // torch.randn(2, 3, generator=torch.Generator().manual_seed(42))
/// ```
public final class Generator: Sendable {
    /// PyTorch's default seed for a generator nobody seeded.
    public static let defaultSeed: UInt64 = 67_280_421_310_721

    /// The global generator behind ``manualSeed(_:)`` and every random function called
    /// without an explicit generator.
    public static let `default` = Generator()

    struct State: Sendable {
        var engine: MT19937
        var seed: UInt64
        /// The second value of the last Box-Muller pair, kept for the next scalar normal.
        var nextDoubleNormal: Double?
    }

    let state: Mutex<State>

    /// A generator seeded with `seed`.
    public init(seed: UInt64 = Generator.defaultSeed) {
        state = Mutex(State(engine: MT19937(seed: seed), seed: seed, nextDoubleNormal: nil))
    }

    /// Reseeds the generator and forgets any cached normal value, like `Generator.manual_seed`.
    ///
    /// ```swift
    /// let g = Generator().manualSeed(0)
    /// ```
    @discardableResult
    public func manualSeed(_ seed: UInt64) -> Generator {
        state.withLock { $0 = State(engine: MT19937(seed: seed), seed: seed, nextDoubleNormal: nil) }
        // A compiled step that seeds seeds again on every replay, at the same point.
        _CaptureTape.recordCall { [self] in state.withLock { $0 = State(engine: MT19937(seed: seed), seed: seed, nextDoubleNormal: nil) } }
        return self
    }

    /// The seed this generator was last seeded with.
    public var initialSeed: UInt64 { state.withLock { $0.seed } }

    /// Runs `body` with exclusive access to the generator's state.
    func withState<R>(_ body: (inout State) -> R) -> R {
        _CaptureTape.refuse("the step draws random numbers through an op whose draws are not recorded yet")
        return state.withLock { body(&$0) }
    }
}

/// Seeds the global generator, like `torch.manual_seed`.
///
/// ```swift
/// manualSeed(0)
/// let w = Tensor.randn(2, 3, requiresGrad: true)
/// ```
public func manualSeed(_ seed: UInt64) {
    Generator.default.manualSeed(seed)
}

extension Generator.State {
    mutating func random() -> UInt32 { engine.next() }

    mutating func random64() -> UInt64 {
        let hi = UInt64(engine.next())
        let lo = UInt64(engine.next())
        return (hi << 32) | lo
    }

    /// Uniform in [0, 1) from the low 24 bits of one draw (`uniform_real` for float).
    mutating func uniformFloat() -> Float {
        Float(random() & 0xFF_FFFF) * 0x1p-24
    }

    /// Uniform in [0, 1) from the low 53 bits of a 64-bit draw (`uniform_real` for double).
    mutating func uniformDouble() -> Double {
        Double(random64() & ((1 << 53) - 1)) * 0x1p-53
    }

    /// One standard normal by Box-Muller in double, caching the sine half for the next call
    /// (`at::normal_distribution<double>`).
    mutating func normalDouble() -> Double {
        if let cached = nextDoubleNormal {
            nextDoubleNormal = nil
            return cached
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let r = (-2.0 * Double.log(onePlus: -u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        nextDoubleNormal = r * Double.sin(theta)
        return r * Double.cos(theta)
    }
}
