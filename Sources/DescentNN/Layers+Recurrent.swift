import Descent

/// The recurrence a recurrent layer runs, PyTorch's `mode`.
public enum RecurrentMode: Sendable {
    /// `h = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`.
    case rnnTanh
    /// The same with ReLU.
    case rnnRelu
    /// Long short-term memory: four gates (input, forget, cell, output) and a cell state.
    case lstm
    /// Gated recurrent unit: three gates (reset, update, new).
    case gru

    var gates: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 1
        case .lstm: 4
        case .gru: 3
        }
    }
}

/// The layers of `RNN`, `LSTM` and `GRU`: stacked, optionally bidirectional, with PyTorch's
/// parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`) and initialisation
/// (every parameter uniform in `±1/sqrt(hiddenSize)`, in that order).
open class RNNBase: Module {
    /// The recurrence.
    public let mode: RecurrentMode
    /// Features of each input step.
    public let inputSize: Int
    /// Features of the hidden state.
    public let hiddenSize: Int
    /// Stacked layers.
    public let numLayers: Int
    /// Whether the layers have biases.
    public let bias: Bool
    /// Whether inputs and outputs are `[batch, time, features]` rather than `[time, batch, features]`.
    public let batchFirst: Bool
    /// Dropout on each layer's output but the last, in training.
    public let dropout: Double
    /// Whether each layer also runs from the last step to the first.
    public let bidirectional: Bool
    /// LSTM only: the size `h` is projected to, or 0.
    public let projSize: Int
    /// Every parameter with its PyTorch name, in PyTorch's order.
    public let flatWeights: [(String, Parameter)]

    /// A stack of `numLayers` recurrent layers; parameters drawn from `generator` (the global
    /// one by default).
    public init(mode: RecurrentMode, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, projSize: Int = 0, generator: Generator? = nil) {
        if dropout < 0 || dropout > 1 {
            preconditionFailure("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        }
        if hiddenSize <= 0 { preconditionFailure("hidden_size must be greater than zero") }
        if numLayers <= 0 { preconditionFailure("num_layers must be greater than zero") }
        if projSize < 0 { preconditionFailure("proj_size should be a positive integer or zero to disable projections") }
        if projSize >= hiddenSize { preconditionFailure("proj_size has to be smaller than hidden_size") }
        if projSize > 0 && mode != .lstm { preconditionFailure("proj_size argument is only supported for LSTM, not RNN or GRU") }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.projSize = projSize
        let directions = bidirectional ? 2 : 1
        let realHidden = projSize > 0 ? projSize : hiddenSize
        let gateSize = mode.gates * hiddenSize
        var weights: [(String, Parameter)] = []
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let layerInput = layer == 0 ? inputSize : realHidden * directions
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                weights.append(("weight_ih" + suffix, Parameter(Tensor.empty([gateSize, layerInput]))))
                weights.append(("weight_hh" + suffix, Parameter(Tensor.empty([gateSize, realHidden]))))
                if bias {
                    weights.append(("bias_ih" + suffix, Parameter(Tensor.empty([gateSize]))))
                    weights.append(("bias_hh" + suffix, Parameter(Tensor.empty([gateSize]))))
                }
                if projSize > 0 { weights.append(("weight_hr" + suffix, Parameter(Tensor.empty([projSize, hiddenSize])))) }
            }
        }
        flatWeights = weights
        super.init()
        resetParameters(generator: generator)
    }

