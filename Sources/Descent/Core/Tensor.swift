/// An n-dimensional array with PyTorch's semantics: reference identity, views that share
/// storage, a run-time dtype, and reverse-mode automatic differentiation.
///
/// `Tensor` is a class so that the notebook's workflow holds: `loss.backward()` fills the same
/// `w.grad` you read, and `w -= w.grad! * 1e-5` updates the very parameter the graph used.
///
/// ```swift
/// let x = Tensor([[1, 2], [3, 4]])
/// let w = Tensor.randn(2, 2, requiresGrad: true)
/// let loss = x.matmul(w).sum()
/// loss.backward()
/// print(w.grad!)
/// ```
///
/// Tensors may be passed between tasks and threads, like PyTorch's; writing to one tensor from
/// two threads at once is a data race the caller must avoid, also as in PyTorch.
///
/// The class is not `final` only so that ``Parameter`` can subclass it; every member declared
/// here is, so calls from other modules stay direct (no table lookup per property read).
public class Tensor: @unchecked Sendable {
    /// The size of each dimension.
    public final let shape: [Int]
    /// Elements to step over in storage for one step along each dimension.
    @exclusivity(unchecked) public private(set) final var strides: [Int]
    /// Index of the first element in storage.
    @exclusivity(unchecked) public private(set) final var storageOffset: Int
    /// The element type.
    @exclusivity(unchecked) public private(set) final var dtype: DType
    /// Element 0 of the memory under this tensor (`storageOffset` counts from here), which
    /// this tensor holds (`TensorMemory`) with its views and aliases.
    @exclusivity(unchecked) private(set) final var data: UnsafeMutableRawPointer
    /// The memory's shared header: its version counter and the count of tensors holding it.
    @exclusivity(unchecked) private(set) final var header: UnsafeMutablePointer<TensorMemory.Header>
    /// The tensor this one is a view of, if any (the root base, as PyTorch's `._base`).
    final var base: Tensor? { baseObject.map { unsafeDowncast($0, to: Tensor.self) } }
    /// `base`, typed `AnyObject`: given one stored property of its own type, the compiler
    /// destroys it in a loop meant for long chains (a retain, a release and a uniqueness test
    /// per tensor, where a view's base is never more than one link away).
    private final let baseObject: AnyObject?
    /// Whether this tensor is a view (has a base), read without counting the base.
    @inline(__always)
    final var _isView: Bool { baseObject != nil }
    /// Whether elements are laid out row-major with no gaps from `storageOffset`.
    @exclusivity(unchecked) public private(set) final var isContiguous: Bool

    // Autograd state; see Tensor+Autograd.swift.
    final var _requiresGrad: Bool = false
    final var _gradFn: AutogradNode?
    /// For a view, the memory's version when its `grad_fn` was recorded: an in-place write
    /// since then (through the base or another view) makes that history stale
    /// (Tensor+ViewHistory.swift).
    final var _viewVersion: Int = 0
    /// What leaves (and non-leaves that retain their gradient) keep, boxed: most tensors are
    /// intermediate results that never have any of it, and every stored reference costs a
    /// release call when a tensor ends, even a `nil` one. Unmanaged (released in `deinit`), so
    /// that reading through it is a load: a strong `var` was retained and released around
    /// every read of `.grad` (more than the two release calls it saved).
    private final var gradStateReference: Unmanaged<GradState>?

    final class GradState {
        var grad: Tensor?
        var retainsGrad = false
        /// The leaf's `AccumulateGrad` node, made once when the leaf starts requiring grad and
        /// kept for its life (PyTorch makes one per graph and caches it weakly: two allocations
        /// per step of a training loop). The node refers back without a count; graphs keep the
        /// leaf alive through their edges (`AutogradNode.Edge.Target.leaf`).
        var accumulator: AutogradNode?
    }

