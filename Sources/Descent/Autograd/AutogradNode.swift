/// One recorded operation in the autograd graph: PyTorch's `grad_fn`.
///
/// Its `name` is the class name PyTorch prints, so `print(loss)` ends in
/// `grad_fn=<DivBackward0>` exactly as in Python.
///
/// ```swift
/// let y = Tensor.randn(3, requiresGrad: true).exp()
/// print(y.gradFn!.name)   // ExpBackward0
/// ```
public final class AutogradNode: @unchecked Sendable {
    /// PyTorch's name for this node, such as `MmBackward0` or `AccumulateGrad`.
    public var name: String { extras?.custom?.name ?? staticName.description }
    /// Kept as the literal it is: a `String` field cost a count up and down per recorded op.
    private let staticName: StaticString

    /// Where each input's gradient goes, with the input's shape and dtype to reduce broadcast
    /// gradients (`sum_to`) and cast them.
    struct Edge {
        /// The input's `grad_fn`, or the leaf itself, whose `AccumulateGrad` node receives its
        /// gradient: the node does not keep its leaf alive, so the edge keeps the leaf. One
        /// reference rather than a node and a leaf side by side (one count fewer per edge).
        enum Target {
            case node(AutogradNode)
            case leaf(Tensor)
        }
        let target: Target?
        let shape: [Int]
        let dtype: DType

        /// The edge an op records for `input`: its `grad_fn`, its leaf, or none.
        /// Borrowed: an initializer's parameters are otherwise passed owned (a retain by the
        /// caller, a release here); only what the edge keeps is copied.
        @inline(__always)
        init(_ input: borrowing Tensor) {
            dtype = input.dtype
            input._refreshViewHistory()
            if !input._requiresGrad {
                // No gradient goes this way, so the shape is never read: not holding it saves
                // a reference count on the input's shape array now and again at the node's end.
                target = nil
                shape = []
                return
            }
            if let fn = input._gradFn {
                target = .node(fn)
            } else {
                // Every leaf that requires grad has its accumulator (`setRequiresGrad` makes
                // it); made here only for one that got the flag some other way.
                input._ensureAccumulator()
                target = .leaf(copy input)
            }
            shape = input.shape
        }

        /// The node that receives this edge's gradient, without a reference count: valid while
        /// the edge lives (it owns the node, or the leaf that owns its accumulator).
        @inline(__always)
        var nodeUnretained: Unmanaged<AutogradNode>? {
            switch target {
            case .node(let n): Unmanaged.passUnretained(n)
            case .leaf(let t): t._accumulatorUnretained.unsafelyUnwrapped
            case nil: nil
            }
        }
    }

    /// What few nodes need, boxed so that the common node carries one reference for all of it:
    /// every stored reference is released when a node ends, even a `nil` one.
    private final class Extras {
        /// The third edge, inline: `addmm` has three inputs, and an array for it would be one
        /// more allocation per recorded `Linear`.
        var edge2: Edge?
        /// Edges after the first three.
        var moreEdges: [Edge] = []
        /// Saved tensors after the first two.
        var moreSaved: [SavedTensor] = []
        /// The vjp of a node with any number of inputs.
        var vjpN: ((_ grad: Tensor, _ node: AutogradNode) -> [Tensor?])?
        /// A non-leaf output that asked for `retainGrad()`: a `weak` reference costs runtime
        /// calls to create, read and destroy.
        weak var retained: Tensor?
        /// The node a `CopySlices` node runs for the slice it wrote, whose saved tensors go
        /// when this node's go.
        var wrapped: AutogradNode?
        /// What only custom functions and multi-output ops need, one reference for both.
        var custom: Custom?
    }

    /// A run-time name (a custom `Function`'s) and, for an output of a multi-output op, which
    /// saved tensors are sibling outputs (the op, and which output each is).
    final class Custom {
        var name: String?
        var siblings: [Int: (group: _OutputGroup, index: Int)] = [:]
    }

    /// A node named at run time, with any number of inputs: a custom ``Function``'s.
    convenience init(dynamicName: String, edges: [Edge], saved: [SavedTensor], vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> [Tensor?]) {
        self.init(name: "Function", edges: edges, saved: saved, vjp: vjp)
        let custom = Custom()
        custom.name = dynamicName
        extras!.custom = custom
    }

