import Foundation

/// Self-contained SVG charts that open in any browser and embed in the HTML report: round tick
/// values (1-2-5 steps) labelled with just the precision they need, a log-scale axis where the
/// values span more than two decades, a legend, and margins wide enough for the labels.
enum SVGPlot {
    static let width = 640.0, height = 420.0
    static let left = 78.0, right = 24.0, top = 40.0, bottom = 58.0
    static let colours = ["steelblue", "darkorange", "seagreen", "crimson", "slateblue", "goldenrod", "teal", "gray"]

    /// One axis: its range, scale and ticks.
    struct Axis {
        let lower: Double, upper: Double
        let log: Bool
        let ticks: [Double]
        let label: String

        /// An axis covering `values`, logarithmic when asked and the positive values span
        /// more than two decades.
        init(_ values: [Double], label: String, allowLog: Bool = false, includeZero: Bool = false) {
            var finite = values.filter(\.isFinite)
            if includeZero { finite.append(0) }
            let positive = finite.filter { $0 > 0 }
            let useLog = allowLog && positive.count == finite.count && !positive.isEmpty
                && positive.max()! / positive.min()! > 100
            self.label = label
            self.log = useLog
            if useLog {
                let lo = Foundation.floor(Foundation.log10(positive.min()!)), hi = Foundation.ceil(Foundation.log10(positive.max()!))
                lower = lo
                upper = Swift.max(hi, lo + 1)
                let decades = Int(upper - lower)
                let stride = Swift.max(1, (decades + 5) / 6)
                ticks = Swift.stride(from: lower, through: upper, by: Double(stride)).map { $0 }
                return
            }
            var lo = finite.min() ?? 0, hi = finite.max() ?? 1
            if lo == hi {
                let pad = lo == 0 ? 1 : Swift.abs(lo) * 0.1
                lo -= pad
                hi += pad
            }
            let step = Axis.niceStep((hi - lo) / 5)
            lower = Foundation.floor(lo / step) * step
            upper = Foundation.ceil(hi / step) * step
            var ticks: [Double] = []
            var t = lower
            while t <= upper + step * 1e-9 {
                ticks.append(Swift.abs(t) < step * 1e-9 ? 0 : t)
                t += step
            }
            self.ticks = ticks
        }

        /// The 1, 2 or 5 times a power of ten nearest above `raw`.
        static func niceStep(_ raw: Double) -> Double {
            guard raw > 0 && raw.isFinite else { return 1 }
            let power = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
            let fraction = raw / power
            return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
        }

        /// Where `v` (in data units) falls between `from` and `to`.
        func position(_ v: Double, _ from: Double, _ to: Double) -> Double? {
            let value = log ? (v > 0 ? Foundation.log10(v) : .nan) : v
            guard value.isFinite else { return nil }
            return from + (value - lower) / (upper - lower) * (to - from)
        }

        /// A tick's label: a round number with only the decimals the step needs, or a power of ten.
        func text(_ tick: Double) -> String {
            if log {
                let e = Int(tick)
                return (-3...4).contains(e) ? SVGPlot.number(Foundation.pow(10, tick), decimals: Swift.max(0, -e)) : "1e\(e)"
            }
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            let biggest = Swift.max(Swift.abs(lower), Swift.abs(upper))
            if biggest >= 1e6 || (biggest < 1e-3 && biggest > 0) { return String(format: "%.1e", tick) }
            let decimals = Swift.max(0, Int(-Foundation.floor(Foundation.log10(step) + 1e-9)))
            return SVGPlot.number(tick, decimals: decimals)
        }
    }

