extension Tensor {
    /// Whether autograd tracks operations on this tensor.
    ///
    /// Set it on a leaf you want gradients for; operations on such a tensor produce results that
    /// require grad too (while ``GradMode/isEnabled``). Only floating-point tensors can require
    /// grad, and only leaves can stop requiring it, as in PyTorch.
    ///
    /// ```swift
    /// let w = Tensor.zeros(2, 3)
    /// w.requiresGrad = true
    /// ```
    public var requiresGrad: Bool {
        // A view requires grad once its base does, even if made before (as in PyTorch).
        get { _requiresGradForRecording }
        set { setRequiresGrad(newValue, factory: false) }
    }

    /// Sets ``requiresGrad`` in place and returns `self`, like `requires_grad_()`.
    ///
    /// ```swift
    /// let b = Tensor.zeros(2).requiresGrad(true)
    /// ```
    @discardableResult
    public func requiresGrad(_ flag: Bool) -> Tensor {
        setRequiresGrad(flag, factory: false)
        return self
    }

    func setRequiresGrad(_ flag: Bool, factory: Bool) {
        if flag && !dtype.isFloatingPoint {
            _fail(factory
                ? "Only Tensors of floating point and complex dtype can require gradients"
                : "only Tensors of floating point dtype can require gradients")
        }
        if !flag && _gradFn != nil {
            _fail("""
                you can only change requires_grad flags of leaf variables. If you want to use a computed variable \
                in a subgraph that doesn't require differentiation use var_no_grad = var.detach().
                """)
        }
        if _gradFn == nil {
            _requiresGrad = flag
            // Made here, on the thread that sets up the leaf, so that threads recording ops on
            // a shared parameter later only read it.
            if flag { _ensureAccumulator() }
        }
    }

    /// Whether this tensor is a leaf of the graph: it does not require grad, or the user made it.
    public var isLeaf: Bool {
        _refreshViewHistory()
        return _gradFn == nil
    }

    /// The node that produced this tensor, or `nil` for leaves (PyTorch's `grad_fn`).
    public var gradFn: AutogradNode? {
        _refreshViewHistory()
        return _gradFn
    }

    /// The gradient that ``backward(gradient:retainGraph:)`` accumulated into this leaf.
    ///
    /// `nil` until the first backward pass; later passes add into the same tensor. Reading it
    /// on a non-leaf that did not call ``retainGrad()`` gives `nil` and PyTorch's warning.
    ///
    /// ```swift
    /// loss.backward()
    /// print(w.grad!)
    /// ```
    public var grad: Tensor? {
        get {
            if _gradFn != nil && !_retainsGrad && _grad == nil { _warnNonLeafGrad() }
            return _grad
        }
        set {
            if let g = newValue, g.shape != shape || g.dtype != dtype {
                _fail("assigned grad has data of a different size or type: expected \(dtype) \(_shapeString(shape)), got \(g.dtype) \(_shapeString(g.shape))")
            }
            _grad = newValue
        }
    }

    /// Asks a non-leaf tensor to keep its gradient in ``grad`` during backward.
    ///
    /// ```swift
    /// let h = x * 2
    /// h.retainGrad()
    /// h.sum().backward()
    /// print(h.grad!)   // tensor([1., 1., 1.])
    /// ```
    public func retainGrad() {
        guard let node = _gradFn else { return }
        if !_requiresGrad { _fail("can't retain_grad on Tensor that has requires_grad=False") }
        _retainsGrad = true
        node.retainedOutput = self
    }

    /// Gives this tensor the node `node` (an in-place op's, or a view's rebuilt history). Its
    /// `retainGrad()` moves along: the old node, which the snapshot of the old value keeps,
    /// stops writing `.grad`, else both nodes would add into it (PyTorch moves its retains_grad
    /// hook the same way).
    func _takeNode(_ node: AutogradNode) {
        if _retainsGrad {
            if let old = _gradFn, old !== node, old.retainedOutput === self { old.retainedOutput = nil }
            node.retainedOutput = self
        }
        _gradFn = node
    }

    /// Whether this non-leaf keeps its gradient (PyTorch's `retains_grad`).
    public var retainsGrad: Bool { _retainsGrad }

    /// A tensor sharing this one's memory and version counter, cut from the graph.
    ///
    /// ```swift
    /// let frozen = w.detach()   // requiresGrad == false, same memory as w
    /// ```
    public func detach() -> Tensor {
        Tensor(over: self, shape: shape, strides: strides, offset: storageOffset, base: nil, contiguous: isContiguous)
    }