    /// Runs `body` on the box, made on first use.
    @inline(__always)
    final func _withGradState<R>(_ body: (GradState) -> R) -> R {
        if gradStateReference == nil { gradStateReference = .passRetained(GradState()) }
        return gradStateReference.unsafelyUnwrapped._withUnsafeGuaranteedRef(body)
    }

    final var _grad: Tensor? {
        get { gradStateReference?._withUnsafeGuaranteedRef { $0.grad } }
        set {
            if newValue != nil || gradStateReference != nil { _withGradState { $0.grad = newValue } }
            if _CaptureTape.isActive { _CaptureTape.assignedGrad(self, newValue) }
        }
    }

    final var _retainsGrad: Bool {
        get { gradStateReference?._withUnsafeGuaranteedRef { $0.retainsGrad } ?? false }
        set { if newValue || gradStateReference != nil { _withGradState { $0.retainsGrad = newValue } } }
    }

    /// The leaf's `AccumulateGrad` node, if made (see ``GradState/accumulator``); unretained,
    /// valid while this tensor lives.
    @inline(__always)
    final var _accumulatorUnretained: Unmanaged<AutogradNode>? {
        guard let box = gradStateReference else { return nil }
        return box._withUnsafeGuaranteedRef { state in
            guard let node = state.accumulator else { return nil }
            return Unmanaged.passUnretained(node)
        }
    }

    /// A tensor over memory it now holds: fresh memory (its first holder) or memory another
    /// tensor holds too (`hold` first).
    init(
        data: UnsafeMutableRawPointer, header: UnsafeMutablePointer<TensorMemory.Header>, dtype: DType,
        shape: [Int], strides: [Int], offset: Int, base: Tensor?, contiguous: Bool
    ) {
        self.data = data
        self.header = header
        self.shape = shape
        self.strides = strides
        self.storageOffset = offset
        self.dtype = dtype
        self.baseObject = base
        self.isContiguous = contiguous
    }

    /// A new contiguous tensor over fresh memory, uninitialised unless `zeroed`.
    convenience init(freshShape shape: [Int], strides: [Int], dtype: DType, zeroed: Bool = false) {
        let count = Shape.count(shape)
        let block = zeroed ? TensorMemory.allocate(zeroedCount: count, dtype: dtype) : TensorMemory.allocate(count: count, dtype: dtype)
        self.init(data: block.data, header: block.header, dtype: dtype, shape: shape, strides: strides, offset: 0,
                  base: nil, contiguous: true)
    }

    /// A new tensor whose elements lie in memory as `strides` (dense, in some order of the
    /// dimensions) say: an elementwise result that keeps its operands' layout.
    convenience init(freshShape shape: [Int], denseStrides strides: [Int], dtype: DType) {
        let block = TensorMemory.allocate(count: Shape.count(shape), dtype: dtype)
        self.init(data: block.data, header: block.header, dtype: dtype, shape: shape, strides: strides, offset: 0,
                  base: nil, contiguous: Shape.isContiguous(shape, strides))
    }

    /// Another tensor over `source`'s memory: a view when `base` is given, else an alias.
    /// `source` is borrowed: an initializer's arguments are otherwise passed owned.
    convenience init(over source: borrowing Tensor, shape: [Int], strides: [Int], offset: Int, base: Tensor?, contiguous: Bool? = nil) {
        TensorMemory.hold(source.header)
        self.init(data: source.data, header: source.header, dtype: source.dtype, shape: shape, strides: strides,
                  offset: offset, base: base, contiguous: contiguous ?? Shape.isContiguous(shape, strides))
    }