    static func number(_ v: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", v)
        return text == "-0" ? "0" : text
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func coordinate(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The frame: title, axes with ticks, grid and labels, then `body` drawn by `draw`.
    static func chart(title: String, x: Axis, y: Axis, legend: [(String, String)] = [], body: (_ px: (Double) -> Double?, _ py: (Double) -> Double?) -> String) -> String {
        let plotRight = width - right, plotBottom = height - bottom
        let px = { x.position($0, left, plotRight) }, py = { y.position($0, plotBottom, top) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12" role="img">
            <title>\(escape(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(coordinate((left + plotRight) / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for t in x.ticks {
            guard let p = px(t) else { continue }
            svg += "<line x1=\"\(coordinate(p))\" y1=\"\(top)\" x2=\"\(coordinate(p))\" y2=\"\(plotBottom)\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"\(coordinate(p))\" y=\"\(plotBottom + 16)\" text-anchor=\"middle\">\(escape(x.text(t)))</text>\n"
        }
        for t in y.ticks {
            guard let p = py(t) else { continue }
            svg += "<line x1=\"\(left)\" y1=\"\(coordinate(p))\" x2=\"\(plotRight)\" y2=\"\(coordinate(p))\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(coordinate(p + 4))\" text-anchor=\"end\">\(escape(y.text(t)))</text>\n"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotRight - left)\" height=\"\(plotBottom - top)\" fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(coordinate((left + plotRight) / 2))\" y=\"\(height - 14)\" text-anchor=\"middle\">\(escape(x.label + (x.log ? " (log scale)" : "")))</text>\n"
        svg += "<text x=\"16\" y=\"\(coordinate((top + plotBottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(coordinate((top + plotBottom) / 2)))\">\(escape(y.label + (y.log ? " (log scale)" : "")))</text>\n"
        svg += body(px, py)
        for (k, (name, colour)) in legend.enumerated() {
            let ly = top + 16 + Double(k) * 18, lx = plotRight - 170
            svg += "<rect x=\"\(lx - 8)\" y=\"\(ly - 12)\" width=\"172\" height=\"18\" fill=\"white\" fill-opacity=\"0.85\"/>"
            svg += "<line x1=\"\(lx)\" y1=\"\(ly - 4)\" x2=\"\(lx + 22)\" y2=\"\(ly - 4)\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(lx + 28)\" y=\"\(ly)\">\(escape(name))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Named series of (x, y) points drawn as lines, with a legend; `logY` allows a log scale
    /// for y when the values span more than two decades (a loss curve).
    static func curves(_ series: [(String, [(Double, Double)])], title: String, xLabel: String, yLabel: String, logY: Bool = true) -> String {
        let points = series.flatMap(\.1)
        let x = Axis(points.map(\.0), label: xLabel), y = Axis(points.map(\.1), label: yLabel, allowLog: logY)
        let legend = series.count > 1 ? series.enumerated().map { ($1.0, colours[$0 % colours.count]) } : []
        return chart(title: title, x: x, y: y, legend: legend) { px, py in
            var body = ""
            for (k, (_, values)) in series.enumerated() {
                let step = Swift.max(1, values.count / 1500)
                let coordinates = stride(from: 0, to: values.count, by: step).compactMap { i -> String? in
                    guard let a = px(values[i].0), let b = py(values[i].1) else { return nil }
                    return "\(coordinate(a)),\(coordinate(b))"
                }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(colours[k % colours.count])\" stroke-width=\"2\" points=\"\(coordinates)\"/>\n"
            }
            return body
        }
    }

    /// A loss curve (or a training and a validation curve) against epochs 1, 2, ...
    static func line(_ values: [Double], title: String) -> String {
        curves([("training", values.enumerated().map { (Double($0.offset + 1), $0.element) })], title: title, xLabel: "epoch", yLabel: "loss")
    }

    /// Scatter series of (x, y) points, with an optional reference line from `diagonal`.
    static func scatter(_ series: [(String, [(Double, Double)])], title: String, xLabel: String, yLabel: String,
                        sameScale: Bool = false, horizontalZero: Bool = false) -> String {
        let points = series.flatMap(\.1)
        var xs = points.map(\.0), ys = points.map(\.1)
        if sameScale {
            xs += ys
            ys = xs
        }
        let x = Axis(xs, label: xLabel), y = Axis(ys, label: yLabel, includeZero: horizontalZero)
        let legend = series.count > 1 ? series.enumerated().map { ($1.0, colours[$0 % colours.count]) } : []
        return chart(title: title, x: x, y: y, legend: legend) { px, py in
            var body = ""
            if sameScale, let a = px(Swift.max(x.lower, y.lower)), let b = py(Swift.max(x.lower, y.lower)),
               let c = px(Swift.min(x.upper, y.upper)), let d = py(Swift.min(x.upper, y.upper)) {
                body += "<line x1=\"\(coordinate(a))\" y1=\"\(coordinate(b))\" x2=\"\(coordinate(c))\" y2=\"\(coordinate(d))\" stroke=\"gray\" stroke-dasharray=\"5 4\"/>\n"
            }
            if horizontalZero, let a = px(x.lower), let b = py(0), let c = px(x.upper) {
                body += "<line x1=\"\(coordinate(a))\" y1=\"\(coordinate(b))\" x2=\"\(coordinate(c))\" y2=\"\(coordinate(b))\" stroke=\"gray\" stroke-dasharray=\"5 4\"/>\n"
            }
            for (k, (_, values)) in series.enumerated() {
                let step = Swift.max(1, values.count / 4000)
                for i in stride(from: 0, to: values.count, by: step) {
                    guard let a = px(values[i].0), let b = py(values[i].1) else { continue }
                    body += "<circle cx=\"\(coordinate(a))\" cy=\"\(coordinate(b))\" r=\"3\" fill=\"\(colours[k % colours.count])\" fill-opacity=\"0.6\"/>"
                }
                body += "\n"
            }
            return body
        }
    }

    /// Predicted against actual values, training and validation rows apart, with the diagonal
    /// a perfect fit would lie on.
    static func predictedVersusActual(train: [(Double, Double)], validation: [(Double, Double)]?, title: String) -> String {
        var series = [("training rows", train)]
        if let validation { series.append(("validation rows", validation)) }
        return scatter(series, title: title, xLabel: "actual", yLabel: "predicted", sameScale: true)
    }

    /// Residuals (actual − predicted) against predicted values.
    static func residuals(train: [(Double, Double)], validation: [(Double, Double)]?, title: String) -> String {
        let residual = { (pairs: [(Double, Double)]) in pairs.map { ($0.1, $0.0 - $0.1) } }
        var series = [("training rows", residual(train))]
        if let validation { series.append(("validation rows", residual(validation))) }
        return scatter(series, title: title, xLabel: "predicted", yLabel: "actual − predicted", horizontalZero: true)
    }

    /// A confusion matrix as a heat map: rows the true class, columns the predicted one,
    /// each cell shaded by its share of its row and labelled with its count.
    static func confusion(_ matrix: [[Int]], classes: [String], title: String) -> String {
        let k = classes.count
        let labelWidth = Swift.min(160.0, Double(classes.map(\.count).max() ?? 1) * 7 + 16)
        let cell = Swift.max(24.0, Swift.min(60.0, 420.0 / Double(Swift.max(k, 1))))
        let w = labelWidth + cell * Double(k) + 40, h = 70 + labelWidth + cell * Double(k)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12" role="img">
            <title>\(escape(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(coordinate(w / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>
            <text x="\(coordinate(labelWidth + cell * Double(k) / 2))" y="44" text-anchor="middle">predicted class</text>

            """
        let x0 = labelWidth + 10, y0 = 56 + labelWidth
        for (c, name) in classes.enumerated() {
            let cx = x0 + cell * (Double(c) + 0.5)
            svg += "<text x=\"\(coordinate(cx))\" y=\"\(coordinate(y0 - 6))\" transform=\"rotate(-60 \(coordinate(cx)) \(coordinate(y0 - 6)))\">\(escape(name))</text>\n"
            svg += "<text x=\"\(coordinate(x0 - 6))\" y=\"\(coordinate(y0 + cell * (Double(c) + 0.5) + 4))\" text-anchor=\"end\">\(escape(name))</text>\n"
        }
        for (a, row) in matrix.enumerated() {
            let total = Swift.max(1, row.reduce(0, +))
            for (p, count) in row.enumerated() {
                let share = Double(count) / Double(total)
                let shade = Int(255 - share * 200)
                let fill = String(format: "#%02x%02xff", shade, shade)
                svg += "<rect x=\"\(coordinate(x0 + cell * Double(p)))\" y=\"\(coordinate(y0 + cell * Double(a)))\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\" stroke=\"white\"/>"
                svg += "<text x=\"\(coordinate(x0 + cell * (Double(p) + 0.5)))\" y=\"\(coordinate(y0 + cell * (Double(a) + 0.5) + 4))\" text-anchor=\"middle\" fill=\"\(share > 0.6 ? "white" : "black")\">\(count)</text>\n"
            }
        }
        svg += "<text x=\"12\" y=\"\(coordinate(y0 + cell * Double(k) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(coordinate(y0 + cell * Double(k) / 2)))\">true class</text>\n"
        return svg + "</svg>"
    }

    /// ROC curves, one per class (one for two classes), with the chance diagonal.
    static func roc(_ curves: [(String, [(Double, Double)])], title: String) -> String {
        let x = Axis([0, 1], label: "false-positive rate"), y = Axis([0, 1], label: "true-positive rate")
        let legend = curves.enumerated().map { ($1.0, colours[$0 % colours.count]) }
        return chart(title: title, x: x, y: y, legend: legend) { px, py in
            var body = "<line x1=\"\(coordinate(px(0)!))\" y1=\"\(coordinate(py(0)!))\" x2=\"\(coordinate(px(1)!))\" y2=\"\(coordinate(py(1)!))\" stroke=\"gray\" stroke-dasharray=\"5 4\"/>\n"
            for (k, (_, points)) in curves.enumerated() {
                let coordinates = points.compactMap { p -> String? in
                    guard let a = px(p.0), let b = py(p.1) else { return nil }
                    return "\(coordinate(a)),\(coordinate(b))"
                }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(colours[k % colours.count])\" stroke-width=\"2\" points=\"\(coordinates)\"/>\n"
            }
            return body
        }
    }
}
