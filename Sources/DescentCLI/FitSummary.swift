import Descent
import DescentNN
import Foundation

/// The results of `descent fit`, as text for the terminal and as a JSON report.
struct FitSummary {
    let source: String
    let features: [String]
    let targets: [String]
    let options: LinearRegression.Options
    let losses: [Double]
    let model: LinearRegression
    let exact: LinearRegression
    let train: [RegressionMetrics]
    let validation: [RegressionMetrics]?
    let exactTrain: [RegressionMetrics]
    let seconds: Double

    /// The largest relative difference between gradient descent's and the exact coefficients.
    var gap: Double {
        let a = model.weights.scalars(as: Double.self) + model.bias.scalars(as: Double.self)
        let b = exact.weights.scalars(as: Double.self) + exact.bias.scalars(as: Double.self)
        let scale = Swift.max(b.map(Swift.abs).max() ?? 1, 1e-12)
        return zip(a, b).map { Swift.abs($0 - $1) / scale }.max() ?? 0
    }

    var converged: Bool { gap <= 1e-3 }

    var text: String {
        let n = { (v: Double) in Progress.number(v) }
        var lines = ["", "Coefficients (data units)            gradient descent        exact least squares"]
        let w = model.weights.rows(as: Double.self), we = exact.weights.rows(as: Double.self)
        let b = model.bias.scalars(as: Double.self), be = exact.bias.scalars(as: Double.self)
        for (j, target) in targets.enumerated() {
            lines.append("  \(target)")
            for (i, feature) in features.enumerated() {
                lines.append("    " + pad("\(feature)", 32) + pad(n(w[j][i]), 24) + n(we[j][i]))
            }
            lines.append("    " + pad("(bias)", 32) + pad(n(b[j]), 24) + n(be[j]))
        }
        lines.append("")
        lines.append("Metrics               MSE           RMSE          MAE           R²")
        for (j, target) in targets.enumerated() {
            for (label, m) in [("train", train[j]), ("validation", validation?[j]), ("exact, train", exactTrain[j])] {
                guard let m else { continue }
                lines.append("  " + pad("\(target) \(label)", 20) + pad(n(m.mse), 14) + pad(n(m.rmse), 14) + pad(n(m.mae), 14) + String(format: "%.6f", m.r2))
            }
        }
        lines.append("")
        lines.append("Largest gap to the exact solution: \(n(gap)) relative — " + (converged
            ? "gradient descent has converged."
            : "not converged yet: more --epochs, a larger --lr, --standardize or --optimizer adam would get closer."))
        lines.append("Final training loss \(n(losses.last ?? .nan)) after \(losses.count) epochs; wall time \(String(format: "%.3f", seconds)) s.")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private static func metricsJSON(_ m: [RegressionMetrics], _ targets: [String]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: zip(targets, m).map { ($0, ["mse": $1.mse, "rmse": $1.rmse, "mae": $1.mae, "r2": $1.r2]) })
    }

    private static func coefficients(_ model: LinearRegression, _ features: [String], _ targets: [String]) -> [String: Any] {
        let w = model.weights.rows(as: Double.self), b = model.bias.scalars(as: Double.self)
        return Dictionary(uniqueKeysWithValues: targets.enumerated().map { j, t in
            (t, ["weights": Dictionary(uniqueKeysWithValues: zip(features, w[j])), "bias": b[j]] as [String: Any])
        })
    }

    var json: Data {
        var report: [String: Any] = [
            "source": source, "features": features, "targets": targets,
            "settings": ["epochs": options.epochs, "lr": options.lr, "optimizer": options.optimizer.rawValue,
                         "batch_size": options.batchSize as Any? ?? NSNull(), "standardize": options.standardize, "seed": options.seed],
            "gradient_descent": Self.coefficients(model, features, targets),
            "exact": Self.coefficients(exact, features, targets),
            "max_relative_gap": gap, "converged": converged,
            "metrics": ["train": Self.metricsJSON(train, targets), "exact_train": Self.metricsJSON(exactTrain, targets)],
            "final_loss": losses.last ?? NSNull(), "losses": losses, "wall_time_seconds": seconds,
        ]
        if let validation { report["validation_metrics"] = Self.metricsJSON(validation, targets) }
        return (try? JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}
