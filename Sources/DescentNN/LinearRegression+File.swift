import Descent
import DescentData
import Foundation

extension LinearRegression {
    /// A linear model as a file: the coefficients with the names of the columns they belong to,
    /// which is what `descent fit --output` writes and `descent predict` reads.
    ///
    /// The file is safetensors with tensors `weight` `[targets, features]` and `bias` `[targets]`
    /// in float32 (the names `torch.nn.Linear` uses, so Python loads it into one), and metadata
    /// `features` and `targets` as JSON arrays of column names, plus the source and, when
    /// training standardized, the scaling statistics.
    ///
    /// ```swift
    /// let saved = LinearRegression.SavedModel(model: fitted, features: ["Temp", "Rainfall"], targets: ["Apples"])
    /// try saved.write(to: URL(fileURLWithPath: "model.safetensors"))
    /// let loaded = try LinearRegression.SavedModel.read(from: URL(fileURLWithPath: "model.safetensors"))
    /// let predictions = loaded.model.predict(x)   // x: [rows, 2]
    /// ```
    public struct SavedModel: FitModelFile {
        /// The coefficients, in the data's units.
        public var model: LinearRegression
        /// The feature columns, in the order of the weight's columns.
        public var features: [String]
        /// The target columns, in the order of the weight's rows.
        public var targets: [String]
        /// Where the training data came from, when known.
        public var source: String?
        /// How the input columns become ``features`` when that is more than reading numbers
        /// (text columns one-hot encoded, missing numbers filled); nil for plain numbers.
        public var encoding: FeatureEncoding?

        /// A model together with its column names.
        public init(model: LinearRegression, features: [String], targets: [String], source: String? = nil) {
            self.model = model
            self.features = features
            self.targets = targets
            self.source = source
        }

        /// Writes the model atomically: a failure leaves no file at `url`.
        public func write(to url: URL) throws {
            var metadata = ["features": ModelMetadata.list(features), "targets": ModelMetadata.list(targets)]
            metadata["source"] = source
            metadata["encoding"] = encoding?.json
            if let scaling = model.standardization {
                let list = { (v: [Double]) in v.map { "\($0)" }.joined(separator: ",") }
                metadata["feature_means"] = list(scaling.featureMeans)
                metadata["feature_stds"] = list(scaling.featureStds)
                metadata["target_means"] = list(scaling.targetMeans)
                metadata["target_stds"] = list(scaling.targetStds)
            }
            try Safetensors.write([("weight", model.weights.to(.float32)), ("bias", model.bias.to(.float32))],
                                  metadata: metadata, to: url)
        }

        /// Decodes a model file already read (``FitModelFile/read(from:)`` reads one).
        ///
        /// - Throws: ``TensorFileError`` naming the file and what is wrong: a damaged
        ///   safetensors file, a missing tensor or name list, shapes that disagree with the
        ///   names, a dtype that is not floating point, or coefficients that are not finite.
        public static func decode(_ file: Safetensors.File, path: String) throws -> SavedModel {
            func fail(_ problem: String) -> TensorFileError {
                TensorFileError(path, "not a model written by `descent fit`: \(problem)")
            }
            guard let weight = file.tensors["weight"] else { throw fail("no tensor named \"weight\"") }
            guard let bias = file.tensors["bias"] else { throw fail("no tensor named \"bias\"") }
            guard let features = file.metadata["features"].flatMap(ModelMetadata.names) else {
                throw fail("metadata \"features\" is missing or not a list of column names")
            }
            guard let targets = file.metadata["targets"].flatMap(ModelMetadata.names) else {
                throw fail("metadata \"targets\" is missing or not a list of column names")
            }
            for tensor in [weight, bias] where !tensor.dtype.isFloatingPoint {
                throw fail("coefficients are \(tensor.dtype), not floating point")
            }
            guard weight.shape == [targets.count, features.count] else {
                throw fail("weight has shape \(weight.shape) but there are \(targets.count) target(s) and \(features.count) feature(s)")
            }
            guard bias.shape == [targets.count] else {
                throw fail("bias has shape \(bias.shape) but there are \(targets.count) target(s)")
            }
            let finite = { (t: Tensor) in t.scalars(as: Double.self).allSatisfy(\.isFinite) }
            guard finite(weight), finite(bias) else { throw fail("coefficients include NaN or infinity") }
            var model = LinearRegression(weights: weight, bias: bias)
            model.standardization = standardization(file.metadata, features: features.count, targets: targets.count)
            var saved = SavedModel(model: model, features: features, targets: targets, source: file.metadata["source"])
            saved.encoding = try ModelMetadata.encoding(file.metadata, features: features, path: path)
            return saved
        }

        /// The scaling statistics when all four lists are present and of the right lengths;
        /// they are informational (the coefficients are in data units), so anything else is
        /// ignored rather than refused.
        static func standardization(_ metadata: [String: String], features: Int, targets: Int) -> Standardization? {
            func list(_ key: String, _ count: Int) -> [Double]? {
                guard let values = metadata[key]?.split(separator: ",").map({ Double($0) }),
                      values.count == count, values.allSatisfy({ $0 != nil }) else { return nil }
                return values.map { $0! }
            }
            guard let fm = list("feature_means", features), let fs = list("feature_stds", features),
                  let tm = list("target_means", targets), let ts = list("target_stds", targets) else { return nil }
            return Standardization(featureMeans: fm, featureStds: fs, targetMeans: tm, targetStds: ts)
        }
    }
}
