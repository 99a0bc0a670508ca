import Descent

// `torch.nn.functional` names for the activations, padding and window ops, so that
// `F.silu(x)` ports as `Functional.silu(x)`; each is the tensor method of the same name.

extension Functional {
    /// `log(1 + e^(βx)) / β`, like `F.softplus`.
    public static func softplus(_ input: Tensor, beta: Double = 1, threshold: Double = 20) -> Tensor {
        input.softplus(beta: beta, threshold: threshold)
    }
    /// `x · sigmoid(x)`, like `F.silu`.
    public static func silu(_ input: Tensor) -> Tensor { input.silu() }
    /// `x · tanh(softplus(x))`, like `F.mish`.
    public static func mish(_ input: Tensor) -> Tensor { input.mish() }
    /// Like `F.leaky_relu`.
    public static func leakyRelu(_ input: Tensor, negativeSlope: Double = 0.01) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
    /// Like `F.elu`.
    public static func elu(_ input: Tensor, alpha: Double = 1) -> Tensor { input.elu(alpha: alpha) }
    /// Like `F.selu`.
    public static func selu(_ input: Tensor) -> Tensor { input.selu() }
    /// Like `F.celu`.
    public static func celu(_ input: Tensor, alpha: Double = 1) -> Tensor { input.celu(alpha: alpha) }
    /// Like `F.hardtanh`.
    public static func hardtanh(_ input: Tensor, minVal: Double = -1, maxVal: Double = 1) -> Tensor {
        input.hardtanh(minVal: minVal, maxVal: maxVal)
    }
    /// Like `F.relu6`.
    public static func relu6(_ input: Tensor) -> Tensor { input.relu6() }
    /// Like `F.hardsigmoid`.
    public static func hardsigmoid(_ input: Tensor) -> Tensor { input.hardsigmoid() }
    /// Like `F.hardswish`.
    public static func hardswish(_ input: Tensor) -> Tensor { input.hardswish() }
    /// Like `F.logsigmoid`.
    public static func logsigmoid(_ input: Tensor) -> Tensor { input.logsigmoid() }
    /// Like `F.softsign`.
    public static func softsign(_ input: Tensor) -> Tensor { input.softsign() }
    /// Like `F.threshold`.
    public static func threshold(_ input: Tensor, _ threshold: Double, _ value: Double) -> Tensor { input.threshold(threshold, value) }
    /// Like `F.glu`.
    public static func glu(_ input: Tensor, dim: Int = -1) -> Tensor { input.glu(dim: dim) }
    /// Like `F.pad`.
    ///
    /// ```swift
    /// let padded = Functional.pad(x, [1, 1], mode: .reflect)
    /// ```
    public static func pad(_ input: Tensor, _ padding: [Int], mode: PaddingMode = .constant, value: Double = 0) -> Tensor {
        input.pad(padding, mode: mode, value: value)
    }
    /// Sliding blocks as columns, like `F.unfold`.
    public static func unfold(_ input: Tensor, kernelSize: [Int], dilation: [Int] = [1, 1], padding: [Int] = [0, 0], stride: [Int] = [1, 1]) -> Tensor {
        input.unfold(kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
    }
    /// Columns summed back into images, like `F.fold`.
    public static func fold(_ input: Tensor, outputSize: [Int], kernelSize: [Int], dilation: [Int] = [1, 1], padding: [Int] = [0, 0], stride: [Int] = [1, 1]) -> Tensor {
        input.fold(outputSize: outputSize, kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
    }
}
