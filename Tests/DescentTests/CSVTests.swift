import Foundation
import Testing
import Descent
import DescentData

/// Reading numeric CSV: delimiters, quoting, number forms, and errors with line and column.
struct CSVTests {
    static func parse(_ text: String, dropMissing: Bool = false) throws -> CSVTable {
        try CSV.parse(Data(text.utf8), path: "data.csv", dropMissing: dropMissing)
    }

    @Test func readsTheSeedTable() throws {
        let table = try Self.parse("temp,rain,humidity,apples,oranges\n73,67,43,56,70\n91,88,64,81,101\n")
        #expect(table.columns == ["temp", "rain", "humidity", "apples", "oranges"])
        #expect(table.rowCount == 2)
        let y = try table.tensor(columns: ["apples", "oranges"])
        #expect(y.shape == [2, 2] && y.scalars(as: Float.self) == [56, 70, 81, 101])
    }

    @Test(arguments: [
        ("a;b\n1.5;2\n", [1.5, 2.0]),                     // semicolons
        ("a\tb\n-1e3\t+2.5E-2\n", [-1000, 0.025]),
        ("a,b\r\n\"1000\",\"2\"\r\n", [1000, 2]),        // quoted, CRLF
        ("\u{FEFF}a,b\n.5,7.\n\n", [0.5, 7]),             // BOM, blank line
        ("a,b\n12345678901234567890,0.1\n", [Double("12345678901234567890")!, 0.1]),
    ] as [(String, [Double])])
    func numberForms(_ text: String, _ expected: [Double]) throws {
        let table = try Self.parse(text)
        #expect(table.values == expected)
    }

    @Test(arguments: [
        ("a,b\n1,x\n", "line 2, column \"b\": \"x\" is not a number"),
        ("a,b\n1,2\n3\n", "line 3: row has 1 cells, the header has 2"),
        ("a,b\n1,2,3\n", "line 2: row has more than the header's 2 cells"),
        ("a,b\n1,\n", "line 2, column \"b\": missing value"),
        ("a,b\n1,NA\n", "line 2, column \"b\": missing value"),
        ("", "the file is empty"),
        ("a,b\n\"1,2\n", "a quoted field is not closed"),
    ])
    func badInputNamesLineAndColumn(_ text: String, _ expected: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("no error for \(text)")
        } catch {
            #expect("\(error)".hasPrefix("data.csv: "))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func dropMissingSkipsAndCounts() throws {
        let table = try Self.parse("a,b\n1,2\n3,\nNaN,4\n5,6\n", dropMissing: true)
        #expect(table.values == [1, 2, 5, 6])
        #expect(table.droppedRows == 2)
    }

    @Test func textAndMissingCellsAreKeptWhenAsked() throws {
        let text = "size,colour,y\n1,red,3\n,\"dark \"\"blue\"\"\",4\n2.5,7,NA\n"
        #expect(throws: CSVError.self) { try CSV.parse(Data(text.utf8), path: "t.csv") }
        let table = try CSV.parse(Data(text.utf8), path: "t.csv", keepMissing: true, keepText: true)
        #expect(table.rowCount == 3)
        #expect(table.text["colour"] == ["red", "dark \"blue\"", "7"])
        #expect(table.firstTextLine["colour"] == 2)
        #expect(table.text["size"] == nil && table.values[3].isNaN && table.values[8].isNaN)
        #expect(try table.cells("size") == ["1", "", "2.5"])
        // Dropping wins over keeping: the rows with gaps go.
        let dropped = try CSV.parse(Data(text.utf8), path: "t.csv", dropMissing: true, keepText: true)
        #expect(dropped.rowCount == 1 && dropped.droppedRows == 2 && dropped.text["colour"] == ["red"])
    }

    @Test func textCellsInALargeFileKeepTheirLinesAcrossChunks() throws {
        var text = "x,label\n"
        for i in 0..<1_000_000 { text += "\(i),\(i < 800_000 ? "\(i % 3)" : "class\(i % 3)")\n" }
        let data = Data(text.utf8)
        #expect(data.count > 8 << 20)
        for threads in [1, 2] {
            try withThreads(threads) {
                let table = try CSV.parse(data, path: "big.csv", keepText: true)
                #expect(table.firstTextLine["label"] == 800_002, "\(threads) threads")
                let cells = try table.cells("label")
                #expect(cells[0] == "0" && cells[799_999] == "1" && cells[800_000] == "class2" && cells.count == 1_000_000)
            }
        }
    }

    @Test func largeFilesReadInParallelGiveTheSameTableAndErrors() throws {
        var text = "x,y,z\n"
        for i in 0..<400_000 { text += "\(i),\(Double(i) * 0.25),-\(i % 97)e-3\n" }
        let data = Data(text.utf8)
        #expect(data.count > 8 << 20)
        let serial = try withThreads(1) { try CSV.parse(data, path: "big.csv") }
        let parallel = try withThreads(2) { try CSV.parse(data, path: "big.csv") }
        #expect(parallel.values == serial.values)
        #expect(parallel.rowCount == 400_000)
        // An error in the second half still names its exact line.
        var broken = text
        broken += "1,oops,3\n"
        do {
            _ = try CSV.parse(Data(broken.utf8), path: "big.csv")
            Issue.record("no error")
        } catch let error as CSVError {
            #expect(error.line == 400_002 && error.column == "y")
        }
    }

    @Test func unknownColumnIsAnError() throws {
        let table = try Self.parse("a,b\n1,2\n")
        #expect(throws: CSVError.self) { try table.tensor(columns: ["c"]) }
    }
}
