import Descent
import DescentData
import Foundation

extension LogisticRegression {
    /// A classifier as a file: what `descent fit --task classification --output` writes and
    /// `descent predict` reads.
    ///
    /// Safetensors with `weight` (`[1, features]` for two classes, `[classes, features]` for
    /// more) and `bias` in float32 (`torch.nn.Linear`'s names), and metadata: `task` =
    /// `classification`, `classes` (the labels, in the order of the probability columns),
    /// `features`, `target`, the source, and the column `encoding` when text columns are
    /// one-hot encoded or missing numbers filled.
    ///
    /// ```swift
    /// let saved = LogisticRegression.SavedModel(model: fitted, features: ["petal_length"], target: "species")
    /// try saved.write(to: URL(fileURLWithPath: "iris.safetensors"))
    /// let loaded = try LogisticRegression.SavedModel.read(from: URL(fileURLWithPath: "iris.safetensors"))
    /// ```
    public struct SavedModel: FitModelFile {
        /// The coefficients, in the data's units, with the classes.
        public var model: LogisticRegression
        /// The (encoded) feature names, in the order of the weight's columns.
        public var features: [String]
        /// The target column's name.
        public var target: String
        /// Where the training data came from, when known.
        public var source: String?
        /// How input columns become ``features``, when that is more than reading numbers.
        public var encoding: FeatureEncoding?

        /// A classifier with its column names.
        public init(model: LogisticRegression, features: [String], target: String, source: String? = nil) {
            self.model = model
            self.features = features
            self.target = target
            self.source = source
        }

        /// Writes the model atomically: a failure leaves no file at `url`.
        public func write(to url: URL) throws {
            var metadata = [
                "task": "classification", "features": ModelMetadata.list(features),
                "target": target, "classes": ModelMetadata.list(model.classes),
            ]
            metadata["source"] = source
            metadata["encoding"] = encoding?.json
            try Safetensors.write([("weight", model.weights.to(.float32)), ("bias", model.bias.to(.float32))],
                                  metadata: metadata, to: url)
        }

        /// Whether a model file holds a classifier (its `task` metadata).
        public static func isClassifier(_ file: Safetensors.File) -> Bool { file.metadata["task"] == "classification" }

        /// Decodes a classifier file already read (``FitModelFile/read(from:)`` reads one).
        ///
        /// - Throws: ``TensorFileError`` naming the file and what is wrong.
        public static func decode(_ file: Safetensors.File, path: String) throws -> SavedModel {
            func fail(_ problem: String) -> TensorFileError {
                TensorFileError(path, "not a classifier written by `descent fit`: \(problem)")
            }
            guard isClassifier(file) else { throw fail("metadata \"task\" is not \"classification\"") }
            guard let weight = file.tensors["weight"], let bias = file.tensors["bias"] else { throw fail("no tensors named \"weight\" and \"bias\"") }
            guard let features = file.metadata["features"].flatMap(ModelMetadata.names) else {
                throw fail("metadata \"features\" is missing or not a list of column names")
            }
            guard let classes = file.metadata["classes"].flatMap(ModelMetadata.names), classes.count >= 2 else {
                throw fail("metadata \"classes\" is missing or not a list of at least two labels")
            }
            guard let target = file.metadata["target"], !target.isEmpty else { throw fail("metadata \"target\" is missing") }
            let outputs = classes.count == 2 ? 1 : classes.count
            guard weight.dtype.isFloatingPoint, bias.dtype.isFloatingPoint else { throw fail("coefficients are not floating point") }
            guard weight.shape == [outputs, features.count], bias.shape == [outputs] else {
                throw fail("weight \(weight.shape) and bias \(bias.shape) do not fit \(classes.count) classes and \(features.count) features")
            }
            guard (weight.scalars(as: Double.self) + bias.scalars(as: Double.self)).allSatisfy(\.isFinite) else {
                throw fail("coefficients include NaN or infinity")
            }
            var saved = SavedModel(model: LogisticRegression(classes: classes, weights: weight, bias: bias),
                                   features: features, target: target, source: file.metadata["source"])
            saved.encoding = try ModelMetadata.encoding(file.metadata, features: features, path: path)
            return saved
        }
    }
}
