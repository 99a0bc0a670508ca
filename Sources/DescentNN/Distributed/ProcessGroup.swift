import Descent

/// How ``ProcessGroup/allReduce(_:op:)`` combines the ranks' values.
public enum ReduceOp: Sendable {
    /// The sum over ranks.
    case sum
    /// The sum over ranks divided by the world size.
    case mean
    /// The largest value.
    case max
    /// The smallest value.
    case min
}

/// A set of processes that train together, each with a rank in `0..<worldSize`, and the
/// collective operations they call in the same order, like `torch.distributed`'s process group.
///
/// `MPIProcessGroup` (in `DescentMPI`) runs over MPI; ``SingleProcessGroup`` is the group of one
/// process, so that the same training code runs with and without `mpirun`.
///
/// ```swift
/// let group: ProcessGroup = try MPIProcessGroup()
/// let t = Tensor([Float(group.rank)])
/// group.allReduce(t, op: .sum)     // every rank now holds 0 + 1 + ... + (worldSize - 1)
/// ```
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's rank, `0..<worldSize`.
    var rank: Int { get }
    /// How many processes the group has.
    var worldSize: Int { get }
    /// Combines `tensor` across ranks in place: afterwards every rank holds the result.
    /// `tensor` must be contiguous, float32, float64 or int64 (int64 has no `.mean`).
    func allReduce(_ tensor: Tensor, op: ReduceOp)
    /// Overwrites `tensor` on every rank with its value on `root`. `tensor` must be contiguous
    /// and have the same shape and dtype everywhere.
    func broadcast(_ tensor: Tensor, from root: Int)
    /// Returns once every rank has called it.
    func barrier()
}

extension ProcessGroup {
    /// Whether this process is rank 0, the one that prints and writes files by convention.
    public var isMain: Bool { rank == 0 }

    /// Combines a number across ranks (a sum unless `op` says otherwise) and returns the result.
    ///
    /// ```swift
    /// let totalRows = Int(group.allReduce(Double(localRows)))
    /// ```
    public func allReduce(_ value: Double, op: ReduceOp = .sum) -> Double {
        let t = Tensor([value], dtype: .float64)
        allReduce(t, op: op)
        return t.item()
    }

    /// Checks what every collective needs of its tensor, with the message PyTorch gives.
    package func _checkCollective(_ tensor: Tensor, op: ReduceOp?) {
        guard tensor.isContiguous else { fatalError("Tensors must be contiguous") }
        if let op {
            guard tensor.dtype != .bool else { fatalError("allReduce: bool tensors cannot be reduced") }
            guard !(op == .mean && tensor.dtype == .int64) else {
                fatalError("allReduce: .mean needs a floating-point tensor, got torch.int64")
            }
        }
    }
}

/// The group of one process: collectives leave tensors as they are.
public final class SingleProcessGroup: ProcessGroup {
    /// A group of one.
    public init() {}
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var worldSize: Int { 1 }
    /// Leaves `tensor` as it is (the reduction over one rank), after the usual checks.
    public func allReduce(_ tensor: Tensor, op: ReduceOp) { _checkCollective(tensor, op: op) }
    /// Leaves `tensor` as it is; `root` must be 0.
    public func broadcast(_ tensor: Tensor, from root: Int) {
        _checkCollective(tensor, op: nil)
        if root != 0 { fatalError("broadcast from rank \(root) in a group of one") }
    }
    /// Returns at once.
    public func barrier() {}
}
