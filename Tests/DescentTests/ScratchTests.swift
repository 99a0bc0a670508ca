import Testing
@testable import Descent
struct ScratchTests {
    @Test func scratch() {
        let x = Tensor([Float(1.5)])
        let v = x.var(correction: 1)
        print("v", v, v.shape, x.var(dims: [], correction: 1, keepDim: true))
        let w = x.var(dims: [], correction: 1, keepDim: true)
        print("ls", w.logSoftmax(dim: 0))
    }
}
