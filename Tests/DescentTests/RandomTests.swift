import Testing
@testable import Descent
import DescentNN

/// Random streams bit for bit against PyTorch's CPU generator.
@Suite(.serialized, .referenceKernels) struct RandomTests {
    struct Case: Decodable {
        let name: String
        let seed: UInt64
        let tensor: TensorFixture
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("random", as: File.self).cases) ?? []
    /// The same draws from PyTorch's AVX2 build (`random_avx2.json`).
    static let avx2Cases: [Case] = (try? Fixtures.load("random_avx2", as: File.self).cases) ?? []

    /// The Descent call for each named fixture.
    static func draw(_ name: String, _ generator: Generator) -> Tensor {
        let parts = name.split(separator: "_")
        let shape = parts.count == 2 ? parts[1].split(separator: "x").compactMap { Int($0) } : []
        if parts.count == 2 && shape.count == parts[1].split(separator: "x").count {
            switch parts[0] {
            case "randn": return Tensor.randn(shape, generator: generator)
            case "randn64": return Tensor.randn(shape, dtype: .float64, generator: generator)
            case "rand": return Tensor.rand(shape, generator: generator)
            case "rand64": return Tensor.rand(shape, dtype: .float64, generator: generator)
            default: break
            }
        }
        switch name {
        case "randn_seed42": return Tensor.randn(2, 3, generator: generator)
        case "randn_then_cached":
            _ = Tensor.randn(5, generator: generator)
            return Tensor.randn(1, generator: generator)
        case "randn_cache_survives_rand":
            _ = Tensor.randn(5, generator: generator)
            _ = Tensor.rand(2, generator: generator)
            return Tensor.randn(1, generator: generator)
        case "randint_10": return Tensor.randint(0, 10, [6], generator: generator)
        case "randint_range": return Tensor.randint(-5, 5, [4, 5], generator: generator)
        case "randint_huge": return Tensor.randint(0, 1 << 40, [5], generator: generator)
        case "randperm_10": return Tensor.randperm(10, generator: generator)
        case "randperm_30": return Tensor.randperm(30, generator: generator)
        case "randperm_2000": return Tensor.randperm(2000, generator: generator)
        case "normal_mean2_std0.5_37": return Tensor.empty([37])._filledNormal(2, 0.5, generator)
        case "normal64_mean2_std0.5_37": return Tensor.empty([37], dtype: .float64)._filledNormal(2, 0.5, generator)
        case "normal_mean2_std0.5_5": return Tensor.empty([5])._filledNormal(2, 0.5, generator)
        case "uniform_linear_bound_300":
            let t = Tensor.empty([300])
            let bound = 1 / Double(3).squareRoot()
            t.uniform(from: -bound, to: bound, generator: generator)
            return t
        case "uniform64_2_5_100":
            let t = Tensor.empty([100], dtype: .float64)
            t.uniform(from: 2, to: 5, generator: generator)
            return t
        case "randn_4099": return Tensor.randn(4099, generator: generator)
        case "linear_20_7_weight": return Linear(inFeatures: 20, outFeatures: 7, generator: generator).weight.detach()
        case "notebook_w": return Tensor.randn(2, 3, generator: generator)
        case "notebook_b":
            _ = Tensor.randn(2, 3, generator: generator)
            return Tensor.randn(2, generator: generator)
        default:
            fatalError("no Descent call for fixture \(name)")
        }
    }

    @Test func fixturesLoaded() {
        #expect(Self.cases.count > 30)
        #expect(Self.avx2Cases.count == Self.cases.count)
    }

    /// PyTorch's AVX2 build: its vectorised normal fill and fused uniform, whatever CPU runs
    /// the test (Descent's emulation of that build is plain Swift).
    @Test(arguments: avx2Cases.map(\.name))
    func bitForBitOnTheAVX2Build(_ name: String) throws {
        let c = try #require(Self.avx2Cases.first { $0.name == name })
        let t = CPUCapability.$override.withValue(.avx2) { Self.draw(name, Generator(seed: c.seed)) }
        #expect(t.shape == c.tensor.shape)
        #expect(t.scalars(as: Double.self) == c.tensor.doubles, "\(name)")
    }

    @Test(arguments: cases.map(\.name))
    func bitForBit(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let t = Self.draw(name, Generator(seed: c.seed))
        #expect(t.shape == c.tensor.shape)
        #expect(t.dtype == c.tensor.dtypeValue)
        // Exact equality: every bit of every value.
        #expect(t.scalars(as: Double.self) == c.tensor.doubles)
    }

    @Test func globalSeedMatchesExplicitGenerator() {
        exclusiveGlobalGenerator {
            manualSeed(0)
            let a = Tensor.randn(2, 3).scalars(as: Float.self)
            #expect(a == [1.5409961, -0.29342890, -2.1787894, 0.56843126, -1.0845224, -1.3985955])
            manualSeed(0)
            #expect(Tensor.randn(2, 3).scalars(as: Float.self) == a)
        }
    }

    @Test func savedStateReplaysTheStream() {
        let g = Generator(seed: 3)
        _ = Tensor.randn(7, generator: g)
        _ = Tensor.randn(1, dtype: .float64, generator: g)   // leaves a cached Box-Muller value
        let saved = g.getState()
        let a = Tensor.randn(5, dtype: .float64, generator: g).scalars(as: Double.self) + Tensor.randperm(9, generator: g).scalars(as: Int.self).map(Double.init)
        let other = Generator(seed: 99)
        #expect(other.setState(saved))
        let b = Tensor.randn(5, dtype: .float64, generator: other).scalars(as: Double.self) + Tensor.randperm(9, generator: other).scalars(as: Int.self).map(Double.init)
        #expect(a == b)
        #expect(other.initialSeed == 3)
        #expect(!other.setState(Tensor.zeros(628)))                      // float, not int64
        #expect(!other.setState(Tensor.zeros(5, dtype: .int64)))         // wrong length
        #expect(!other.setState(Tensor.full([628], -1, dtype: .int64)))  // words out of range
    }

    @Test func mersenneTwisterMatchesStdMt19937() {
        var engine = MT19937(seed: 0)
        #expect([engine.next(), engine.next(), engine.next(), engine.next()] == [2357136044, 2546248239, 3071714933, 3626093760])
    }

    @Test func requiresGradFactory() {
        exclusiveGlobalGenerator {
            let w = Tensor.randn(2, 3, requiresGrad: true)
            #expect(w.requiresGrad && w.isLeaf && w.gradFn == nil)
        }
    }
}

extension Tensor {
    /// `normal_(mean, std)` on this tensor, returned for chaining.
    func _filledNormal(_ mean: Double, _ std: Double, _ generator: Generator) -> Tensor {
        normal(mean: mean, std: std, generator: generator)
        return self
    }
}
