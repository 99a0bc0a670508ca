import DescentData
import DescentNN
import Foundation
import FuzzDriver

/// The CSV reader as `descent fit` uses it: the first byte's bits choose dropping rows with
/// missing values, keeping missing cells as NaN and keeping text; a table that parses is turned
/// into a tensor, and with text kept, its columns are encoded (one-hot categories, filled
/// numbers) and its last column read as class labels.
@_cdecl("FuzzCSV_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        guard count > 0 else { return 0 }
        let data = Data(bytes: bytes + 1, count: count - 1)
        let keepText = bytes[0] & 4 != 0
        guard let table = try? CSV.parse(data, path: "fuzz.csv", dropMissing: bytes[0] & 1 != 0,
                                         keepMissing: bytes[0] & 2 != 0, keepText: keepText) else { return 0 }
        _ = try? table.tensor(columns: table.columns)
        if keepText, let last = table.columns.last {
            let features = Array(table.columns.dropLast())
            if let encoding = try? FeatureEncoding.fit(table, columns: features, impute: bytes[0] & 8 != 0 ? .median : .mean) {
                _ = try? encoding.encode(table, unknown: .ignore)
            }
            if let cells = try? table.cells(last) { _ = try? ClassLabels(cells) }
        }
        return 0
    }
}
