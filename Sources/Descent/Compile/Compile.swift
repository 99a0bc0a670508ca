/// A training step that runs as a recorded plan after its first calls, made by `compile { … }`.
///
/// The first call with a new kind of input (shapes, dtypes, grad mode) runs eagerly, to warm
/// up: optimizers make their state, parameters get their `.grad`. The second runs eagerly too,
/// under a recorder that keeps every kernel the step runs, forward, `backward()` and the
/// updates alike, with the memory it used. From the third call on the plan is replayed: the
/// same kernels on the same memory, so the same bits as eager calls, without making tensors,
/// graph nodes or shapes. Up to eight kinds of input keep a plan each.
///
/// What a plan cannot repeat faithfully keeps the step eager, with a note on standard error
/// the first time saying why (also in ``fallbackReason``):
/// - reading a value back in the step (`item()`, `scalars(as:)`, printing, and ops that decide
///   from a value, such as `nonzero`; `clipGradNorm` and the built-in optimizers' `step()`
///   are run again as a whole on every replay instead),
/// - drawing random numbers through an op whose draws are not recorded yet (`randperm`,
///   `multinomial`); `rand`, `randn`, `randint`, `bernoulli`, dropout and `manualSeed` are
///   recorded, and each replay draws again from the same generator, as an eager call would,
/// - an op whose kernel does not record itself yet (the recorder sees memory written outside
///   a recorded kernel).
///
/// Swift values the step reads (a learning rate in a local variable) are part of the plan as
/// they were when it was recorded, as with CUDA graphs: pass a value that changes as a tensor,
/// or change it through the optimizer (whose update is re-run as a whole on every replay, with
/// its step count and learning rate as they are then). A parameter given other memory
/// (`Module.to(_:)`) or whose `requiresGrad` changed makes the step record again.
///
/// Consecutive elementwise ops over the same number of elements (`d = p - y`, then `d * d`)
/// run fused: one pass over memory, a chunk of elements at a time through each op in turn,
/// with intermediates that nothing reads later kept in a small scratch buffer instead of
/// memory. Each element meets the same kernels in the same order, so the bits do not change.
///
/// The step's result is returned as a value: a new tensor holding the result's elements,
/// detached from any graph. Inputs are copied into the plan's own memory on each call.
///
/// ```swift
/// let x = Tensor([[73, 67, 43], [91, 88, 64]]), y = Tensor([[56, 70], [81, 101]])
/// let w = Tensor.randn(2, 3, requiresGrad: true), b = Tensor.randn(2, requiresGrad: true)
/// let step = compile { (x: Tensor, y: Tensor) -> Tensor in
///     let d = x.matmul(w.t()) + b - y
///     let loss = (d * d).sum() / d.scalarCount
///     loss.backward()
///     noGrad {
///         w -= w.grad! * 1e-5
///         b -= b.grad! * 1e-5
///         w.grad!.zero()
///         b.grad!.zero()
///     }
///     return loss
/// }
/// for _ in 0..<100 { _ = step(x, y) }
/// ```
public final class CompiledStep {
    private let arity: Int
    private let body: ([Tensor]) -> Tensor
    private var plans: [PlanKey: Plan] = [:]
    private var order: [PlanKey] = []
    private var warmedUp: Set<PlanKey> = []
    private var refused: [PlanKey: String] = [:]
    /// The plan the last call used, with its key.
    private var lastPlan: (key: PlanKey, plan: Plan)?

    /// Whether plans run runs of elementwise passes chunk by chunk (`DESCENT_COMPILE_FUSION=0`
    /// turns it off, to measure what it brings).
    static let fuses = _environment("DESCENT_COMPILE_FUSION") != "0"

    /// At most this many kinds of input keep a plan; the oldest is dropped for a new one.
    public static let planLimit = 8

    /// Why the last call ran eagerly after its warm-up, or nil when it replayed a plan.
    public private(set) var fallbackReason: String?
    /// How many times a step was recorded (a new kind of input, or a parameter given new memory).
    public private(set) var recordings = 0
    /// How many calls replayed a plan.
    public private(set) var replays = 0

    /// The bytes of memory the plans hold (for tests).
    var planBytes: Int { plans.values.reduce(0) { $0 + $1.tape.heldBytes } }

    /// How many elementwise passes of the kept plans run chunk by chunk with others, and how
    /// many intermediates live in scratch instead of memory (for tests).
    var fusion: (passes: Int, scratch: Int) {
        plans.values.reduce((0, 0)) { ($0.0 + $1.tape.fusedPasses, $0.1 + $1.tape.scratchBlocks) }
    }

    init(arity: Int, _ body: @escaping ([Tensor]) -> Tensor) {
        self.arity = arity
        self.body = body
    }

    private struct PlanKey: Hashable {
        var shapes: [[Int]], dtypes: [DType], grad: Bool
    }

    private final class Plan {
        let tape: _CaptureTape
        /// The plan's own copies of the inputs, which every call refills.
        let inputs: [Tensor]
        let output: Tensor
        init(tape: _CaptureTape, inputs: [Tensor], output: Tensor) {
            (self.tape, self.inputs, self.output) = (tape, inputs, output)
        }
    }

    /// Runs the step on `inputs`.
    public func callAsFunction(_ inputs: Tensor...) -> Tensor { run(inputs, times: 1) }

