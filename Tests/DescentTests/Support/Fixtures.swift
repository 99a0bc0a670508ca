import Foundation
@testable import Descent

/// A tensor as the fixture script writes it: shape, dtype and row-major values.
struct TensorFixture: Decodable {
    let shape: [Int]
    let dtype: String
    let values: [Value]

    /// A JSON number, boolean, or the strings "nan", "inf", "-inf".
    enum Value: Decodable {
        case number(Double)
        case bool(Bool)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else {
                switch try c.decode(String.self) {
                case "nan": self = .number(.nan)
                case "inf": self = .number(.infinity)
                default: self = .number(-.infinity)
                }
            }
        }

        var double: Double {
            switch self {
            case .number(let d): d
            case .bool(let b): b ? 1 : 0
            }
        }
    }

    var dtypeValue: DType {
        switch dtype {
        case "float32": .float32
        case "float64": .float64
        case "int64": .int64
        default: .bool
        }
    }

    var doubles: [Double] { values.map(\.double) }

    /// The tensor itself; int64 values are exact because the fixtures stay below 2^53.
    func tensor(requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape, scalars: doubles, dtype: dtypeValue)
        if requiresGrad { t.requiresGrad = true }
        return t
    }
}

enum Fixtures {
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// Whether two value lists agree within `atol + rtol * |expected|`, NaN matching NaN.
func close(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-5, atol: Double = 1e-6) -> Bool {
    guard actual.count == expected.count else { return false }
    for (a, e) in zip(actual, expected) {
        if e.isNaN { if !a.isNaN { return false } else { continue } }
        if e.isInfinite { if a != e { return false } else { continue } }
        if Swift.abs(a - e) > atol + rtol * Swift.abs(e) { return false }
    }
    return true
}
