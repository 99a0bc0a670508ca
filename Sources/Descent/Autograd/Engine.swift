import Synchronization

/// Numbers each backward pass, so nodes can tell whether their scratch state is current.
private let _passCounter = Atomic<Int>(0)

/// Runs the backward pass over a recorded graph.
///
/// Dependency counts and pending gradients live on the nodes themselves, numbered by pass, so a
/// backward pass allocates nothing but the gradients it computes. Two threads may run backward
/// at once on separate graphs; running one graph's backward from two threads at once is not
/// supported.
enum Engine {
    /// Propagates `gradient` from `root` to every reachable leaf, visiting a node only after
    /// all of its consumers have contributed to its gradient.
    static func run(root: AutogradNode, gradient: Tensor, retainGraph: Bool) {
        let pass = _passCounter.wrappingAdd(1, ordering: .relaxed).newValue
        // The work lists hold nodes unretained: every node reachable from `root` is owned by an
        // edge of the graph, which lives as long as `root` and is never cut during the pass.
        // An array of references cost a retain, a release and an out-of-line append for every
        // visit (two walks over every node).
        withUnsafeTemporaryAllocation(of: Unmanaged<AutogradNode>.self, capacity: NodeStack.inlineCapacity) { scratch in
            var stack = NodeStack(scratch.baseAddress!)
            defer { stack.free() }
            // Count, for every node, how many edges lead into it from the part of the graph we run.
            root.pass = pass
            root.dependencies = 0
            stack.push(root)
            while let unmanaged = stack.pop() {
                // Borrowed, not retained: the graph owns the node (see above).
                unmanaged._withUnsafeGuaranteedRef { node in
                    for i in 0..<node.edgeCount {
                        guard let unmanagedNext = node.nextNodeUnretained(i) else { continue }
                        unmanagedNext._withUnsafeGuaranteedRef { next in
                            if next.pass != pass {
                                next.pass = pass
                                next.dependencies = 0
                                // Almost always empty already: a test, not a release call.
                                if next.pendingGrad != nil { next.pendingGrad = nil }
                                stack.push(next)
                            }
                            next.dependencies += 1
                        }
                    }
                }
            }

            root.pendingGrad = gradient
            stack.push(root)   // now the list of nodes ready to run
            while let unmanaged = stack.pop() {
                unmanaged._withUnsafeGuaranteedRef { node in
                    step(node, &stack, retainGraph: retainGraph)
                }
            }
        }
    }

    /// Runs one ready node: its vjp, and the delivery of the results to its inputs' nodes.
    @inline(__always)
    private static func step(_ node: AutogradNode, _ stack: inout NodeStack, retainGraph: Bool) {
        // Moved out (`take`), not copied and then cleared: no count goes up and down.
        guard var grad = node.pendingGrad.take() else { return }
        if let leaf = node.variable {
            leaf._withUnsafeGuaranteedRef { accumulateIntoLeaf(&grad, $0) }
            return
        }
        if let output = node.retainedOutput { accumulate(grad, into: output) }
        if node.vjp2 != nil {
            // One or two inputs: gradients come back as a tuple, no array per node. Called
            // in place: bound to a local first, the closure's context was retained and released.
            let (g0, g1) = node.vjp2.unsafelyUnwrapped(grad, node)
            if !retainGraph { node.releaseSaved() }
            // Moved (`consume`): passed as a copy, each gradient took a count up and down.
            deliver(consume g0, from: node, edge: 0, to: &stack)
            if node.edgeCount > 1 { deliver(consume g1, from: node, edge: 1, to: &stack) }
        } else {
            let inputGrads = node.vjpN!(grad, node)
            if !retainGraph { node.releaseSaved() }
            for i in 0..<node.edgeCount {
                deliver(i < inputGrads.count ? inputGrads[i] : nil, from: node, edge: i, to: &stack)
            }
        }
    }

    /// Hands input `i`'s gradient to the node behind that edge, and queues the node once all
    /// of its consumers have delivered.
    @inline(__always)
    private static func deliver(_ gradient: consuming Tensor?, from node: AutogradNode, edge i: Int, to ready: inout NodeStack) {
        // Borrowed, like the nodes on the work list: the edge owns it.
        guard let unmanaged = node.nextNodeUnretained(i) else { return }
        // Fitted outside the borrow: a value moved into the closure's scope was copied (two
        // retains per delivery), one made there and stored is moved.
        var fitted: Tensor? = nil
        if let g = gradient.take() { fitted = node.fitToInput(g, i) }
        unmanaged._withUnsafeGuaranteedRef { next in
            if let f = fitted.take() {
                if let pending = next.pendingGrad.take() {
                    next.pendingGrad = pending + f
                } else {
                    next.pendingGrad = f
                }
            }
            next.dependencies -= 1
            if next.dependencies == 0 { ready.push(next) }
        }
    }

    /// Reduces a broadcast gradient to its input's shape (PyTorch's `sum_to`) and dtype.
    @inline(__always)
    static func fit(_ grad: consuming Tensor, shape: borrowing [Int], dtype: DType) -> Tensor {
        if grad.dtype == dtype && Shape.same(grad.shape, shape) { return grad }
        return reduce(grad, shape: shape, dtype: dtype)
    }