    /// Every parameter uniform in `±1/sqrt(hiddenSize)`, in order, as `reset_parameters`.
    public func resetParameters(generator: Generator? = nil) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        noGrad { for (_, p) in flatWeights { p.uniform(from: -bound, to: bound, generator: generator) } }
    }

    open override var namedOwnParameters: [(String, Tensor)] { flatWeights.map { ($0.0, $0.1 as Tensor) } }
    open override var namedChildren: [(String, Module)] { [] }

    /// The parameter named `name` (`weight_ih_l0`).
    public func parameter(_ name: String) -> Parameter? { flatWeights.first { $0.0 == name }?.1 }

    /// The features each output step has: both directions' hidden (or projected) states.
    var outputFeatures: Int { (projSize > 0 ? projSize : hiddenSize) * (bidirectional ? 2 : 1) }

    /// Runs the stack over `input` from the initial states (`nil`: zeros); returns the last
    /// layer's outputs and each layer-direction's final states, stacked `[layers·directions, B, H]`.
    func run(_ input: Tensor, _ initial: [Tensor]?) -> (Tensor, [Tensor]) {
        let unbatched = input.rank == 2
        if input.rank != 2 && input.rank != 3 {
            preconditionFailure("\(typeName): Expected input to be 2D or 3D, got \(input.rank)D instead")
        }
        var x = unbatched ? input.unsqueeze(1) : (batchFirst ? input.transpose(0, 1) : input)
        if x.shape[2] != inputSize {
            preconditionFailure("input.size(-1) must be equal to input_size. Expected \(inputSize), got \(x.shape[2])")
        }
        let batch = x.shape[1], directions = bidirectional ? 2 : 1
        let realHidden = projSize > 0 ? projSize : hiddenSize
        let stateSizes = mode == .lstm ? [realHidden, hiddenSize] : [realHidden]
        let states: [Tensor] = stateSizes.enumerated().map { k, size in
            guard let given = initial?[k] else { return Tensor.zeros([numLayers * directions, batch, size], dtype: input.dtype) }
            let s = unbatched ? given.unsqueeze(1) : given
            let expected = [numLayers * directions, batch, size]
            if s.shape != expected {
                preconditionFailure("Expected hidden\(mode == .lstm ? (k == 0 ? "[0]" : "[1]") : "") size \(_shapeString(expected)), got \(_shapeString(s.shape))")
            }
            return s
        }
        var finals: [[Tensor]] = stateSizes.map { _ in [] }
        let perDirection = flatWeights.count / (numLayers * directions)
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let w = flatWeights[(index * perDirection)..<((index + 1) * perDirection)].map(\.1)
                let (wIh, wHh) = (w[0], w[1])
                let (bIh, bHh): (Tensor?, Tensor?) = bias ? (w[2], w[3]) : (nil, nil)
                let wHr: Tensor? = projSize > 0 ? w[bias ? 4 : 2] : nil
                let h0 = states[0].select(0, index)
                let reverse = direction == 1
                switch mode {
                case .lstm:
                    let r = Tensor._lstmLayer(x, h0: h0, c0: states[1].select(0, index), wIh: wIh, wHh: wHh, bIh: bIh, bHh: bHh,
                                              wHr: wHr, reverse: reverse)
                    outputs.append(r.output)
                    finals[0].append(r.h)
                    finals[1].append(r.c)
                case .gru, .rnnTanh, .rnnRelu:
                    let (out, h) = Self.compositeLayer(mode, x, h0: h0, wIh: wIh, wHh: wHh, bIh: bIh, bHh: bHh, reverse: reverse)
                    outputs.append(out)
                    finals[0].append(h)
                }
            }
            x = directions == 1 ? outputs[0] : Tensor.cat(outputs, dim: 2)
            if dropout > 0 && isTraining && layer < numLayers - 1 { x = x.dropout(p: dropout) }
        }
        var output = batchFirst && !unbatched ? x.transpose(0, 1) : x
        if unbatched { output = output.squeeze(1) }
        let stacked = finals.map { f -> Tensor in
            let s = Tensor.stack(f)
            return unbatched ? s.squeeze(1) : s
        }
        return (output, stacked)
    }

    /// One GRU or Elman layer-direction, step by step from differentiable ops.
    static func compositeLayer(_ mode: RecurrentMode, _ x: Tensor, h0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor?, bHh: Tensor?,
                               reverse: Bool) -> (Tensor, Tensor) {
        let steps = x.shape[0]
        let inputGates = Functional.linear(x, weight: wIh, bias: bIh)
        var h = h0
        var outputs = [Tensor?](repeating: nil, count: steps)
        for t in reverse ? Array((0..<steps).reversed()) : Array(0..<steps) {
            h = cellStep(mode, inputGates.select(0, t), h, wHh: wHh, bHh: bHh)
            outputs[t] = h
        }
        let output = steps == 0 ? Tensor.zeros([0, x.shape[1], h0.shape[1]], dtype: x.dtype) : Tensor.stack(outputs.map { $0! })
        return (output, h)
    }

    /// One step of a GRU or Elman cell from the input's gates `gi` (`x W_ihᵀ + b_ih`), as
    /// ATen's cells compute it (`n + z · (h - n)` for the GRU).
    static func cellStep(_ mode: RecurrentMode, _ gi: Tensor, _ h: Tensor, wHh: Tensor, bHh: Tensor?) -> Tensor {
        let gh = Functional.linear(h, weight: wHh, bias: bHh)
        switch mode {
        case .gru:
            let i = gi.chunk(3, dim: -1), hh = gh.chunk(3, dim: -1)
            let r = (i[0] + hh[0]).sigmoid(), z = (i[1] + hh[1]).sigmoid()
            let n = (i[2] + r * hh[2]).tanh()
            return n + z * (h - n)
        case .rnnTanh: return (gi + gh).tanh()
        case .rnnRelu: return (gi + gh).relu()
        case .lstm: preconditionFailure("an LSTM step has two states")
        }
    }

    var typeName: String {
        switch mode {
        case .lstm: "LSTM"
        case .gru: "GRU"
        case .rnnTanh, .rnnRelu: "RNN"
        }
    }
}

