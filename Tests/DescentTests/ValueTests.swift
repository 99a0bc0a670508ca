import Testing
@testable import Descent

/// Ops with discrete or random results against PyTorch, exactly: indices (ties and NaN
/// included), unique, searches, logic, creation, and draws from a seeded generator.
@Suite(.referenceKernels)
struct ValueTests {
    struct Case: Decodable {
        let name: String
        let seed: UInt64?
        let inputs: [TensorFixture]
        let outputs: [TensorFixture]
    }
    struct File: Decodable { let cases: [Case] }
    static let cases: [Case] = (try? Fixtures.load("values", as: File.self).cases) ?? []

    static let ops: [String: @Sendable ([Tensor]) -> [Tensor]] = [
        "argsort_ties": { [$0[0].argsort(dim: 1)] },
        "argsort_descending": { [$0[0].argsort(dim: 1, descending: true)] },
        "sort_nan": { let r = $0[0].sort(dim: 1); return [r.values, r.indices] },
        "sort_descending_nan": { let r = $0[0].sort(dim: 1, descending: true); return [r.values, r.indices] },
        "topk_indices": { let r = $0[0].topk(3, dim: 1); return [r.values, r.indices] },
        "max_ties": { let r = $0[0].max(dim: 1); return [r.values, r.indices] },
        "cummax_ties": { let r = $0[0].cummax(1); return [r.values, r.indices] },
        "cummin_ties": { let r = $0[0].cummin(1); return [r.values, r.indices] },
        "median_indices": { let r = $0[0].median(dim: 1); return [r.values, r.indices] },
        "kthvalue_indices": { let r = $0[0].kthvalue(3, dim: 1); return [r.values, r.indices] },
        "mode_indices": { let r = $0[0].mode(dim: 1); return [r.values, r.indices] },
        "unique": { let r = $0[0].unique(returnInverse: true, returnCounts: true); return [r.values, r.inverse!, r.counts!] },
        "one_hot": { [Tensor.oneHot($0[0]), Tensor.oneHot($0[0], numClasses: 7)] },
        "unique_float": { [$0[0].unique().values] },
        "searchsorted": { [Tensor.searchsorted($0[0], $0[1]), Tensor.searchsorted($0[0], $0[1], right: true)] },
        "searchsorted_rows": { [Tensor.searchsorted($0[0], $0[1])] },
        "bucketize": { [$0[0].bucketize($0[1]), $0[0].bucketize($0[1], right: true)] },
        "count_nonzero": { [$0[0].countNonzero(), $0[0].countNonzero(dims: [1])] },
        "argwhere": { [$0[0].argwhere()] },
        "isclose": { [$0[0].isclose($0[1]), $0[0].isclose($0[1], equalNan: true), $0[0].isclose($0[1], rtol: 0.1, atol: 0)] },
        "logical": { [$0[0].logicalAnd($0[1]), $0[0].logicalOr($0[1]), $0[0].logicalXor($0[1]), $0[0].logicalNot()] },
        "bitwise": {
            [$0[0].bitwiseAnd($0[1]), $0[0].bitwiseOr($0[1]), $0[0].bitwiseXor($0[1]), $0[0].bitwiseNot(),
             $0[0].bitwiseLeftShift(Tensor.full([], 2)), $0[0].bitwiseRightShift(Tensor.full([], 1))]
        },
        "bitwise_bool": { [$0[0].bitwiseAnd($0[1]), $0[0].bitwiseOr($0[1]), $0[0].bitwiseXor($0[1]), $0[0].bitwiseNot()] },
        "fmod_int": { [$0[0].fmod($0[1]), $0[0].remainder($0[1])] },
        "floor_int": { [$0[0].floor(), $0[0].round()] },
        "triu_indices": { _ in
            [Tensor.triuIndices(3, 4), Tensor.triuIndices(4, 3, offset: 1), Tensor.trilIndices(3, 3), Tensor.trilIndices(3, 4, offset: -1)]
        },
        "meshgrid": { Tensor.meshgrid([$0[0], $0[1]]) + Tensor.meshgrid([$0[0], $0[1]], indexing: "xy") },
        "logspace": { _ in [Tensor.logspace(-2, 2, 5), Tensor.logspace(0, 3, 4, base: 2, dtype: .float64)] },
        "linspace": { _ in
            [Tensor.linspace(-Double.pi, Double.pi, 2000), Tensor.linspace(0, 1, 7, dtype: .float64), Tensor.linspace(-5, 3, 33),
             Tensor.linspace(2, 10, 5, dtype: .int64), Tensor.linspace(1, 1, 1)]
        },
        "repeat_interleave_int": { [$0[0].repeatInterleave(2, dim: 1)] },
        "flip_int": { [$0[0].flip(1), $0[0].roll(1, dim: 0), $0[0].tril(), $0[0].cumsum(1), $0[0].cumprod(0)] },
        "gather_int": { [$0[0].gather(1, $0[1]), $0[0].scatterAdd(1, $0[1], $0[0][.all, ..<2])] },
        "pad_int": { [$0[0].pad([1, 1], value: 9)] },
        "cumsum_bool": { [$0[0].cumsum(1)] },
        "bernoulli": { [$0[0].bernoulli()] },
        "bernoulli_double": { [$0[0].bernoulli()] },
        "multinomial_replacement": { [$0[0].multinomial(6, replacement: true)] },
        "multinomial_replacement_double": { [$0[0].multinomial(4, replacement: true)] },
        "multinomial": { [$0[0].multinomial(3)] },
        "multinomial_one": { [$0[0].multinomial(1)] },
        "poisson_small": { [$0[0].poisson()] },
        "poisson_large": { [$0[0].poisson()] },
        "exponential": { _ in
            let a = Tensor.empty([3, 4])
            a.exponential()
            let b = Tensor.empty([5], dtype: .float64)
            b.exponential(lambd: 2.5)
            return [a, b]
        },
        "normal": { _ in
            [Tensor.normal(mean: 2, std: 3, size: [2, 5]), Tensor.normal(mean: Tensor.zeros(3), std: Tensor.ones(3) * 2)]
        },
        "randperm_then_rand": { _ in [Tensor.randperm(7), Tensor.rand(2)] },
    ]

    @Test func everyCaseHasAnOp() {
        #expect(Self.cases.count == Self.ops.count)
        for c in Self.cases { #expect(Self.ops[c.name] != nil, "no Descent op for \(c.name)") }
    }

    @Test(arguments: cases.map(\.name))
    func matchesPyTorchExactly(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let op = try #require(Self.ops[name])
        let inputs = c.inputs.map { $0.tensor() }
        let outputs = exclusiveGlobalGenerator { () -> [Tensor] in
            if let seed = c.seed { manualSeed(seed) }
            return op(inputs)
        }
        #expect(outputs.count == c.outputs.count)
        for (k, (out, expected)) in zip(outputs, c.outputs).enumerated() {
            #expect(out.shape == expected.shape, "\(name) output \(k) shape")
            #expect(out.dtype == expected.dtypeValue, "\(name) output \(k) dtype")
            let got = out.scalars(as: Double.self), want = expected.doubles
            let same = got.count == want.count && zip(got, want).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            #expect(same, "\(name) output \(k): \(got) != \(want)")
        }
    }
}
