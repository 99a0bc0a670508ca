import Descent
import DescentData
import Foundation

/// A model file `descent fit` writes and `descent predict` reads: safetensors whose tensors
/// hold the parameters (float32, under PyTorch's names) and whose metadata holds the column
/// names, classes and encoding. ``LinearRegression/SavedModel``,
/// ``LogisticRegression/SavedModel`` and ``MultilayerPerceptron/SavedModel`` are ones.
///
/// ```swift
/// let saved = try LogisticRegression.SavedModel.read(from: URL(fileURLWithPath: "iris.safetensors"))
/// try saved.write(to: URL(fileURLWithPath: "copy.safetensors"))
/// ```
public protocol FitModelFile: Sendable {
    /// Decodes a file already read; `path` names it in errors.
    ///
    /// - Throws: ``TensorFileError`` naming the file and what is wrong.
    static func decode(_ file: Safetensors.File, path: String) throws -> Self
    /// Writes the model atomically: a failure leaves no file at `url`.
    func write(to url: URL) throws
}

extension FitModelFile {
    /// Reads a model file.
    ///
    /// - Throws: ``TensorFileError`` naming the file and what is wrong.
    public static func read(from url: URL) throws -> Self {
        try decode(Safetensors.read(from: url), path: url.path)
    }

    /// Reads a model from bytes in memory; `path` names them in errors.
    public static func read(_ data: Data, path: String = "<memory>") throws -> Self {
        try decode(Safetensors.read(data, path: path), path: path)
    }
}

/// The metadata values model files share: lists of names as JSON (so that a name may hold a
/// comma) and the column encoding.
package enum ModelMetadata {
    /// Names as a JSON array.
    package static func list(_ names: [String]) -> String {
        // Encoding an array of strings cannot fail.
        String(decoding: try! JSONEncoder().encode(names), as: UTF8.self)
    }

    /// Non-empty, distinct names from a JSON array, or nil.
    package static func names(_ text: String) -> [String]? {
        guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)),
              !list.isEmpty, !list.contains(""), Set(list).count == list.count
        else { return nil }
        return list
    }

    /// The encoding in a model file's metadata, checked against its feature names; nil when
    /// the file has none.
    package static func encoding(_ metadata: [String: String], features: [String], path: String) throws -> FeatureEncoding? {
        guard let text = metadata["encoding"] else { return nil }
        guard let encoding = FeatureEncoding(json: text), encoding.featureNames == features else {
            throw TensorFileError(path, "not a model written by `descent fit`: metadata \"encoding\" is damaged or does not match the features")
        }
        return encoding
    }
}
