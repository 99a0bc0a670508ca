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
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    /// Elements to step over in storage for one step along each dimension.
    public let strides: [Int]
    /// Index of the first element in storage.
    public let storageOffset: Int
    /// The element type.
    public let dtype: DType
    /// A `var` only so that `deinit` can ask whether it holds the last reference; never
    /// reassigned. Unchecked: a dynamic exclusivity check on every read would cost more than
    /// the pool saves, and nothing writes it after `init`.
    @exclusivity(unchecked) private(set) var storage: Storage
    /// The tensor this one is a view of, if any (the root base, as PyTorch's `._base`).
    let base: Tensor?
    /// Whether elements are laid out row-major with no gaps from `storageOffset`.
    public let isContiguous: Bool

    // Autograd state; see Tensor+Autograd.swift.
    var _requiresGrad: Bool = false
    var _gradFn: AutogradNode?
    var _grad: Tensor?
    var _retainsGrad = false
    /// The leaf's `AccumulateGrad` node, made once when the leaf starts requiring grad and
    /// kept for its life (PyTorch makes one per graph and caches it weakly: two allocations
    /// per step of a training loop). The node refers back without a count; graphs keep the
    /// leaf alive through their edges (`AutogradNode.Edge.Target.leaf`).
    var _gradAccumulator: AutogradNode?

    init(storage: Storage, shape: [Int], strides: [Int], offset: Int = 0, base: Tensor? = nil, contiguous: Bool? = nil) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.storageOffset = offset
        self.dtype = storage.dtype
        self.base = base
        self.isContiguous = contiguous ?? Shape.isContiguous(shape, strides)
    }

    deinit {
        // The last holder of a small block hands it to the thread's pool (Storage.recycle).
        if storage.headerPointer.pointee.poolable && isKnownUniquelyReferenced(&storage) {
            Storage.recycle(Unmanaged.passUnretained(storage))
        }
    }

    /// A new contiguous tensor over fresh, uninitialised storage.
    convenience init(uninitializedShape shape: [Int], dtype: DType) {
        let storage = Storage.make(count: Shape.count(shape), dtype: dtype)
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), contiguous: true)
    }

    /// A new contiguous tensor with `source`'s shape, sharing its shape and stride arrays
    /// when `source` is contiguous (no allocation for them). `source` is borrowed: an
    /// initializer's arguments are otherwise passed owned, and every result of an op paid a
    /// retain and a release of its operand for it (16 atomic count operations per seed-loop epoch).
    convenience init(uninitializedLike source: borrowing Tensor, dtype: DType) {
        let storage = Storage.make(count: source.scalarCount, dtype: dtype)
        let strides = source.isContiguous ? source.strides : Shape.contiguousStrides(source.shape)
        self.init(storage: storage, shape: source.shape, strides: strides, contiguous: true)
    }

    /// Whether every element reads the same memory: one element, or a single value expanded.
    var _isSingleValue: Bool {
        for d in 0..<shape.count where shape[d] != 1 && strides[d] != 0 { return false }
        return true
    }

    /// A view of this tensor's storage with another geometry, sharing its version counter.
    func _view(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset, base: base ?? self)
    }

    /// Another geometry over this tensor's storage that is not a view: only for results an op
    /// has just computed and hands out under a new shape (ATen's `_unsafe_view`).
    func _fresh(shape: [Int], strides: [Int]? = nil, offset: Int? = nil) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides ?? Shape.contiguousStrides(shape),
               offset: offset ?? storageOffset)
    }

    /// The number of dimensions (PyTorch's `dim()`).
    public var rank: Int { shape.count }

    /// The total number of elements (PyTorch's `numel()`).
    public var scalarCount: Int { Shape.count(shape) }

    /// The size of one dimension; negative dimensions count from the end.
    ///
    /// ```swift
    /// Tensor.zeros(5, 3).size(-1)   // 3
    /// ```
    public func size(_ dim: Int) -> Int { shape[Shape.wrap(dim, rank: rank)] }

    /// The version counter PyTorch exposes as `_version`: how many in-place writes the
    /// storage under this tensor has seen.
    public var version: Int { storage.version }

    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        storage.pointer(T.self) + storageOffset
    }
}
