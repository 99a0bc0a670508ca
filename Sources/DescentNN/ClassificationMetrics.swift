import Descent
import Foundation

/// How well a classifier's probabilities fit known labels, with scikit-learn's definitions:
/// accuracy, balanced accuracy (the mean recall), log-loss, per-class precision, recall and F1
/// with their macro and support-weighted averages, the confusion matrix, and ROC AUC (for
/// more than two classes the mean of each class's one-vs-rest AUC).
///
/// ```swift
/// let m = ClassificationMetrics(probabilities: model.probabilities(x), labels: labels.indices, classes: labels.classes)
/// print(m.accuracy, m.rocAUC ?? .nan)
/// ```
public struct ClassificationMetrics: Sendable {
    /// The classes, in the order of every per-class list.
    public let classes: [String]
    /// `confusion[actual][predicted]`: rows counted by their true and predicted class.
    public let confusion: [[Int]]
    /// Rows counted.
    public let rows: Int
    /// Share of rows predicted correctly.
    public let accuracy: Double
    /// The mean of the classes' recalls (classes with no rows left out).
    public let balancedAccuracy: Double
    /// Mean of −log p(true class), probabilities clipped to [1e-15, 1].
    public let logLoss: Double
    /// Area under the ROC curve; nil when a class has no rows (or all of them).
    public let rocAUC: Double?

    /// Precision, recall and F1 of one class (or an average of them).
    public struct Scores: Sendable, Equatable {
        /// Of the rows predicted as the class, the share that are.
        public let precision: Double
        /// Of the class's rows, the share predicted as it.
        public let recall: Double
        /// The harmonic mean of precision and recall.
        public let f1: Double
        /// Rows whose true class this is (for an average, all rows).
        public let support: Int
    }

    /// Scores of each class.
    public var perClass: [Scores] {
        classes.indices.map { c in
            let truePositive = Double(confusion[c][c])
            let predicted = Double(confusion.reduce(0) { $0 + $1[c] }), actual = confusion[c].reduce(0, +)
            let precision = predicted > 0 ? truePositive / predicted : 0
            let recall = actual > 0 ? truePositive / Double(actual) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return Scores(precision: precision, recall: recall, f1: f1, support: actual)
        }
    }

    /// The unweighted mean of the classes' scores.
    public var macro: Scores { average { _ in 1 } }
    /// The classes' scores weighted by their support.
    public var weighted: Scores { average { Double($0.support) } }