    /// Marks saved tensor `i` as output `index` of `group` (a sibling of this node's output).
    func setSibling(_ i: Int, _ group: _OutputGroup, _ index: Int) {
        let box = extrasBox()
        if box.custom == nil { box.custom = Custom() }
        box.custom!.siblings[i] = (group, index)
    }

    /// How many tensors the node saved.
    var savedCount: Int {
        (saved0 == nil ? 0 : 1) + (saved1 == nil ? 0 : 1) + (extras?.moreSaved.count ?? 0)
    }

    /// The node this one runs inside its vjp (`CopySlices` runs the in-place op's node).
    var wrappedNode: AutogradNode? {
        get { extras?.wrapped }
        set { extrasBox().wrapped = newValue }
    }

    // The first two edges and saved tensors are stored inline: most ops have one or two
    // inputs, and an array each would cost an allocation per recorded op.
    private let edge0: Edge?
    private let edge1: Edge?
    private var extras: Extras?
    /// The number of inputs.
    let edgeCount: Int

    /// Edge `i` from the third on, copied: the first two are read in place on the hot paths,
    /// where a copy would count the edge's references up and down.
    private func laterEdge(_ i: Int) -> Edge {
        i == 2 ? extras!.edge2! : extras!.moreEdges[i - 3]
    }

    /// The node behind edge `i` without a reference count: valid while this node (which owns
    /// the edge) lives and its edges are not replaced, which they never are.
    @inline(__always)
    func nextNodeUnretained(_ i: Int) -> Unmanaged<AutogradNode>? {
        switch i {
        case 0: edge0?.nodeUnretained
        case 1: edge1?.nodeUnretained
        default: laterEdge(i).nodeUnretained
        }
    }

    /// `grad` reduced to input `i`'s shape and dtype (`Engine.fit`), reading the edge in place.
    @inline(__always)
    func fitToInput(_ grad: consuming Tensor, _ i: Int) -> Tensor {
        switch i {
        case 0: Engine.fit(grad, shape: edge0!.shape, dtype: edge0!.dtype)
        case 1: Engine.fit(grad, shape: edge1!.shape, dtype: edge1!.dtype)
        default: fitToLaterInput(grad, i)
        }
    }

    /// `fitToInput` for the third input on, out of line so that the common case stays small
    /// enough to inline.
    @inline(never)
    private func fitToLaterInput(_ grad: consuming Tensor, _ i: Int) -> Tensor {
        let edge = laterEdge(i)
        return Engine.fit(grad, shape: edge.shape, dtype: edge.dtype)
    }

    /// The nodes that receive this node's input gradients; `nil` where an input needs none.
    public var nextFunctions: [AutogradNode?] {
        (0..<edgeCount).map { i in nextNodeUnretained(i)?.takeUnretainedValue() }
    }
    /// Tensors the vector-Jacobian product reads; emptied after backward unless retained.
    private var saved0: SavedTensor?
    private var saved1: SavedTensor?
    private var savedWereReleased = false
    /// Maps the gradient of the output to the gradients of the inputs: `vjp2` for ops with one
    /// or two inputs (a tuple, so no array is built per backward step), `vjpN` for the rest.
    let vjp2: ((_ grad: Tensor, _ node: AutogradNode) -> (Tensor?, Tensor?))?
    var vjpN: ((_ grad: Tensor, _ node: AutogradNode) -> [Tensor?])? { extras?.vjpN }
    /// For `AccumulateGrad`, the leaf whose `.grad` receives the result. Not counted: the leaf
    /// owns this node, and every graph that reaches the node holds the leaf in the edge that
    /// leads here, so the leaf outlives every backward pass through it. `Unmanaged` rather than
    /// `unowned(unsafe)`, so the engine borrows it (a strong copy retained it on every delivery).
    let variable: Unmanaged<Tensor>?
    /// A number the vjp needs (the divisor of `x / 2`, for one), kept here rather than
    /// captured: a closure that captures a number allocates a context for it.
    package var scalar: Double = 0
    /// A non-leaf output that asked for `retainGrad()`.
    var retainedOutput: Tensor? {
        get { extras?.retained }
        set { extrasBox().retained = newValue }
    }