    /// Computes gradients of this tensor with respect to the graph's leaves and adds them into
    /// their ``grad``, like `tensor.backward()`.
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some final value with respect to this tensor. May be left
    ///     out only when this tensor has one element.
    ///   - retainGraph: Keep the saved tensors so that backward can run through the graph again;
    ///     `nil` (the default) means the value of `createGraph`, as in PyTorch.
    ///   - createGraph: Record the backward pass itself, so that the gradients it leaves in
    ///     ``grad`` are differentiable again (gradient penalties, Hessian-vector products).
    ///     ``grad(outputs:inputs:gradOutputs:retainGraph:createGraph:allowUnused:)`` is usually
    ///     the better tool: it returns the gradients instead of keeping them in the leaves.
    ///
    /// ```swift
    /// let loss = ((x.matmul(w.t()) + b - y).pow(2)).mean()
    /// loss.backward()
    /// ```
    public func backward(gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) {
        _refreshViewHistory()
        guard _requiresGrad else {
            _fail("element 0 of tensors does not require grad and does not have a grad_fn")
        }
        let seed: Tensor
        if let gradient {
            if gradient.shape != shape {
                _fail("Mismatch in shape: grad_output[0] has a shape of \(_torchSize(gradient.shape)) and output[0] has a shape of \(_torchSize(shape)).")
            }
            seed = gradient.dtype == dtype ? gradient : gradient.to(dtype)
        } else {
            if scalarCount != 1 { _fail("grad can be implicitly created only for scalar outputs") }
            seed = rank == 0 ? Tensor._implicitSeed(dtype) : Tensor.ones(like: self)
        }
        _refreshViewHistory()
        let root = _gradFn ?? _accumulator()
        if createGraph {
            _warnOnce("""
                Using backward() with create_graph=True will create a reference cycle between the parameter and its \
                gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to \
                avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters \
                to None after use to break the cycle and avoid the leak.
                """)
            _ = Engine.runGraph(roots: [(root, seed)], captures: nil, retainGraph: retainGraph ?? true, createGraph: true)
            return
        }
        noGrad { Engine.run(root: root, gradient: seed, retainGraph: retainGraph ?? false) }
    }

    /// The gradient `backward()` starts from for a rank-0 output: a 1 made once per dtype
    /// rather than per call (two objects fewer per training step). Nothing writes to it: the
    /// engine only reads gradients, sums them out of place, and gives `.grad` a copy of any it
    /// does not hold alone (`Engine.accumulateIntoLeaf`), which this never is.
    static func _implicitSeed(_ dtype: DType) -> Tensor {
        switch dtype {
        case .float32: _oneFloat32
        case .float64: _oneFloat64
        default: Tensor.ones([], dtype: dtype)
        }
    }
    private static let _oneFloat32 = Tensor.ones([], dtype: .float32)
    private static let _oneFloat64 = Tensor.ones([], dtype: .float64)

    /// The leaf's `AccumulateGrad` node, shared by every graph that uses the leaf.
    func _accumulator() -> AutogradNode {
        _ensureAccumulator()
        return _accumulatorUnretained.unsafelyUnwrapped.takeUnretainedValue()
    }

    /// Makes the leaf's `AccumulateGrad` node unless it has one. The test is inline: every op
    /// that reads a leaf asks (`AutogradNode.Edge.init`).
    @inline(__always)
    func _ensureAccumulator() {
        if _accumulatorUnretained == nil { _makeAccumulator() }
    }

    @inline(never)
    private func _makeAccumulator() {
        _withGradState { $0.accumulator = AutogradNode(accumulatingInto: self) }
    }

