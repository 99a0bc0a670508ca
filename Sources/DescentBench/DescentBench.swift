// descent-bench: the workloads of shared/bench/WORKLOADS.md on Descent, printed as
// `name value unit` lines like peer_torch.py prints PyTorch's, so the two can be compared
// side by side (Scripts/bench_compare.sh).

import ArgumentParser
import Descent
import DescentMPI

@main
struct DescentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent-bench",
        abstract: "Run the benchmark workloads on Descent.",
        discussion: """
            Prints one `name value unit` line per figure, after a header naming the matrix-product \
            backend and thread count.

            Example:
              swift run -c release descent-bench --only seed_loop,sgemm
            """
    )

    @Option(help: "Threads for Descent's kernels (like torch.set_num_threads).")
    var threads = 1

    @Option(help: "Comma-separated workloads: seed_loop, seed_loop_compiled, sgemm, fullbatch, minibatch, minibatch_compiled, mlp_adam, mlp_adam_compiled, lenet, resnet_block, gpt_tiny, lstm, elementwise, linalg (or a figure's name, such as exp_4m); or seed_memory alone for resident memory over 1,000,000 seed-loop epochs; or bandwidth alone for the memory read speed of one and two threads; or attention alone for the streaming attention kernel against the composed math path.")
    var only = ""

    @Flag(help: "Run fullbatch_1m_x32 data-parallel over MPI instead (under `mpirun -np N`): each process trains on its share of the rows.")
    var distributed = false

    func run() throws {
        Threads.count = threads
        print("# descent-bench: matmul backend \(MatmulBackend.current), threads \(Threads.count)")
        // A figure's name selects its workload too (`--only exp_4m` is `--only elementwise`).
        let aliases = ["exp_4m": "elementwise", "mse_4m": "elementwise", "mse_4m_compiled": "elementwise", "seed_loop": "seed_loop", "minibatch_64": "minibatch", "mlp_adam_step": "mlp_adam",
                       "seed_loop_compiled_calls": "seed_loop_compiled", "minibatch_64_compiled": "minibatch_compiled",
                       "mlp_adam_step_compiled": "mlp_adam_compiled",
                       "lenet_step": "lenet", "lenet_step_compiled": "lenet", "resnet_block_step": "resnet_block", "lstm_step": "lstm", "lstm_step_compiled": "lstm", "gpt_tiny_step": "gpt_tiny", "gpt_tiny_step_compiled": "gpt_tiny",
                       "fullbatch_1m_x32": "fullbatch", "sgemm_256": "sgemm", "sgemm_1024": "sgemm",
                       "lstsq_1m_x33": "linalg", "solve_1024": "linalg", "cholesky_1024": "linalg", "dgemm_1024": "linalg"]
        let selected = Set(only.split(separator: ",").map { aliases[String($0)] ?? String($0) })
        let workloads: [(String, () -> Void)] = [
            ("seed_loop", Workloads.seedLoop), ("seed_loop_compiled", Workloads.seedLoopCompiled), ("sgemm", Workloads.sgemm),
            ("fullbatch", Workloads.fullBatch), ("minibatch", Workloads.miniBatch), ("minibatch_compiled", Workloads.miniBatchCompiled),
            ("mlp_adam", Workloads.mlpAdam), ("mlp_adam_compiled", Workloads.mlpAdamCompiled), ("lenet", Workloads.lenet),
            ("resnet_block", Workloads.resnetBlock), ("gpt_tiny", Workloads.gptTiny), ("lstm", Workloads.lstm), ("elementwise", Workloads.elementwise),
            ("linalg", Workloads.linalg),
        ]
        if distributed {
            let group = try MPIProcessGroup()
            Workloads.fullBatchDistributed(group: group)
            return
        }
        if selected.contains("seed_memory") {
            Workloads.seedLoopMemory()
            return
        }
        if selected.contains("bandwidth") {
            Workloads.bandwidth()
            return
        }
        if selected.contains("attention") {
            Workloads.attention()
            return
        }
        for (name, body) in workloads where selected.isEmpty || selected.contains(name) { body() }
    }
}
