/// What a custom function's forward leaves for its backward, like the `ctx` of
/// `torch.autograd.Function`: saved tensors (guarded by version counters), other values, and
/// which inputs need a gradient.
///
/// ```swift
/// ctx.saveForBackward(input)          // in forward
/// let input = ctx.savedTensors[0]     // in backward
/// ```
public final class FunctionContext {
    /// Whether each input needs a gradient (`ctx.needs_input_grad`): a backward may return
    /// `nil` for the others and skip their work.
    public let needsInputGrad: [Bool]
    /// Values other than tensors that forward keeps for backward (`ctx.constant = …`).
    public var values: [String: Any] = [:]

    private var pending: [Tensor] = []
    /// The node running this backward, set only while it runs; reading saved tensors through
    /// it checks their versions and whether backward already freed them.
    private unowned(unsafe) var node: AutogradNode?

    init(needsInputGrad: [Bool]) { self.needsInputGrad = needsInputGrad }

    /// Keeps tensors for backward (`ctx.save_for_backward`); call it once, in forward.
    /// Modifying one of them in place before backward runs stops backward with PyTorch's error.
    public func saveForBackward(_ tensors: Tensor...) { saveForBackward(tensors) }

    /// Keeps an array of tensors for backward.
    public func saveForBackward(_ tensors: [Tensor]) { pending = tensors }

    /// The tensors given to ``saveForBackward(_:)-([Tensor])`` (`ctx.saved_tensors`).
    public var savedTensors: [Tensor] {
        guard let node else { return pending }
        return (0..<node.savedCount).map { node.savedTensor($0) }
    }

    /// The saved tensors handed to the node that records the function.
    func takeSaved() -> [Tensor] {
        defer { pending = [] }
        return pending
    }

    func running<R>(_ node: AutogradNode, _ body: () -> R) -> R {
        self.node = node
        defer { self.node = nil }
        return body()
    }
}

/// A differentiable function with a hand-written backward, like `torch.autograd.Function`.
///
/// The forward runs without recording (as PyTorch's does); applying the function records one
/// node named after the type (`LegendrePolynomial3Backward`), whose backward is yours. The
/// backward may use any tensor ops: with `createGraph` it is recorded, so a function built from
/// differentiable ops is differentiable twice. ``UnaryFunction`` and ``BinaryFunction`` are the
/// same with one and two inputs.
///
/// ```swift
/// enum ScaledSum: Function {
///     static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
///         inputs[0] + inputs[1] * 2
///     }
///     static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
///         [gradOutput, gradOutput * 2]
///     }
/// }
/// let y = ScaledSum.apply(a, b)   // grad_fn=<ScaledSumBackward>
/// ```
public protocol Function {
    /// Computes the result from the inputs; save what backward needs in `ctx`.
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor
    /// Maps the gradient of the result to one gradient per input (`nil` for none).
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?]
}

extension Function {
    /// Runs the function and records it in the graph (`Function.apply`).
    public static func apply(_ inputs: Tensor...) -> Tensor { apply(inputs) }

    /// Runs the function on an array of inputs and records it in the graph.
    public static func apply(_ inputs: [Tensor]) -> Tensor {
        _applyCustomFunction(Self.self, inputs, forward: forward, backward: backward)
    }
}

/// A ``Function`` of one tensor, so that forward and backward read as PyTorch's do.
///
/// The tutorial's Legendre polynomial, line by line:
/// ```swift
/// enum LegendrePolynomial3: UnaryFunction {
///     static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor {
///         ctx.saveForBackward(input)
///         return 0.5 * (5 * input.pow(3) - 3 * input)
///     }
///     static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor? {
///         let input = ctx.savedTensors[0]
///         return gradOutput * 1.5 * (5 * input.pow(2) - 1)
///     }
/// }
/// let P3 = LegendrePolynomial3.apply
/// let yPred = a + b * P3(c + d * x)
/// ```
public protocol UnaryFunction {
    /// Computes the result; save what backward needs in `ctx`.
    static func forward(_ ctx: FunctionContext, _ input: Tensor) -> Tensor
    /// The gradient for the input, or `nil`.
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> Tensor?
}

extension UnaryFunction {
    /// Runs the function and records it in the graph.
    public static func apply(_ input: Tensor) -> Tensor {
        _applyCustomFunction(Self.self, [input], forward: { forward($0, $1[0]) }, backward: { [backward($0, $1)] })
    }
}

/// A ``Function`` of two tensors.
///
/// ```swift
/// enum Hypot: BinaryFunction {
///     static func forward(_ ctx: FunctionContext, _ a: Tensor, _ b: Tensor) -> Tensor {
///         let r = (a * a + b * b).sqrt()
///         ctx.saveForBackward(a, b, r)
///         return r
///     }
///     static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> (Tensor?, Tensor?) {
///         let s = ctx.savedTensors
///         return (gradOutput * s[0] / s[2], gradOutput * s[1] / s[2])
///     }
/// }
/// ```
public protocol BinaryFunction {
    /// Computes the result; save what backward needs in `ctx`.
    static func forward(_ ctx: FunctionContext, _ a: Tensor, _ b: Tensor) -> Tensor
    /// The gradients for both inputs (`nil` for none).
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> (Tensor?, Tensor?)
}

extension BinaryFunction {
    /// Runs the function and records it in the graph.
    public static func apply(_ a: Tensor, _ b: Tensor) -> Tensor {
        _applyCustomFunction(Self.self, [a, b], forward: { forward($0, $1[0], $1[1]) }, backward: {
            let (ga, gb) = backward($0, $1)
            return [ga, gb]
        })
    }
}

/// Runs a custom function's forward without recording and records its backward as one node
/// named `<Type>Backward`, checking what backward returns as PyTorch's engine does.
package func _applyCustomFunction(
    _ type: Any.Type, _ inputs: [Tensor],
    forward: (FunctionContext, [Tensor]) -> Tensor,
    backward: @escaping (FunctionContext, Tensor) -> [Tensor?]
) -> Tensor {
    let recording = GradMode.isEnabled
    let needs = inputs.map { recording && $0._requiresGradForRecording }
    let ctx = FunctionContext(needsInputGrad: needs)
    var output = noGrad { forward(ctx, inputs) }
    // An input returned as it is still gets a node of its own: the result is a new alias.
    if inputs.contains(where: { $0 === output }) || output._gradFn != nil || output._requiresGrad {
        output = output.detach()
    }
    let saved = ctx.takeSaved().map { t in t === output ? SavedTensor(output.detach(), isOutput: true) : SavedTensor(t) }
    guard needs.contains(true) else { return output }
    if !output.dtype.isFloatingPoint { return output }
    let name = "\(type)Backward"
    let shapes = inputs.map(\.shape)
    let node = AutogradNode(dynamicName: name, edges: inputs.map { AutogradNode.Edge($0) }, saved: saved) { g, node in
        let grads = ctx.running(node) { backward(ctx, g) }
        if grads.count != shapes.count {
            _fail("function \(name) returned an incorrect number of gradients (expected \(shapes.count), got \(grads.count))")
        }
        for (i, grad) in grads.enumerated() {
            guard let grad, node.needsInputGrad(i) else { continue }
            if !Shape.canBroadcast(shapes[i], to: grad.shape) {
                _fail("Function \(name) returned an invalid gradient at index \(i) - got \(grad.shape) but expected shape compatible with \(shapes[i])")
            }
        }
        return grads.enumerated().map { node.needsInputGrad($0.offset) ? $0.element : nil }
    }
    output._gradFn = node
    output._requiresGrad = true
    return output
}