    private func extrasBox() -> Extras {
        if let extras { return extras }
        let box = Extras()
        extras = box
        return box
    }

    // Scratch state of the backward pass running through this node (see Engine).
    var pass = 0
    var dependencies = 0
    var pendingGrad: Tensor?

    init(
        name: StaticString, edges: [Edge], saved: [SavedTensor],
        vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> [Tensor?]
    ) {
        staticName = name
        edgeCount = edges.count
        edge0 = edges.count > 0 ? edges[0] : nil
        edge1 = edges.count > 1 ? edges[1] : nil
        saved0 = saved.count > 0 ? saved[0] : nil
        saved1 = saved.count > 1 ? saved[1] : nil
        vjp2 = nil
        variable = nil
        let box = Extras()
        box.edge2 = edges.count > 2 ? edges[2] : nil
        box.moreEdges = edges.count > 3 ? Array(edges[3...]) : []
        box.moreSaved = saved.count > 2 ? Array(saved[2...]) : []
        box.vjpN = vjp
        extras = box
    }

    /// A node with at most two inputs and three saved tensors, built without arrays unless it
    /// saves three.
    init(
        name: StaticString, _ e0: Edge, _ e1: Edge?, _ s0: SavedTensor?, _ s1: SavedTensor?, _ s2: SavedTensor?,
        scalar: Double, vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> (Tensor?, Tensor?)
    ) {
        staticName = name
        self.scalar = scalar
        edge0 = e0
        edge1 = e1
        edgeCount = e1 == nil ? 1 : 2
        saved0 = s0
        saved1 = s1
        vjp2 = vjp
        variable = nil
        if let s2 {
            let box = Extras()
            box.moreSaved = [s2]
            extras = box
        }
    }

    /// The `AccumulateGrad` node of a leaf.
    init(accumulatingInto leaf: Tensor) {
        staticName = "AccumulateGrad"
        edge0 = nil
        edge1 = nil
        edgeCount = 0
        vjp2 = nil
        variable = Unmanaged.passUnretained(leaf)
    }

    /// The shape of input `i`, which the edge keeps for inputs that need a gradient (the only
    /// ones a vjp computes for), so reductions need not capture it.
    package func inputShape(_ i: Int) -> [Int] {
        switch i {
        case 0: edge0!.shape
        case 1: edge1!.shape
        default: laterEdge(i).shape
        }
    }

    /// Whether input `i` needs a gradient; a vjp may skip work for the others.
    @inline(__always)
    package func needsInputGrad(_ i: Int) -> Bool { nextNodeUnretained(i) != nil }

    /// Reads saved tensor `i`, failing with PyTorch's messages when backward already freed it
    /// or when it was modified in place after it was saved.
    package func savedTensor(_ i: Int) -> Tensor {
        checkNotReleased()
        let s = (i == 0 ? saved0 : i == 1 ? saved1 : extras!.moreSaved[i - 2])!
        if s.tensor.version != s.version {
            let t = s.tensor
            var producer = ""
            if let name = s.isOutput ? self.name : t._gradFn?.name {
                producer = ", which is output 0 of \(Self.forwardName(name)),"
            }
            _fail("""
                one of the variables needed for gradient computation has been modified by an inplace operation: \
                [\(t.dtype.legacyTypeName) \(_shapeString(t.shape))]\(producer) is at version \(t.version); \
                expected version \(s.version) instead. Hint: enable anomaly detection to find the operation that \
                failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).
                """)
        }
        if s.isOutput && GradMode.isEnabled { return unpackOutput(s.tensor, i) }
        return s.tensor
    }

