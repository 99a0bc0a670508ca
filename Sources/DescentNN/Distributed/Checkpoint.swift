import Descent
import DescentData
import Foundation

/// Everything training needs to continue where it stopped: the model's state dict, the
/// optimizer's state, the epoch, the random generators' states, and any other tensors.
///
/// A checkpoint is one safetensors file, written atomically (a temporary file renamed into
/// place), so a run killed while writing leaves the previous checkpoint intact. Tensor names are
/// `model.<key>`, `optimizer.<parameter>.<key>`, `generator.<n>` and `extra.<name>`; the epoch,
/// the optimizer's groups and your metadata are in the header.
///
/// ```swift
/// try Checkpoint(model: model.stateDict(), optimizer: opt.stateDict(), epoch: epoch,
///                generators: [g.getState()]).write(to: url)
/// // later, or after a crash:
/// let saved = try Checkpoint.read(from: url)
/// try model.loadStateDict(saved.model)
/// try opt.loadStateDict(saved.optimizer)
/// g.setState(saved.generators[0])
/// for epoch in (saved.epoch + 1)...epochs { ... }
/// ```
public struct Checkpoint: Sendable {
    /// The model's parameters and buffers.
    public var model: StateDict
    /// The optimizer's state and parameter groups.
    public var optimizer: OptimizerStateDict
    /// The last epoch completed.
    public var epoch: Int
    /// States from ``Generator/getState()``, in an order of your choosing.
    public var generators: [Tensor]
    /// Other tensors to keep, such as the loss history.
    public var extra: [String: Tensor]
    /// Strings to keep, such as the settings a run must be resumed with.
    public var metadata: [String: String]

    /// A checkpoint of the given parts.
    public init(model: StateDict, optimizer: OptimizerStateDict, epoch: Int, generators: [Tensor] = [],
                extra: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.model = model
        self.optimizer = optimizer
        self.epoch = epoch
        self.generators = generators
        self.extra = extra
        self.metadata = metadata
    }

    static let formatKey = "descent_checkpoint"
    static let reserved: Set<String> = [formatKey, "epoch", "optimizer_param_groups"]

    /// Writes the checkpoint atomically: `url` holds either the previous file or this one.
    public func write(to url: URL) throws {
        var tensors = model.items.map { ("model.\($0.0)", $0.1) }
        for i in optimizer.state.keys.sorted() {
            for key in optimizer.state[i]!.keys.sorted() { tensors.append(("optimizer.\(i).\(key)", optimizer.state[i]![key]!)) }
        }
        tensors += generators.enumerated().map { ("generator.\($0.offset)", $0.element) }
        tensors += extra.keys.sorted().map { ("extra.\($0)", extra[$0]!) }
        var header = metadata.filter { !Self.reserved.contains($0.key) }
        header[Self.formatKey] = "1"
        header["epoch"] = String(epoch)
        // Plain numbers in JSON; encoding them cannot fail.
        header["optimizer_param_groups"] = String(decoding: try! JSONEncoder().encode(optimizer.paramGroups), as: UTF8.self)
        try Safetensors.write(tensors.map { ($0.0, $0.1.contiguous()) }, metadata: header, to: url)
    }

    /// Reads a checkpoint written by ``write(to:)``.
    ///
    /// - Throws: ``TensorFileError`` for a damaged file or one that is not a checkpoint.
    public static func read(from url: URL) throws -> Checkpoint {
        let path = url.path
        let file = try Safetensors.read(from: url)
        func fail(_ problem: String) -> TensorFileError { TensorFileError(path, "not a Descent checkpoint: \(problem)") }
        guard file.metadata[formatKey] == "1" else { throw fail("no \"\(formatKey)\" entry in its metadata") }
        guard let epoch = file.metadata["epoch"].flatMap({ Int($0) }), epoch >= 0 else { throw fail("no epoch") }
        guard let groupsText = file.metadata["optimizer_param_groups"],
              let groups = try? JSONDecoder().decode([[String: Double]].self, from: Data(groupsText.utf8))
        else { throw fail("no optimizer parameter groups") }
        var model: [(String, Tensor)] = []
        var state: [Int: [String: Tensor]] = [:]
        var generators: [Int: Tensor] = [:]
        var extra: [String: Tensor] = [:]
        for name in file.names {
            let tensor = file.tensors[name]!
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw fail("unexpected tensor \"\(name)\"") }
            switch parts[0] {
            case "model": model.append((parts[1], tensor))
            case "optimizer":
                let inner = parts[1].split(separator: ".", maxSplits: 1).map(String.init)
                guard inner.count == 2, let i = Int(inner[0]), i >= 0 else { throw fail("unexpected tensor \"\(name)\"") }
                state[i, default: [:]][inner[1]] = tensor
            case "generator":
                guard let i = Int(parts[1]), i >= 0 else { throw fail("unexpected tensor \"\(name)\"") }
                generators[i] = tensor
            case "extra": extra[parts[1]] = tensor
            default: throw fail("unexpected tensor \"\(name)\"")
            }
        }
        guard generators.keys.sorted() == Array(0..<generators.count) else { throw fail("generator states are not numbered 0...") }
        return Checkpoint(
            model: StateDict(model), optimizer: OptimizerStateDict(state: state, paramGroups: groups), epoch: epoch,
            generators: (0..<generators.count).map { generators[$0]! }, extra: extra,
            metadata: file.metadata.filter { !reserved.contains($0.key) })
    }
}
