import Descent
import DescentData
import Foundation

extension Module {
    /// Saves the state dict as safetensors under PyTorch's names, so that
    /// `model.load_state_dict(safetensors.torch.load_file(path))` loads it in Python.
    ///
    /// ```swift
    /// try model.save(to: URL(fileURLWithPath: "model.safetensors"), metadata: ["epochs": "20"])
    /// ```
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try Safetensors.write(stateDict().items, metadata: metadata, to: url)
    }

    /// Loads parameters from a safetensors file written by Descent or by Python's
    /// `safetensors.torch.save_file(model.state_dict(), path)`.
    ///
    /// - Throws: ``TensorFileError`` for a damaged file, ``StateDictError`` when its tensors do
    ///   not fit the model.
    public func load(from url: URL, strict: Bool = true) throws {
        let file = try Safetensors.read(from: url)
        try loadStateDict(StateDict(file.names.map { ($0, file.tensors[$0]!) }), strict: strict)
    }
}
