import Testing
@testable import Descent

/// `grad(outputs:inputs:…)`, `backward(createGraph:)` and custom functions, against PyTorch's
/// behaviour (values worked by hand: they are exact in floating point).
struct HigherOrderTests {
    @Test func secondDerivativeOfACube() {
        let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
        let y = x.pow(3).sum()
        let dy = grad(outputs: [y], inputs: [x], createGraph: true)[0]!
        #expect(dy.scalars(as: Double.self) == [3, 12])
        #expect(dy.gradFn?.name == "MulBackward0")
        let d2y = grad(outputs: [dy.sum()], inputs: [x])[0]!
        #expect(d2y.scalars(as: Double.self) == [6, 12])
        #expect(x.grad == nil, "grad() must not accumulate into .grad")
    }

    @Test func backwardWithCreateGraphKeepsTheGradientDifferentiable() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        (x.pow(3)).sum().backward(createGraph: true)
        #expect(x.grad?.gradFn?.name == "CopyBackwards")
        #expect(x.grad!.scalars(as: Float.self) == [3, 12])
        (x.pow(2)).sum().backward(createGraph: true)
        #expect(x.grad?.gradFn?.name == "AddBackward0")
        #expect(x.grad!.scalars(as: Float.self) == [5, 16])
        // The cycle PyTorch warns about (the leaf holds a gradient whose graph holds the
        // leaf), broken as it advises.
        x.grad = nil
    }

    @Test func savedOutputsAreDifferentiableUnderCreateGraph() {
        // exp saves its result: its second derivative flows through that saved output.
        let x = Tensor([0.5], dtype: .float64, requiresGrad: true)
        let g = grad(outputs: [x.exp().sum()], inputs: [x], createGraph: true)[0]!
        let h = grad(outputs: [g.sum()], inputs: [x])[0]!
        #expect(h.item() == Foundation_exp(0.5))
    }

    @Test func hessianVectorProduct() {
        // f = sum(x_i^2 * x_j) over all i, j: H v by double backward, checked against the formula.
        let x = Tensor([1.0, -2.0, 3.0], dtype: .float64, requiresGrad: true)
        let v = Tensor([0.5, 1.0, -1.0], dtype: .float64)
        let f = (x * x).sum() * x.sum()
        let g = grad(outputs: [f], inputs: [x], createGraph: true)[0]!
        let hv = grad(outputs: [(g * v).sum()], inputs: [x])[0]!
        // H = 2 diag(S) + 2 x 1ᵀ + 2 1 xᵀ with S = sum(x) = 2.
        let xs = [1.0, -2.0, 3.0], vs = [0.5, 1.0, -1.0]
        let sumV: Double = vs.reduce(0, +)
        let xDotV: Double = zip(xs, vs).map { $0 * $1 }.reduce(0, +)
        var expected: [Double] = []
        for i in 0..<3 {
            let diagonal: Double = 4 * vs[i]
            expected.append(diagonal + 2 * xs[i] * sumV + 2 * xDotV)
        }
        #expect(hv.scalars(as: Double.self) == expected)
    }

    @Test func gradientPenaltyTrainsThroughTheGradient() throws {
        // A WGAN-GP style penalty: (|d critic / d input| - 1)^2, differentiated w.r.t. the weights.
        let w = Tensor([[0.5, -1.0]], dtype: .float64, requiresGrad: true)
        let input = Tensor([[1.0, 2.0]], dtype: .float64, requiresGrad: true)
        let critic = input.matmul(w.t()).tanh().sum()
        let gi = grad(outputs: [critic], inputs: [input], createGraph: true)[0]!
        let penalty = ((gi * gi).sum().sqrt() - 1).pow(2)
        penalty.backward()
        #expect(w.grad != nil)
        // gradcheck evaluates without grad mode; the penalty needs it to take its gradient.
        #expect(try gradcheck({ args in enableGrad {
            let c = input.detach().requiresGrad(true)
            let out = c.matmul(args[0].t()).tanh().sum()
            let gc = grad(outputs: [out], inputs: [c], createGraph: true)[0]!
            return ((gc * gc).sum().sqrt() - 1).pow(2)
        } }, inputs: [w.detach().requiresGrad(true)]))
    }

    @Test func unusedInputsAndAllowUnused() {
        let x = Tensor([1.0], requiresGrad: true), z = Tensor([2.0], requiresGrad: true)
        let out = grad(outputs: [(x * 2).sum()], inputs: [x, z], allowUnused: true)
        #expect(out[1] == nil)
        let zeros = grad(outputs: [(x * 2).sum()], inputs: [x, z], materializeGrads: true)
        #expect(zeros[1]!.scalars(as: Float.self) == [0])
    }

    @Test func nonLeafInputsReceiveTheirGradient() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let h = x * 3
        let y = (h * h).sum()
        let gh = grad(outputs: [y], inputs: [h])[0]!
        #expect(gh.scalars(as: Float.self) == [6, 12])
    }

    @Test func customFunctionRecordsOneNamedNode() throws {
        enum Cube: UnaryFunction {
            static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor {
                ctx.saveForBackward(input)
                return input * input * input
            }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? {
                let x = ctx.savedTensors[0]
                return gradOutput * 3 * x * x
            }
        }
        let x = Tensor([1.0, -0.5], dtype: .float64, requiresGrad: true)
        let y = Cube.apply(x)
        #expect(y.gradFn?.name == "CubeBackward")
        #expect(y.gradFn?.nextFunctions.first??.name == "AccumulateGrad")
        #expect(try gradcheck({ Cube.apply($0[0]) }, inputs: [x]))
        // Its backward is made of differentiable ops, so it is differentiable twice.
        #expect(try gradgradcheck({ Cube.apply($0[0]) }, inputs: [x]))
    }

    @Test func customFunctionOfSeveralInputsSkipsThoseWithoutGrad() {
        enum ScaledSum: Function {
            static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
                ctx.values["needs"] = ctx.needsInputGrad
                return inputs[0] + inputs[1] * 2
            }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
                [gradOutput, gradOutput * 2]
            }
        }
        let a = Tensor([1.0, 2.0], requiresGrad: true), b = Tensor([3.0])
        let y = ScaledSum.apply(a, b)
        #expect(y.scalars(as: Float.self) == [7, 8])
        y.sum().backward()
        #expect(a.grad!.scalars(as: Float.self) == [1, 1])
        #expect(b.grad == nil)
    }

    @Test func customFunctionWithoutGradInputsRecordsNothing() {
        enum Double2: UnaryFunction {
            static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor { input * 2 }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? { gradOutput * 2 }
        }
        #expect(Double2.apply(Tensor([1.0])).gradFn == nil)
        let x = Tensor([1.0], requiresGrad: true)
        #expect(noGrad { Double2.apply(x) }.gradFn == nil)
    }
}

/// Custom functions' misuse stops with PyTorch's messages.
@Suite(.serialized)
struct CustomFunctionErrorTests {
    enum TooMany: UnaryFunction {
        static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor { input * 2 }
        static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? { gradOutput }
    }

    @Test func savedTensorModifiedInPlaceIsCaught() async {
        await #expect(processExitsWith: .failure) {
            enum Keep: UnaryFunction {
                static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor {
                    ctx.saveForBackward(input)
                    return input * 2
                }
                static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? { gradOutput * ctx.savedTensors[0] }
            }
            let x = Tensor([1.0], requiresGrad: true)
            let h = x * 1
            let y = Keep.apply(h)
            noGrad { h += 1 }
            y.sum().backward()
        }
    }

    @Test func wrongGradientShapeIsCaught() async {
        await #expect(processExitsWith: .failure) {
            enum Bad: UnaryFunction {
                static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor { input * 2 }
                static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? { Tensor.ones(3) }
            }
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            Bad.apply(x).sum().backward()
        }
    }
}

import Foundation
private func Foundation_exp(_ x: Double) -> Double { Foundation.exp(x) }
