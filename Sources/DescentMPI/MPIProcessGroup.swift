import CDescentMPI
import Descent
import DescentNN

/// Why MPI could not be used.
public struct MPIUnavailableError: Error, CustomStringConvertible {
    /// What is missing and how to install it.
    public let description: String
}

/// A ``ProcessGroup`` over MPI's world communicator, for programs started by `mpirun`.
///
/// Open MPI is loaded when the first group is made, not linked: Descent builds and runs where
/// MPI is not installed, and only this initializer says so (with what to install). Set
/// `DESCENT_MPI_LIBRARY` to the library's path if it is not where the system looks.
///
/// ```swift
/// // mpirun -np 4 ./train
/// let group = try MPIProcessGroup()
/// print("rank \(group.rank) of \(group.worldSize)")
/// let gradient = Tensor.ones(10)
/// group.allReduce(gradient, op: .mean)
/// ```
///
/// Collectives must be called by every rank in the same order, from one thread at a time.
/// MPI is finalized when the process exits.
public final class MPIProcessGroup: ProcessGroup {
    /// This process's rank in MPI_COMM_WORLD.
    public let rank: Int
    /// The number of processes `mpirun` started.
    public let worldSize: Int

    /// Joins the group of all processes `mpirun` started (a single process, rank 0 of 1, when
    /// run without `mpirun`).
    ///
    /// - Throws: ``MPIUnavailableError`` when Open MPI's library cannot be loaded or started.
    public init() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard descent_mpi_start(&message, message.count) == 0 else {
            throw MPIUnavailableError(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        rank = Int(descent_mpi_rank())
        worldSize = Int(descent_mpi_size())
    }

    /// `MPI_Allreduce` in place (in pieces of at most 2^30 elements); `.mean` divides the sum.
    public func allReduce(_ tensor: Tensor, op: ReduceOp) {
        _checkCollective(tensor, op: op)
        let type: Int32 = switch tensor.dtype {
        case .float32: Int32(DESCENT_MPI_FLOAT32)
        case .float64: Int32(DESCENT_MPI_FLOAT64)
        default: Int32(DESCENT_MPI_INT64)
        }
        let mpiOp: Int32 = switch op {
        case .sum, .mean: Int32(DESCENT_MPI_SUM)
        case .max: Int32(DESCENT_MPI_MAX)
        case .min: Int32(DESCENT_MPI_MIN)
        }
        let count = tensor.scalarCount
        let code = tensor.withUnsafeMutableRawBytes { descent_mpi_allreduce($0.baseAddress, Int64(count), type, mpiOp) }
        check(code, "MPI_Allreduce")
        if op == .mean && worldSize > 1 { noGrad { tensor /= Double(worldSize) } }
    }

    /// `MPI_Bcast` of the tensor's bytes from `root`.
    public func broadcast(_ tensor: Tensor, from root: Int) {
        _checkCollective(tensor, op: nil)
        if !(0..<worldSize).contains(root) { fatalError("broadcast from rank \(root), but ranks are 0..<\(worldSize)") }
        let code = tensor.withUnsafeMutableRawBytes { descent_mpi_broadcast($0.baseAddress, Int64($0.count), Int32(root)) }
        check(code, "MPI_Bcast")
    }

    /// `MPI_Barrier` on MPI_COMM_WORLD.
    public func barrier() { check(descent_mpi_barrier(), "MPI_Barrier") }

    /// Stops every rank with `code`, as `MPI_Abort`: for a rank that cannot go on, so that the
    /// others do not wait for it forever.
    public func abort(code: Int32 = 1) -> Never {
        descent_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }

    /// MPI's default error handler aborts on failure; anything else returning is a bug.
    private func check(_ code: Int32, _ call: String) {
        if code != 0 { fatalError("\(call) failed with MPI error \(code)") }
    }
}
