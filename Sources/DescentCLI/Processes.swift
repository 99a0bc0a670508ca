import DescentMPI
import DescentNN
import Foundation

/// Runs `body` in this process, or with `distributed` on every process of an MPI job. An error
/// on one rank would leave the others waiting in a collective forever, so it stops them all:
/// the main rank prints it (every rank prints those `printedByEveryRank` picks, which differ
/// between ranks), and the job exits with status 1.
func runProcesses(distributed: Bool, printedByEveryRank: (Error) -> Bool = { _ in false },
                  _ body: (ProcessGroup) throws -> Void) throws {
    guard distributed else { return try body(SingleProcessGroup()) }
    let group: MPIProcessGroup
    do {
        group = try MPIProcessGroup()
    } catch {
        throw CLIError("--distributed needs Open MPI: \(error)")
    }
    do {
        try body(group)
    } catch {
        guard group.worldSize > 1 else { throw error }
        if group.isMain || printedByEveryRank(error) {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        }
        group.abort(code: 1)
    }
}
