import Foundation

/// What a fit hands to the steps that end every run: the text printed, the JSON report's
/// task-specific fields, the HTML report's sections, the charts, and the model file.
protocol FitOutcome {
    /// The results as printed to the terminal.
    var text: String { get }
    /// Task-specific fields of the JSON report (coefficients, metrics).
    var json: [String: Any] { get }
    /// Sections of the HTML report after the settings (tables, then charts).
    var sections: [FitReport.Section] { get }
    /// Charts as (file name, SVG), written by `--plot` and shown in the HTML report.
    var charts: [(file: String, svg: String)] { get }
    /// The trained parameters, compared across processes after a distributed run.
    var parameters: [Double] { get }
    /// Writes the model file.
    func writeModel(to url: URL) throws
}

/// Pieces of the terminal text every task prints.
enum FitText {
    /// `s` padded with spaces to `width` (and one space after it when longer).
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    /// Room for the longest row label (first cell) of a table, at least 20.
    static func labelWidth(_ rows: [[String]]) -> Int { Swift.max(20, (rows.map { $0[0].count }.max() ?? 0) + 2) }

    /// The last line of a run's results.
    static func finalLine(_ losses: [Double], seconds: Double) -> String {
        "Final training loss \(Progress.number(losses.last ?? .nan)) after \(losses.count) epochs; wall time \(String(format: "%.3f", seconds)) s."
    }
}

/// The one-file HTML report of `descent fit --report report.html`: the settings, the tables
/// and the charts, with its styles inline so that it opens anywhere without a network.
enum FitReport {
    struct Section {
        let heading: String
        let html: String
    }

    static func escape(_ s: String) -> String { SVGPlot.escape(s) }

    /// An HTML table; numbers right-aligned unless `alignNumbers` is false.
    static func table(_ header: [String], _ rows: [[String]], alignNumbers: Bool = true) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in rows {
            html += "<tr>" + row.map { cell in
                alignNumbers && Double(cell) != nil ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func paragraph(_ text: String) -> String { "<p>\(escape(text))</p>\n" }

    static func html(title: String, settings: [(String, String)], sections: [Section], charts: [(file: String, svg: String)]) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
            table { border-collapse: collapse; margin: 0.6em 0; }
            th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e5e5e5; text-align: left; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .charts { display: flex; flex-wrap: wrap; gap: 1em; }
            .charts figure { margin: 0; } svg { max-width: 100%; height: auto; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <h2>Settings</h2>

            """
        html += table(["setting", "value"], settings.map { [$0.0, $0.1] }, alignNumbers: false)
        for section in sections { html += "<h2>\(escape(section.heading))</h2>\n" + section.html }
        if !charts.isEmpty {
            html += "<h2>Charts</h2>\n<div class=\"charts\">\n"
            for chart in charts { html += "<figure id=\"\(escape(chart.file))\">\n\(chart.svg)</figure>\n" }
            html += "</div>\n"
        }
        return html + "</body>\n</html>\n"
    }
}