/// An Elman recurrent network, like `torch.nn.RNN` (`nonlinearity` tanh or ReLU).
///
/// ```swift
/// let rnn = RNN(inputSize: 10, hiddenSize: 20, numLayers: 2)
/// let (output, hN) = rnn(Tensor.randn(5, 3, 10))   // output [5, 3, 20], hN [2, 3, 20]
/// ```
public final class RNN: RNNBase {
    /// A stack of Elman layers; `nonlinearity` is `"tanh"` or `"relu"`.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, generator: Generator? = nil) {
        let mode: RecurrentMode
        switch nonlinearity {
        case "tanh": mode = .rnnTanh
        case "relu": mode = .rnnRelu
        default: preconditionFailure("Unknown nonlinearity '\(nonlinearity)'. Select from 'tanh' or 'relu'.")
        }
        super.init(mode: mode, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    /// The outputs of every step and the final hidden states.
    public func callAsFunction(_ input: Tensor, _ h0: Tensor?) -> (output: Tensor, hN: Tensor) {
        let (output, states) = run(input, h0.map { [$0] })
        return (output, states[0])
    }

    /// The outputs of every step and the final hidden states, from zeros.
    public func callAsFunction(_ input: Tensor) -> (output: Tensor, hN: Tensor) { self(input, nil) }

    public override func forward(_ input: Tensor) -> Tensor { run(input, nil).0 }
}

/// Long short-term memory, like `torch.nn.LSTM` (`projSize` for projected hidden states).
/// Each layer-direction runs as one fused primitive over the whole sequence.
///
/// ```swift
/// let lstm = LSTM(inputSize: 64, hiddenSize: 128, batchFirst: true)
/// let (output, (h, c)) = lstm(Tensor.randn(32, 50, 64))   // output [32, 50, 128]
/// ```
public final class LSTM: RNNBase {
    /// A stack of LSTM layers.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0,
                bidirectional: Bool = false, projSize: Int = 0, generator: Generator? = nil) {
        super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, projSize: projSize, generator: generator)
    }

    /// The outputs of every step and the final hidden and cell states, from `state` (`(h0, c0)`).
    public func callAsFunction(_ input: Tensor, _ state: (Tensor, Tensor)?) -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
        let (output, states) = run(input, state.map { [$0.0, $0.1] })
        return (output, (states[0], states[1]))
    }

    /// The outputs of every step and the final states, from zeros.
    public func callAsFunction(_ input: Tensor) -> (output: Tensor, state: (h: Tensor, c: Tensor)) { self(input, nil) }

    public override func forward(_ input: Tensor) -> Tensor { run(input, nil).0 }
}

/// Gated recurrent units, like `torch.nn.GRU`.
///
/// ```swift
/// let gru = GRU(inputSize: 10, hiddenSize: 20, numLayers: 2, bidirectional: true)
/// let (output, hN) = gru(Tensor.randn(5, 3, 10))   // output [5, 3, 40], hN [4, 3, 20]
/// ```
public final class GRU: RNNBase {
    /// A stack of GRU layers.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0,
                bidirectional: Bool = false, generator: Generator? = nil) {
        super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    /// The outputs of every step and the final hidden states, from `h0`.
    public func callAsFunction(_ input: Tensor, _ h0: Tensor?) -> (output: Tensor, hN: Tensor) {
        let (output, states) = run(input, h0.map { [$0] })
        return (output, states[0])
    }

    /// The outputs of every step and the final hidden states, from zeros.
    public func callAsFunction(_ input: Tensor) -> (output: Tensor, hN: Tensor) { self(input, nil) }

    public override func forward(_ input: Tensor) -> Tensor { run(input, nil).0 }
}

/// One step of a recurrent cell, the parameters and initialisation of `torch.nn.RNNCell`,
/// `LSTMCell` and `GRUCell`: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, uniform in
/// `±1/sqrt(hiddenSize)`.
open class RNNCellBase: Module {
    /// The recurrence.
    public let mode: RecurrentMode
    /// Features of the input.
    public let inputSize: Int
    /// Features of the hidden state.
    public let hiddenSize: Int
    /// `[gates·hiddenSize, inputSize]`.
    public let weightIh: Parameter
    /// `[gates·hiddenSize, hiddenSize]`.
    public let weightHh: Parameter
    /// `[gates·hiddenSize]`, or `nil` without bias.
    public let biasIh: Parameter?
    /// `[gates·hiddenSize]`, or `nil` without bias.
    public let biasHh: Parameter?

