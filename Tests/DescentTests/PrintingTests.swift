import Testing
@testable import Descent

/// `description` against PyTorch's `repr`, character for character.
@Suite(.serialized) struct PrintingTests {
    struct Case: Decodable {
        let name: String
        let tensor: TensorFixture
        let requires_grad: Bool
        let options: [String: OptionValue]
        let repr: String
    }

    enum OptionValue: Decodable {
        case int(Int)
        case bool(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else { self = .int(try c.decode(Int.self)) }
        }
    }

    struct File: Decodable { let cases: [Case] }

    static let cases: [Case] = (try? Fixtures.load("printing", as: File.self).cases) ?? []

    @Test func fixturesLoaded() {
        #expect(Self.cases.count > 80)
    }

    @Test(arguments: cases.map(\.name))
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        var options = PrintOptions()
        for (key, value) in c.options {
            switch (key, value) {
            case ("precision", .int(let v)): options.precision = v
            case ("threshold", .int(let v)): options.threshold = v
            case ("edgeitems", .int(let v)): options.edgeItems = v
            case ("linewidth", .int(let v)): options.lineWidth = v
            case ("sci_mode", .bool(let v)): options.sciMode = v
            default: Issue.record("unknown option \(key)")
            }
        }
        let t = c.tensor.tensor(requiresGrad: c.requires_grad)
        #expect(t._repr(options) == c.repr)
    }

    @Test func gradFnSuffix() {
        let w = Tensor([1.5, 2.5], requiresGrad: true)
        #expect((w * 2).description == "tensor([3., 5.], grad_fn=<MulBackward0>)")
        #expect(noGrad { (w * 2).description } == "tensor([3., 5.])")
    }

    @Test func globalOptionsApplyAndReset() {
        PrintOptions.set(precision: 2)
        #expect(Tensor([1.23456]).description == "tensor([1.23])")
        PrintOptions.reset()
        #expect(Tensor([1.23456]).description == "tensor([1.2346])")
    }
}
