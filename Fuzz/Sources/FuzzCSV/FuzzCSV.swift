import DescentData
import Foundation
import FuzzDriver

/// The CSV reader, with and without dropping rows that have missing values (the first byte
/// chooses), and turned into a tensor when it parses, as `descent fit` does.
@_cdecl("FuzzCSV_main")
public func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { bytes, count in
        guard count > 0 else { return 0 }
        let data = Data(bytes: bytes + 1, count: count - 1)
        if let table = try? CSV.parse(data, path: "fuzz.csv", dropMissing: bytes[0] & 1 != 0) {
            _ = try? table.tensor(columns: table.columns)
        }
        return 0
    }
}
