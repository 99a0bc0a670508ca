import Descent

/// `y = x W^T + b`, like `torch.nn.Linear`, initialised as PyTorch initialises it.
///
/// With the global generator seeded, the weights are exactly PyTorch's:
/// ```swift
/// manualSeed(0)
/// let layer = Linear(inFeatures: 3, outFeatures: 2)   // == torch.manual_seed(0); nn.Linear(3, 2)
/// let y = layer(x)                                     // grad_fn=<AddmmBackward0>
/// ```
public final class Linear: Module {
    /// `[outFeatures, inFeatures]`; a `var`, so it can be tied to another layer's weight
    /// (`head.weight = embedding.weight`).
    public var weight: Parameter
    /// `[outFeatures]`, or `nil` without bias.
    public let bias: Parameter?
    /// Features each input row has.
    public let inFeatures: Int
    /// Features each output row has.
    public let outFeatures: Int

    /// Kaiming-uniform weights with `a = sqrt(5)` and a uniform bias in `±1/sqrt(inFeatures)`,
    /// drawn in that order from `generator` (the global one by default).
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, generator: Generator? = nil) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
        // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound sqrt(3) * gain / sqrt(fan_in).
        let gain = (2.0 / 6.0).squareRoot()
        let weightBound = inFeatures > 0 ? 3.0.squareRoot() * gain / Double(inFeatures).squareRoot() : 0
        let w = Tensor.empty([outFeatures, inFeatures])
        w.uniform(from: -weightBound, to: weightBound, generator: generator)
        weight = Parameter(w)
        if bias {
            let b = Tensor.empty([outFeatures])
            b.uniform(from: -bound, to: bound, generator: generator)
            self.bias = Parameter(b)
        } else {
            self.bias = nil
        }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        Functional.linear(input, weight: weight, bias: bias)
    }
}

/// Modules applied one after another, named `0`, `1`, ... as in `torch.nn.Sequential`.
///
/// ```swift
/// let net = Sequential(Linear(inFeatures: 784, outFeatures: 256), ReLU(), Linear(inFeatures: 256, outFeatures: 10))
/// ```
public final class Sequential: Module {
    /// The modules, in the order they run.
    public let layers: [Module]

    /// Modules that run one after another.
    public init(_ layers: Module...) { self.layers = layers }
    /// Modules, given as an array, that run one after another.
    public init(_ layers: [Module]) { self.layers = layers }

    public override var namedChildren: [(String, Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
    public override var namedOwnParameters: [(String, Tensor)] { [] }

    /// The module at `index` (`model[0]`); negative indices count from the end.
    public subscript(index: Int) -> Module {
        let i = index < 0 ? index + layers.count : index
        guard i >= 0 && i < layers.count else { preconditionFailure("index \(index) is out of range") }
        return layers[i]
    }

    /// The modules in `range` as a new `Sequential` sharing them (`model[0:2]`).
    public subscript(range: Range<Int>) -> Sequential { Sequential(Array(layers[range])) }

    /// The number of modules (`len(model)`).
    public var count: Int { layers.count }

    public override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

/// `max(x, 0)`, like `torch.nn.ReLU`.
public final class ReLU: Module {
    public override init() {}
    public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// The logistic function, like `torch.nn.Sigmoid`.
public final class Sigmoid: Module {
    public override init() {}
    public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// The hyperbolic tangent, like `torch.nn.Tanh`.
public final class Tanh: Module {
    public override init() {}
    public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Softmax along `dim`, like `torch.nn.Softmax`.
public final class Softmax: Module {
    /// The dimension the function normalises over.
    public let dim: Int
    /// The function along dimension `dim`.
    public init(dim: Int) { self.dim = dim }
    public override func forward(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }
}

/// Log-softmax along `dim`, like `torch.nn.LogSoftmax`.
public final class LogSoftmax: Module {
    /// The dimension the function normalises over.
    public let dim: Int
    /// The function along dimension `dim`.
    public init(dim: Int) { self.dim = dim }
    public override func forward(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }
}

/// Flattens dimensions `startDim...endDim`, like `torch.nn.Flatten` (from 1 by default).
public final class Flatten: Module {
    /// The first and last dimensions merged.
    public let startDim: Int, endDim: Int
    /// Merges dimensions `startDim...endDim`.
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
    }
    public override func forward(_ input: Tensor) -> Tensor { input.flatten(start: startDim, end: endDim) }
}

/// The Gaussian error linear unit, like `torch.nn.GELU` (`approximate: "tanh"` as a flag).
public final class GELU: Module {
    /// Whether to use PyTorch's tanh approximation.
    public let approximateTanh: Bool
    /// GELU, exact (erf) or with the tanh approximation.
    public init(approximateTanh: Bool = false) { self.approximateTanh = approximateTanh }
    public override func forward(_ input: Tensor) -> Tensor { input.gelu(approximateTanh: approximateTanh) }
}

/// Randomly zeroes elements while training, like `torch.nn.Dropout`; the identity in `eval()`.
public final class Dropout: Module {
    /// The probability of zeroing an element.
    public let p: Double
    /// Dropout with zeroing probability `p`.
    public init(p: Double = 0.5) { self.p = p }
    public override func forward(_ input: Tensor) -> Tensor { isTraining ? input.dropout(p: p) : input }
}