    /// Puts `source`'s memory (same shape, any dtype) under this tensor, as assigning
    /// `param.data` does in PyTorch: `Module.to(_:)` converts parameters and buffers in place,
    /// so optimizers and graphs holding them see the new values. Only for tensors that are not
    /// views; views of this one keep the old memory. The fields are set only here and in the
    /// initialisers, so reading them needs no exclusivity check.
    final func _replaceStorage(with source: Tensor) {
        precondition(baseObject == nil, "a view's memory cannot be replaced")
        precondition(source.shape == shape, "the new data must have the tensor's shape")
        TensorMemory.hold(source.header)
        let (oldData, oldHeader) = (data, header)
        data = source.data
        header = source.header
        dtype = source.dtype
        strides = source.strides
        storageOffset = source.storageOffset
        isContiguous = source.isContiguous
        TensorMemory.drop(oldData, oldHeader)
    }

    deinit {
        TensorMemory.drop(data, header)
        gradStateReference?.release()
    }

    /// A new contiguous tensor over fresh, uninitialised memory.
    convenience init(uninitializedShape shape: [Int], dtype: DType) {
        self.init(freshShape: shape, strides: Shape.contiguousStrides(shape), dtype: dtype)
    }

    /// A new contiguous tensor with `source`'s shape, sharing its shape and stride arrays
    /// when `source` is contiguous (no allocation for them). `source` is borrowed: an
    /// initializer's arguments are otherwise passed owned, and every result of an op paid a
    /// retain and a release of its operand for it (16 atomic count operations per seed-loop epoch).
    convenience init(uninitializedLike source: borrowing Tensor, dtype: DType) {
        let strides = source.isContiguous ? source.strides : Shape.contiguousStrides(source.shape)
        self.init(freshShape: source.shape, strides: strides, dtype: dtype)
    }

    /// Whether every element reads the same memory: one element, or a single value expanded.
    final var _isSingleValue: Bool {
        for d in 0..<shape.count where shape[d] != 1 && strides[d] != 0 { return false }
        return true
    }

    /// A view of this tensor's storage with another geometry, sharing its version counter.
    /// The arrays are taken `consuming`: a method borrows its arguments by default, and a
    /// shape just read from a table was then retained once more to be stored and released
    /// after (two count pairs per view).
    final func _view(shape: consuming [Int], strides: consuming [Int], offset: Int) -> Tensor {
        let v = Tensor(over: self, shape: shape, strides: strides, offset: offset, base: base ?? self)
        // A view made with grad mode off never takes a history of its own (Int.min marks it).
        v._viewVersion = GradMode.isEnabled ? header.pointee.version : Int.min
        return v
    }

    /// Another geometry over this tensor's storage that is not a view: only for results an op
    /// has just computed and hands out under a new shape (ATen's `_unsafe_view`).
    final func _fresh(shape: consuming [Int], strides: consuming [Int]? = nil, offset: Int? = nil) -> Tensor {
        Tensor(over: self, shape: shape, strides: strides ?? Shape.contiguousStrides(shape),
               offset: offset ?? storageOffset, base: nil)
    }

    /// The number of dimensions (PyTorch's `dim()`).
    public final var rank: Int { shape.count }

    /// The total number of elements (PyTorch's `numel()`).
    public final var scalarCount: Int { Shape.count(shape) }

    /// The size of one dimension; negative dimensions count from the end.
    ///
    /// ```swift
    /// Tensor.zeros(5, 3).size(-1)   // 3
    /// ```
    public final func size(_ dim: Int) -> Int { shape[Shape.wrap(dim, rank: rank)] }

    /// The version counter PyTorch exposes as `_version`: how many in-place writes the
    /// storage under this tensor has seen.
    public final var version: Int { header.pointee.version }

    /// Counts an in-place write into this tensor's memory (autograd checks it).
    @inline(__always)
    final func _bumpVersion() {
        header.pointee.version &+= 1
        if _CaptureTape.isActive { _CaptureTape.bumped(header) }
    }

    /// Whether this tensor reads the same memory as `other`.
    @inline(__always)
    final func _sharesMemory(with other: Tensor) -> Bool { header == other.header }

    @inline(__always)
    final func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self) + storageOffset
    }
}