    init(mode: RecurrentMode, inputSize: Int, hiddenSize: Int, bias: Bool, generator: Generator?) {
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let gates = mode.gates * hiddenSize
        weightIh = Parameter(Tensor.empty([gates, inputSize]))
        weightHh = Parameter(Tensor.empty([gates, hiddenSize]))
        biasIh = bias ? Parameter(Tensor.empty([gates])) : nil
        biasHh = bias ? Parameter(Tensor.empty([gates])) : nil
        super.init()
        let bound = 1 / Double(hiddenSize).squareRoot()
        noGrad { for p in [weightIh, weightHh, biasIh, biasHh].compactMap({ $0 }) { p.uniform(from: -bound, to: bound, generator: generator) } }
    }

    /// The input as a batch and whether it was one sample.
    func batched(_ input: Tensor, _ name: String) -> (Tensor, Bool) {
        if input.rank != 1 && input.rank != 2 { preconditionFailure("\(name): Expected input to be 1D or 2D, got \(input.rank)D instead") }
        return input.rank == 1 ? (input.unsqueeze(0), true) : (input, false)
    }
}

/// One step of an Elman cell, like `torch.nn.RNNCell`.
///
/// ```swift
/// let cell = RNNCell(inputSize: 10, hiddenSize: 20)
/// var h = Tensor.zeros(3, 20)
/// for x in Tensor.randn(6, 3, 10).unbind(0) { h = cell(x, h) }
/// ```
public final class RNNCell: RNNCellBase {
    /// An Elman cell; `nonlinearity` is `"tanh"` or `"relu"`.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: String = "tanh", generator: Generator? = nil) {
        let mode: RecurrentMode
        switch nonlinearity {
        case "tanh": mode = .rnnTanh
        case "relu": mode = .rnnRelu
        default: preconditionFailure("Unknown nonlinearity: \(nonlinearity)")
        }
        super.init(mode: mode, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, generator: generator)
    }

    /// The next hidden state from `input` and `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor {
        let (x, single) = batched(input, "RNNCell")
        let h = hx.map { single ? $0.unsqueeze(0) : $0 } ?? Tensor.zeros([x.shape[0], hiddenSize], dtype: x.dtype)
        let y = RNNBase.cellStep(mode, Functional.linear(x, weight: weightIh, bias: biasIh), h, wHh: weightHh, bHh: biasHh)
        return single ? y.squeeze(0) : y
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input, nil) }
}

/// One step of a GRU, like `torch.nn.GRUCell`.
///
/// ```swift
/// let cell = GRUCell(inputSize: 10, hiddenSize: 20)
/// let h = cell(Tensor.randn(3, 10), nil)
/// ```
public final class GRUCell: RNNCellBase {
    /// A GRU cell.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, generator: Generator? = nil) {
        super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, generator: generator)
    }

    /// The next hidden state from `input` and `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor {
        let (x, single) = batched(input, "GRUCell")
        let h = hx.map { single ? $0.unsqueeze(0) : $0 } ?? Tensor.zeros([x.shape[0], hiddenSize], dtype: x.dtype)
        let y = RNNBase.cellStep(.gru, Functional.linear(x, weight: weightIh, bias: biasIh), h, wHh: weightHh, bHh: biasHh)
        return single ? y.squeeze(0) : y
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input, nil) }
}

/// One step of an LSTM, like `torch.nn.LSTMCell`: returns the next `(h, c)`.
///
/// ```swift
/// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
/// let (h, c) = cell(Tensor.randn(3, 10), nil)
/// ```
public final class LSTMCell: RNNCellBase {
    /// An LSTM cell.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, generator: Generator? = nil) {
        super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, generator: generator)
    }

    /// The next hidden and cell states from `input` and `state` (zeros when `nil`), as
    /// ATen's `LSTMCell`: `c' = f·c + i·g`, `h' = o·tanh(c')`.
    public func callAsFunction(_ input: Tensor, _ state: (Tensor, Tensor)?) -> (h: Tensor, c: Tensor) {
        let (x, single) = batched(input, "LSTMCell")
        let zeros = Tensor.zeros([x.shape[0], hiddenSize], dtype: x.dtype)
        let h = state.map { single ? $0.0.unsqueeze(0) : $0.0 } ?? zeros
        let c = state.map { single ? $0.1.unsqueeze(0) : $0.1 } ?? zeros
        let gates = (Functional.linear(x, weight: weightIh, bias: biasIh) + Functional.linear(h, weight: weightHh, bias: biasHh)).chunk(4, dim: 1)
        let c2 = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
        let h2 = gates[3].sigmoid() * c2.tanh()
        return single ? (h2.squeeze(0), c2.squeeze(0)) : (h2, c2)
    }

    public override func forward(_ input: Tensor) -> Tensor { self(input, nil).h }
}