    /// A saved output read while the backward pass records a graph (`createGraph`): it is
    /// saved detached (a node cannot own its own output), so the tensor handed out gets its
    /// node back as its `grad_fn`, as PyTorch's SavedVariable does on unpacking: this node, or
    /// for a sibling output of a multi-output op, that output's node made again.
    @inline(never)
    private func unpackOutput(_ t: Tensor, _ i: Int) -> Tensor {
        let alias = Tensor(over: t, shape: t.shape, strides: t.strides, offset: t.storageOffset, base: nil, contiguous: t.isContiguous)
        if let sibling = extras?.custom?.siblings[i] {
            alias._gradFn = sibling.group.makeNode(sibling.index)
        } else {
            alias._gradFn = self
        }
        alias._requiresGrad = true
        return alias
    }

    /// Fails with PyTorch's message when a backward pass without `retainGraph` already went
    /// through this node.
    package func checkNotReleased() {
        if savedWereReleased {
            _fail("""
                Trying to backward through the graph a second time (or directly access saved tensors after they have \
                already been freed). Saved intermediate values of the graph are freed when you call .backward() or \
                autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or \
                if you need to access saved tensors after calling backward.
                """)
        }
    }

    /// Frees saved tensors after a backward pass that did not ask to retain the graph.
    func releaseSaved() {
        if let extras, let inner = extras.wrapped {
            inner.releaseSaved()
            // PyTorch's CopySlices lets go of the op it runs, saved tensors or not, and
            // refuses a second pass.
            savedWereReleased = true
        }
        if saved0 != nil {
            saved0 = nil
            if saved1 != nil { saved1 = nil }
            if let extras, !extras.moreSaved.isEmpty { extras.moreSaved = [] }
            savedWereReleased = true
        }
    }

    /// PyTorch names the forward op in messages: `ExpBackward0` becomes `Exp`, and an
    /// overload's number other than 0 stays, so `MaxBackward1` becomes `Max1`.
    static func forwardName(_ name: String) -> String {
        let chars = Array(name)
        let marker = Array("Backward")
        var i = chars.count - marker.count
        while i >= 0 {
            if Array(chars[i..<i + marker.count]) == marker {
                let suffix = String(chars[(i + marker.count)...])
                return String(chars[..<i]) + (suffix == "0" ? "" : suffix)
            }
            i -= 1
        }
        // A node that is not a generated `…Backward` function (CopySlices) is named by its C++
        // class, as PyTorch's message prints it.
        return "torch::autograd::" + name
    }
}

/// A tensor kept for backward, with the storage version it had when it was saved.
struct SavedTensor {
    let tensor: Tensor
    let version: Int
    /// Whether this is the node's own output (saved as a detached alias to avoid a reference
    /// cycle); the in-place error message then names the node. A flag rather than the name:
    /// a string here made every read of a saved tensor retain and release it too.
    let isOutput: Bool

    init(_ tensor: Tensor, isOutput: Bool = false) {
        self.tensor = tensor
        self.version = tensor.version
        self.isOutput = isOutput
    }
}

/// What a multi-output op recorded: its inputs, the tensors it saved, its outputs (detached)
/// and its vector-Jacobian product. Each output's node is made from it; a node that unpacks a
/// sibling output under `createGraph` makes that sibling's node again, so second derivatives
/// flow through every output whether or not the caller kept it. Nothing here refers to a
/// node, so no cycle forms.
final class _OutputGroup {
    let name: StaticString
    let inputs: [Tensor]
    let saving: [Tensor]
    let outputs: [Tensor]
    let vjp: (_ output: Int, _ grad: Tensor, _ node: AutogradNode) -> [Tensor?]

    init(name: StaticString, inputs: [Tensor], saving: [Tensor], outputs: [Tensor],
         vjp: @escaping (_ output: Int, _ grad: Tensor, _ node: AutogradNode) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.saving = saving
        self.outputs = outputs.map { $0.detach() }
        self.vjp = vjp
    }

    /// The node of output `k`: edges to the inputs, the saved tensors, then every output.
    func makeNode(_ k: Int) -> AutogradNode {
        let saved = saving.map { SavedTensor($0) } + outputs.map { SavedTensor($0, isOutput: true) }
        let vjp = self.vjp
        let node = AutogradNode(name: name, edges: inputs.map { AutogradNode.Edge($0) }, saved: saved) { g, node in vjp(k, g, node) }
        for j in outputs.indices where j != k { node.setSibling(saving.count + j, self, j) }
        return node
    }
}