    private func average(_ weight: (Scores) -> Double) -> Scores {
        let scores = perClass
        let total = scores.reduce(0) { $0 + weight($1) }
        func mean(_ value: (Scores) -> Double) -> Double {
            total > 0 ? scores.reduce(0) { $0 + weight($1) * value($1) } / total : 0
        }
        return Scores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: rows)
    }

    /// The metrics of `probabilities` (`[rows, classes]`) against `labels` (`[rows]` class
    /// indices), over every rank's rows of `group` (the AUC then from 4,096-bin histograms of
    /// the scores, exact to about 1e-4; on one process it is exact).
    public init(probabilities: Tensor, labels: Tensor, classes: [String], group: ProcessGroup = SingleProcessGroup()) {
        let k = classes.count
        let p = probabilities.to(.float64).rows(as: Double.self)
        let y = labels.scalars(as: Int.self)
        var confusion = [Double](repeating: 0, count: k * k)
        var logLoss = 0.0
        for (row, label) in zip(p, y) {
            var best = 0
            for c in 1..<k where row[c] > row[best] { best = c }
            confusion[label * k + best] += 1
            logLoss -= Foundation.log(Swift.min(Swift.max(row[label], 1e-15), 1))
        }
        var rows = Double(y.count)
        if group.worldSize > 1 {
            let sums = Tensor(shape: [k * k + 2], scalars: confusion + [logLoss, rows], dtype: .float64)
            group.allReduce(sums, op: .sum)
            let all = sums.scalars(as: Double.self)
            confusion = Array(all[..<(k * k)])
            logLoss = all[k * k]
            rows = all[k * k + 1]
        }
        self.classes = classes
        self.rows = Int(rows)
        self.confusion = (0..<k).map { a in (0..<k).map { Int(confusion[a * k + $0]) } }
        let correct = (0..<k).reduce(0.0) { $0 + confusion[$1 * k + $1] }
        accuracy = rows > 0 ? correct / rows : .nan
        self.logLoss = rows > 0 ? logLoss / rows : .nan
        let recalls = (0..<k).compactMap { c -> Double? in
            let support = (0..<k).reduce(0.0) { $0 + confusion[c * k + $1] }
            return support > 0 ? confusion[c * k + c] / support : nil
        }
        balancedAccuracy = recalls.isEmpty ? .nan : recalls.reduce(0, +) / Double(recalls.count)
        // One-vs-rest for each class (the positive class alone for two).
        let positives = k == 2 ? [1] : Array(0..<k)
        var aucs: [Double] = []
        for c in positives {
            let scores = p.map { $0[c] }, isPositive = y.map { $0 == c }
            let auc = group.worldSize > 1
                ? Self.histogramAUC(scores, isPositive, group: group)
                : Self.auc(scores, isPositive)
            guard let auc else {
                aucs = []
                break
            }
            aucs.append(auc)
        }
        rocAUC = aucs.count == positives.count ? aucs.reduce(0, +) / Double(aucs.count) : nil
    }

    /// The exact area under the ROC curve of `scores` for `positive` rows (ties count half),
    /// or nil without both kinds of row.
    public static func auc(_ scores: [Double], _ positive: [Bool]) -> Double? {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let positives = Double(positive.filter { $0 }.count), negatives = Double(positive.count) - positives
        guard positives > 0, negatives > 0 else { return nil }
        // Mann-Whitney: the sum of the positives' ranks, tied scores sharing their mean rank.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j + 2) / 2
            for t in i...j where positive[order[t]] { rankSum += rank }
            i = j + 1
        }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// The AUC from histograms of the scores in [0, 1], summed over ranks.
    static func histogramAUC(_ scores: [Double], _ positive: [Bool], group: ProcessGroup) -> Double? {
        let bins = 4096
        var counts = [Double](repeating: 0, count: 2 * bins)
        for (s, isPositive) in zip(scores, positive) {
            let b = Swift.min(bins - 1, Swift.max(0, Int(s * Double(bins))))
            counts[(isPositive ? bins : 0) + b] += 1
        }
        let tensor = Tensor(shape: [2 * bins], scalars: counts, dtype: .float64)
        group.allReduce(tensor, op: .sum)
        counts = tensor.scalars(as: Double.self)
        let negatives = counts[..<bins].reduce(0, +), positives = counts[bins...].reduce(0, +)
        guard positives > 0, negatives > 0 else { return nil }
        var below = 0.0, area = 0.0
        for b in 0..<bins {
            area += counts[bins + b] * (below + counts[b] / 2)
            below += counts[b]
        }
        return area / (positives * negatives)
    }

    /// Points (false-positive rate, true-positive rate) of the ROC curve of `scores` for
    /// `positive` rows, from (0, 0) to (1, 1), one per distinct score (at most `limit`,
    /// thinned evenly, for a chart).
    public static func rocCurve(_ scores: [Double], _ positive: [Bool], limit: Int = 500) -> [(Double, Double)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let positives = Double(positive.filter { $0 }.count), negatives = Double(positive.count) - positives
        guard positives > 0, negatives > 0 else { return [] }
        var points = [(0.0, 0.0)]
        var tp = 0.0, fp = 0.0
        for (n, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            if n + 1 == order.count || scores[order[n + 1]] != scores[i] { points.append((fp / negatives, tp / positives)) }
        }
        guard points.count > limit else { return points }
        let step = Double(points.count - 1) / Double(limit - 1)
        return (0..<limit).map { points[Int((Double($0) * step).rounded())] }
    }
}
