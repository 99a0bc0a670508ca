import Testing
import Foundation
@testable import Descent

/// The vectorised float32 `exp` gives the C library's `expf` bit for bit (the whole float
/// range |x| < 88 was checked once, exhaustively; this keeps a sample and the edges).
struct VectorMathTests {
    @Test func expEqualsTheCLibrary() {
        var values: [Float] = [0, -0.0, 1, -1, 87.99, -87.99, 88, -88, 88.7, 89, -103, -104, -150,
                               .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1e-30, -1e-30, 0.5, 2.5]
        let generator = Generator(seed: 3)
        values += Tensor.randn(100_003, generator: generator).scalars(as: Float.self).map { $0 * 30 }
        values += Tensor.rand(50_001, generator: generator).scalars(as: Float.self).map { $0 * 190 - 102 }
        let x = Tensor(shape: [values.count], scalars: values)
        let fast = x.exp().scalars(as: Float.self)
        for (v, e) in zip(values, fast) {
            let expected = Foundation.exp(v)
            if !(expected.bitPattern == e.bitPattern || (expected.isNaN && e.isNaN)) {
                Issue.record("exp(\(v)) = \(e), the C library gives \(expected)")
                return
            }
        }
        // A strided input takes the scalar path; both agree.
        let strided = x[.slice(nil, nil, step: 3)].exp().scalars(as: Float.self)
        #expect(zip(strided, stride(from: 0, to: fast.count, by: 3).map { fast[$0] }).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    }
}