    /// Records `self`, a freshly computed result of one or two inputs, in the autograd graph:
    /// the form every op with a fixed number of inputs uses. It builds no arrays, and does
    /// nothing at all unless an input requires grad while grad mode is on.
    ///
    /// `vjp` receives the gradient of the result and returns one gradient per input (`nil`
    /// where none is needed). `saving` lists up to two tensors the vjp reads through
    /// `node.savedTensor(i)`; with `savingOutput` the result itself is saved after them.
    /// `scalar` is a number the vjp reads as `node.scalar`: a closure that captured it instead
    /// would allocate a context for it on every recorded op.
    @inline(__always)
    @discardableResult
    package func _recorded(
        _ name: StaticString, _ a: Tensor, _ b: Tensor? = nil, saving s0: Tensor? = nil, _ s1: Tensor? = nil,
        savingOutput: Bool = false, scalar: Double = 0,
        _ vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> (Tensor?, Tensor?)
    ) -> Tensor {
        guard a._requiresGradForRecording || (b?._requiresGradForRecording ?? false), GradMode.isEnabled else { return self }
        // Each saved tensor made once and moved into the node: built in a `var` tuple first,
        // every one was copied into the node and the tuple's copy released.
        let output = savingOutput ? SavedTensor(detach(), isOutput: true) : nil
        let node: AutogradNode
        switch (s0, s1) {
        case let (x?, y?):
            node = AutogradNode(name: name, AutogradNode.Edge(a), b.map { AutogradNode.Edge($0) },
                                SavedTensor(x), SavedTensor(y), output, scalar: scalar, vjp: vjp)
        case let (x?, nil), let (nil, x?):
            node = AutogradNode(name: name, AutogradNode.Edge(a), b.map { AutogradNode.Edge($0) },
                                SavedTensor(x), output, nil, scalar: scalar, vjp: vjp)
        case (nil, nil):
            node = AutogradNode(name: name, AutogradNode.Edge(a), b.map { AutogradNode.Edge($0) },
                                output, nil, nil, scalar: scalar, vjp: vjp)
        }
        _gradFn = node
        _requiresGrad = true
        return self
    }

    /// Records the outputs of one op computed together (eigenvalues and eigenvectors, Q and R),
    /// each with a node named `name` whose vjp gets the output's position, its gradient and
    /// the node; `saving` tensors come first among the saved tensors, then every output. An
    /// output is saved detached (no node may own its output) and unpacks, when the backward
    /// pass is recorded, with the node of the output it is, so second derivatives flow through
    /// it. The engine adds the parts each output's node contributes, as the gradient is the
    /// sum over outputs.
    package static func _recordedOutputs(
        _ name: StaticString, _ outputs: [Tensor], inputs: [Tensor], saving: [Tensor],
        _ vjp: @escaping (_ output: Int, _ grad: Tensor, _ node: AutogradNode) -> [Tensor?]
    ) -> [Tensor] {
        guard GradMode.isEnabled, inputs.contains(where: { $0._requiresGradForRecording }) else { return outputs }
        let group = _OutputGroup(name: name, inputs: inputs, saving: saving, outputs: outputs, vjp: vjp)
        for (k, output) in outputs.enumerated() {
            output._gradFn = group.makeNode(k)
            output._requiresGrad = true
        }
        return outputs
    }

    /// A gradient that is a linear function of `g` (a view's gradient placed into zeros, an index
    /// gradient scattered back), computed by `forward` without recording. When the backward pass
    /// is itself recorded (`createGraph`), the result is recorded as `name` with `adjoint` (the
    /// map back, such as the view again) as its vector-Jacobian product, so it is differentiable.
    package static func _linearBackward(
        _ g: Tensor, _ name: StaticString, _ forward: () -> Tensor, adjoint: @escaping (Tensor) -> Tensor
    ) -> Tensor {
        let out = noGrad(forward)
        guard GradMode.isEnabled, g._requiresGradForRecording else { return out }
        return out._recorded(name, g) { gg, _ in (adjoint(gg), nil) }
    }

    /// Records `self`, a freshly computed result of `inputs`, in the autograd graph.
    ///
    /// The forward op computes its value first and then calls this once; `vjp` receives the
    /// gradient of the result and returns one gradient per input (`nil` where none is needed).
    /// `saving` lists tensors the vjp reads through `node.savedTensor(i)`; with `savingOutput`
    /// the result itself is saved after them.
    @discardableResult
    package func _recorded(
        _ name: StaticString, _ inputs: [Tensor], saving: [Tensor] = [], savingOutput: Bool = false,
        _ vjp: @escaping (_ grad: Tensor, _ node: AutogradNode) -> [Tensor?]
    ) -> Tensor {
        var any = false
        for t in inputs where t._requiresGradForRecording { any = true; break }
        guard any && GradMode.isEnabled else { return self }
        var saved = saving.map { SavedTensor($0) }
        if savingOutput { saved.append(SavedTensor(detach(), isOutput: true)) }
        let node = AutogradNode(
            name: name, edges: inputs.map { AutogradNode.Edge($0) },
            saved: saved, vjp: vjp)
        _gradFn = node
        _requiresGrad = true
        return self
    }
}

private func _warnNonLeafGrad() {
    _warnOnce("""
        The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad \
        attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be \
        populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf \
        Tensor by mistake, make sure you access the leaf Tensor instead. See \
        github.com/pytorch/pytorch/pull/30531 for more information.
        """)
}