    /// Runs the step `times` times on the same inputs and returns the last result: a whole
    /// loop as one call (`lax.fori_loop`), for loops whose body reads nothing back. Once a plan
    /// exists, the inputs are copied in once and the plan is replayed `times` times.
    ///
    /// ```swift
    /// let last = step.repeated(500, x, y)
    /// ```
    public func repeated(_ times: Int, _ inputs: Tensor...) -> Tensor {
        precondition(times > 0, "a compiled loop runs at least once")
        return run(inputs, times: times)
    }

    private func run(_ inputs: [Tensor], times: Int) -> Tensor {
        if inputs.count != arity { _fail("the compiled step takes \(arity) inputs (got \(inputs.count))") }
        // Gradients with respect to an input would go to the plan's copy of it.
        if inputs.contains(where: \.requiresGrad) {
            let reason = "an input requires grad (capture tensors that need gradients in the step, as parameters are)"
            if fallbackReason != reason { _warnOnce("compile: the step runs eagerly because \(reason)") }
            fallbackReason = reason
            return eager(inputs, times: times)
        }
        // The plan of the last call, when the inputs are of the same kind again (most calls):
        // compared in place, without making and hashing a key.
        let plan: Plan?, key: PlanKey
        if let (lastKey, last) = lastPlan, lastKey.grad == GradMode.isEnabled,
           zip(inputs, zip(lastKey.shapes, lastKey.dtypes)).allSatisfy({ $0.dtype == $1.1 && Shape.same($0.shape, $1.0) }) {
            (plan, key) = (last, lastKey)
        } else {
            key = PlanKey(shapes: inputs.map(\.shape), dtypes: inputs.map(\.dtype), grad: GradMode.isEnabled)
            plan = plans[key]
            lastPlan = plan.map { (key, $0) }
        }
        var remaining = times
        if let plan {
            if plan.tape.outsideUnchanged() {
                fallbackReason = nil
                noGrad { for (mine, given) in zip(plan.inputs, inputs) { mine._copyRaw(given) } }
                for _ in 0..<times { plan.tape.replay() }
                replays += times
                return noGrad { plan.output.clone() }
            }
            // A parameter has other memory or another requiresGrad: record again.
            plans[key] = nil
            lastPlan = nil
            order.removeAll { $0 == key }
        }
        if let reason = refused[key] {
            fallbackReason = reason
            return eager(inputs, times: times)
        }
        if !warmedUp.contains(key) {
            warmedUp.insert(key)
            let result = body(inputs)
            remaining -= 1
            if remaining == 0 { return result }
        }
        return record(inputs, key: key, times: remaining)
    }

    private func eager(_ inputs: [Tensor], times: Int) -> Tensor {
        var result = body(inputs)
        for _ in 1..<times { result = body(inputs) }
        return result
    }

    /// Runs the step once under the recorder, then keeps the plan or the reason it cannot be
    /// kept, and runs any calls left.
    private func record(_ inputs: [Tensor], key: PlanKey, times: Int) -> Tensor {
        recordings += 1
        // The plan's inputs: its own memory, made before the capture (so not part of it).
        let mine = noGrad { inputs.map { $0.clone() } }
        let tape = _CaptureTape()
        let output = tape.capturing { body(mine) }
        if let reason = tape.verdict() {
            refused[key] = reason
            fallbackReason = reason
            _warnOnce("compile: the step runs eagerly because \(reason)")
            return times > 1 ? eager(inputs, times: times - 1) : output
        }
        fallbackReason = nil
        if Self.fuses { tape.fuse() }
        if plans.count >= Self.planLimit, let oldest = order.first {
            plans[oldest] = nil
            if lastPlan?.key == oldest { lastPlan = nil }
            order.removeFirst()
        }
        let plan = Plan(tape: tape, inputs: mine, output: output)
        plans[key] = plan
        order.append(key)
        for _ in 1..<times { plan.tape.replay() }
        replays += times - 1
        return noGrad { output.clone() }
    }
}

/// Compiles a training step that takes no inputs (its data captured, like the notebook's
/// `inputs` and `targets`): see ``CompiledStep``.
///
/// ```swift
/// let inputs = Tensor([[73, 67, 43], [91, 88, 64]]), targets = Tensor([[56, 70], [81, 101]])
/// let w = Tensor.randn(2, 3, requiresGrad: true), b = Tensor.randn(2, requiresGrad: true)
/// let step = compile { () -> Tensor in
///     let d = inputs.matmul(w.t()) + b - targets
///     let loss = (d * d).mean()
///     loss.backward()
///     noGrad {
///         w -= w.grad! * 1e-5
///         b -= b.grad! * 1e-5
///         w.grad = nil
///         b.grad = nil
///     }
///     return loss
/// }
/// let loss = step.repeated(500)   // 500 epochs in one call
/// ```
public func compile(_ body: @escaping () -> Tensor) -> CompiledStep {
    CompiledStep(arity: 0) { _ in body() }
}

/// Compiles a training step of one input: see ``CompiledStep``.
public func compile(_ body: @escaping (Tensor) -> Tensor) -> CompiledStep {
    CompiledStep(arity: 1) { body($0[0]) }
}

/// Compiles a training step of two inputs (a batch and its targets): see ``CompiledStep``.
public func compile(_ body: @escaping (Tensor, Tensor) -> Tensor) -> CompiledStep {
    CompiledStep(arity: 2) { body($0[0], $0[1]) }
}

/// Compiles a training step of three inputs: see ``CompiledStep``.
public func compile(_ body: @escaping (Tensor, Tensor, Tensor) -> Tensor) -> CompiledStep {
    CompiledStep(arity: 3) { body($0[0], $0[1], $0[2]) }
}