    /// The work of `fit` for a gradient that does not fit yet, out of line.
    @inline(never)
    private static func reduce(_ grad: Tensor, shape: [Int], dtype: DType) -> Tensor {
        var g = grad
        if g.shape != shape { g = g._sumTo(shape) }
        if g.dtype != dtype { g = g.to(dtype) }
        return g
    }

    /// Like ``accumulate(_:into:)``, but a first gradient that nothing else references (a
    /// fresh, non-view tensor held only here, laid out as the contract below asks) becomes
    /// `.grad` itself instead of being copied, as PyTorch's AccumulateGrad steals such buffers.
    static func accumulateIntoLeaf(_ grad: inout Tensor, _ leaf: Tensor) {
        if leaf._grad == nil, grad.base == nil, obeysLayoutContract(grad, leaf), grad.storageOffset == 0,
           grad.dtype == leaf.dtype, grad.shape == leaf.shape, grad.header.pointee.count == grad.scalarCount,
           !grad._requiresGrad, isKnownUniquelyReferenced(&grad), TensorMemory.isHeldOnce(grad.header) {
            leaf._grad = grad
            return
        }
        accumulate(grad, into: leaf)
    }

    /// Adds into `.grad` in place, or stores a private copy the first time: the incoming
    /// tensor may be shared with other branches of the graph.
    static func accumulate(_ grad: Tensor, into tensor: Tensor) {
        if let existing = tensor._grad {
            existing._addInPlaceNoGraph(grad)
        } else {
            tensor._grad = cloneObeyingLayoutContract(grad, tensor)
        }
    }

    /// PyTorch's gradient layout contract (`utils::obeys_layout_contract`): `.grad` of a
    /// tensor whose elements fill a block of memory has that tensor's strides (a transposed
    /// weight gets a transposed gradient, so an optimizer's update walks both alike); of any
    /// other tensor, contiguous strides.
    static func obeysLayoutContract(_ grad: Tensor, _ tensor: Tensor) -> Bool {
        if grad.isContiguous && tensor.isContiguous && !grad.strides.contains(0) { return true }
        guard tensor._isDense else { return grad.isContiguous }
        for d in 0..<grad.rank {
            if grad.shape[d] != 1 ? grad.strides[d] != tensor.strides[d] : grad.strides[d] == 0 { return false }
        }
        return true
    }

    /// `utils::clone_obey_contract`: a copy of `grad` with `tensor`'s strides when they are
    /// dense, else contiguous.
    static func cloneObeyingLayoutContract(_ grad: Tensor, _ tensor: Tensor) -> Tensor {
        guard tensor._isDense && !tensor.isContiguous else { return grad._contiguousClone() }
        let out = Tensor(freshShape: tensor.shape, denseStrides: tensor.strides, dtype: grad.dtype)
        CopyKernel.copy(grad, into: out)
        return out._recorded("CloneBackward0", grad) { g, _ in (g, nil) }
    }
}

/// A work list of unretained nodes: first in caller-provided scratch memory, then on the heap
/// once a graph outgrows it.
private struct NodeStack {
    static let inlineCapacity = 64
    private var base: UnsafeMutablePointer<Unmanaged<AutogradNode>>
    private var capacity = NodeStack.inlineCapacity
    private var count = 0
    private var onHeap = false

    init(_ scratch: UnsafeMutablePointer<Unmanaged<AutogradNode>>) { base = scratch }

    @inline(__always)
    mutating func push(_ node: AutogradNode) {
        if count == capacity { grow() }
        base[count] = Unmanaged.passUnretained(node)
        count += 1
    }

    @inline(__always)
    mutating func pop() -> Unmanaged<AutogradNode>? {
        guard count > 0 else { return nil }
        count -= 1
        return base[count]
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Unmanaged<AutogradNode>>.allocate(capacity: capacity * 2)
        bigger.initialize(from: base, count: count)
        if onHeap { base.deallocate() }
        base = bigger
        capacity *= 2
        onHeap = true
    }

    func free() {
        if onHeap { base.deallocate() }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (`at::sum_to`).
    func _sumTo(_ target: [Int]) -> Tensor {
        if target.isEmpty { return sum() }
        let lead = rank - target.count
        var reduced = [Bool]._small(repeating: false, count: rank > 4 ? rank : 0)
        var mask = 0
        var any = false, inner = false
        for i in 0..<rank where i < lead || (target[i - lead] == 1 && shape[i] != 1) {
            if rank > 4 { reduced[i] = true } else { mask |= 1 << i }
            any = true
            if i >= lead { inner = true }
        }
        // Small ranks take shared flag arrays (one allocation fewer per bias gradient).
        let flags = rank > 4 ? reduced : Shape.flags(mask, rank: rank)
        if !any { return self.reshape(target) }
        // Only leading dims (a bias): summing them away leaves exactly the target shape.
        if !inner { return _sum(flags, keepDim: false) }
        return _sum(flags, keepDim: true).reshape(target)
    }
}
