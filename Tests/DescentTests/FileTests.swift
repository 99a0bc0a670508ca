import Foundation
import Testing
import Descent
import DescentData
import DescentNN

/// safetensors, .npy and .npz: files from Python read right, files from Descent read back, and
/// damaged or hostile files throw errors that name the problem.
struct FileTests {
    struct NpyFixture: Decodable {
        let shape: [Int]
        let values: [TensorFixture.Value]
    }
    struct File: Decodable {
        let safetensors: [String: TensorFixture]
        let metadata: [String: String]
        let linear: [String: TensorFixture]
        let npy: [String: NpyFixture]
    }
    static let file: File? = try? Fixtures.load("files", as: File.self)

    static func fixtureURL(_ name: String) throws -> URL {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/files/" + name, withExtension: nil)
            ?? Bundle.module.resourceURL?.appendingPathComponent("Fixtures/files/\(name)"))
        return url
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("descent-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func readsSafetensorsWrittenByPython() throws {
        let expected = try #require(Self.file)
        let file = try Safetensors.read(from: Self.fixtureURL("python.safetensors"))
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.tensors.keys) == Set(expected.safetensors.keys))
        for (name, fixture) in expected.safetensors {
            let t = try #require(file.tensors[name])
            #expect(t.shape == fixture.shape, "\(name) shape")
            #expect(t.dtype == fixture.dtypeValue, "\(name) dtype")
            #expect(t.scalars(as: Double.self) == fixture.doubles, "\(name) values")
        }
    }

    @Test func loadsATorchLinearStateDict() throws {
        try exclusiveGlobalGenerator {
            let expected = try #require(Self.file?.linear)
            let layer = Linear(inFeatures: 3, outFeatures: 2)
            try layer.load(from: Self.fixtureURL("linear.safetensors"))
            #expect(layer.weight.scalars(as: Double.self) == expected["weight"]!.doubles)
            #expect(layer.bias!.scalars(as: Double.self) == expected["bias"]!.doubles)
        }
    }

    @Test func safetensorsRoundTrip() throws {
        try exclusiveGlobalGenerator {
            let dir = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("model.safetensors")
            let tensors: [(String, Tensor)] = [
                ("w", Tensor.randn(3, 4)), ("d", Tensor([1.5, -2], dtype: .float64)),
                ("i", Tensor.arange(5)), ("m", Tensor([true, false])), ("s", Tensor(7.0)), ("e", Tensor.zeros(0, 2)),
            ]
            try Safetensors.write(tensors, metadata: ["epochs": "3"], to: url)
            let back = try Safetensors.read(from: url)
            #expect(back.metadata == ["epochs": "3"])
            for (name, t) in tensors {
                let r = try #require(back.tensors[name])
                #expect(r.shape == t.shape && r.dtype == t.dtype)
                #expect(r.scalars(as: Double.self) == t.scalars(as: Double.self))
            }
            // Replacing an existing file works and leaves no temporary files behind.
            try Safetensors.write([("w", Tensor.ones(2))], to: url)
            #expect(try Safetensors.read(from: url).names == ["w"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        }
    }

    @Test func failedWriteLeavesNothing() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("missing/model.safetensors")
        #expect(throws: TensorFileError.self) { try Safetensors.write([("w", Tensor.ones(2))], to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    /// Builds a safetensors file from a header string and a data size.
    static func safetensors(header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> Data {
        var data = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(Data(count: dataBytes))
        return data
    }

    @Test(arguments: [
        ("truncated", Data([1, 2, 3]), "too short"),
        ("header past end", safetensors(header: "{}", dataBytes: 0, declaredLength: 100), "past the end"),
        ("header of gigabytes", safetensors(header: "{}", dataBytes: 16, declaredLength: 1 << 40), "past the end"),
        ("invalid JSON", safetensors(header: "{not json", dataBytes: 0), "not a JSON object"),
        ("unknown dtype", safetensors(header: #"{"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), "unknown dtype"),
        ("offsets out of range", safetensors(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8), "outside"),
        ("shape disagrees", safetensors(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, dataBytes: 16), "span 16 bytes"),
        ("overlapping", safetensors(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12), "overlap"),
        ("huge shape", safetensors(header: #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, dataBytes: 0), "invalid shape"),
        ("missing fields", safetensors(header: #"{"x":{"dtype":"F32"}}"#, dataBytes: 0), "needs dtype"),
        // No elements, but strides past Int.max: the shape the .npy fuzzer found, here in safetensors.
        ("zero dim beside huge dims", safetensors(header: #"{"x":{"dtype":"F32","shape":[0,16258109440,16258109440,3],"data_offsets":[0,0]}}"#, dataBytes: 0), "invalid shape"),
    ] as [(String, Data, String)])
    func hostileSafetensorsThrow(_ name: String, _ data: Data, _ expected: String) {
        do {
            _ = try Safetensors.read(data, path: "bad.safetensors")
            Issue.record("\(name): no error")
        } catch let error as TensorFileError {
            #expect(error.path == "bad.safetensors")
            #expect(error.problem.contains(expected), "\(name): \(error.problem)")
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }

    @Test func readsNpyWrittenByNumPy() throws {
        let expected = try #require(Self.file?.npy)
        for (name, fixture) in expected {
            let t = try NumPy.read(from: Self.fixtureURL("\(name).npy"))
            #expect(t.shape == fixture.shape, "\(name) shape")
            #expect(t.scalars(as: Double.self) == fixture.values.map(\.double), "\(name) values")
        }
        let archive = try NumPy.readArchive(from: Self.fixtureURL("arrays.npz"))
        #expect(archive["a"]?.scalars(as: Double.self) == expected["f32"]!.values.map(\.double))
        #expect(archive["b"]?.shape == [2, 3])
        let compressed = try NumPy.readArchive(from: Self.fixtureURL("compressed.npz"))
        #expect(compressed["a"]?.scalars(as: Double.self) == expected["f32"]!.values.map(\.double))
    }

    @Test func npyRoundTrip() throws {
        try exclusiveGlobalGenerator {
            let dir = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            for t in [Tensor.randn(2, 3), Tensor([1.0, 2], dtype: .float64), Tensor.arange(4), Tensor([true]), Tensor(1.5)] {
                let url = dir.appendingPathComponent("t.npy")
                try NumPy.write(t, to: url)
                let back = try NumPy.read(from: url)
                #expect(back.shape == t.shape && back.dtype == t.dtype)
                #expect(back.scalars(as: Double.self) == t.scalars(as: Double.self))
            }
            let npz = dir.appendingPathComponent("a.npz")
            try NumPy.writeArchive(["x": Tensor.ones(2, 2), "y": Tensor.arange(3)], to: npz)
            let back = try NumPy.readArchive(from: npz)
            #expect(back["x"]?.shape == [2, 2] && back["y"]?.scalars(as: Int.self) == [0, 1, 2])
        }
    }

    @Test(arguments: [
        ("bad magic", Data("hello world, not numpy".utf8), "bad magic"),
        ("header past end", Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0xFF, 0x7F]), "past the end"),
        ("shape disagrees", NumPy.encode(Tensor.ones(4)).dropLast(4), "needs 16 bytes"),
        ("unsupported dtype", replacing(NumPy.encode(Tensor.ones(1)), "<f4", with: "<c8"), "unsupported dtype"),
    ] as [(String, Data, String)])
    func hostileNpyThrows(_ name: String, _ data: Data, _ expected: String) {
        do {
            _ = try NumPy.read(Data(data), path: "bad.npy")
            Issue.record("\(name): no error")
        } catch let error as TensorFileError {
            #expect(error.problem.contains(expected), "\(name): \(error.problem)")
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }

    /// Inputs that crashed a fuzz harness, kept as they were found (Fixtures/files/fuzz).
    @Test(arguments: [
        ("npy-zero-dim-huge-strides.npy", "larger than the file"),
    ])
    func fuzzFindingsThrow(_ name: String, _ expected: String) throws {
        let data = try Data(contentsOf: Self.fixtureURL("fuzz/\(name)"))
        do {
            _ = try NumPy.read(data, path: name)
            Issue.record("\(name): no error")
        } catch let error as TensorFileError {
            #expect(error.problem.contains(expected), "\(name): \(error.problem)")
        }
    }

    static func replacing(_ data: Data, _ old: String, with new: String) -> Data {
        var d = data
        if let r = d.range(of: Data(old.utf8)) { d.replaceSubrange(r, with: Data(new.utf8)) }
        return d
    }

    @Test func damagedCompressedArchiveThrows() throws {
        var data = try Data(contentsOf: Self.fixtureURL("compressed.npz"))
        // Flip bytes in the middle of the deflated stream.
        for i in 60..<90 { data[i] ^= 0x5A }
        #expect(throws: TensorFileError.self) { try NumPy.readArchive(data, path: "bad.npz") }
        #expect(throws: TensorFileError.self) { try NumPy.readArchive(Data(count: 10), path: "short.npz") }
    }

    /// Writes files for `Scripts/check_python_reads.py` when it asks (DESCENT_EXPORT_DIR).
    @Test func exportForPython() throws {
        try exclusiveGlobalGenerator {
            guard let folder = ProcessInfo.processInfo.environment["DESCENT_EXPORT_DIR"] else { return }
            let dir = URL(fileURLWithPath: folder)
            manualSeed(5)
            let layer = Linear(inFeatures: 3, outFeatures: 2)
            try layer.save(to: dir.appendingPathComponent("linear.safetensors"), metadata: ["by": "Descent"])
            try Safetensors.write([("f32", Tensor.arange(6.0).reshape(2, 3)), ("f64", Tensor([0.1, 0.2], dtype: .float64)),
                                   ("i64", Tensor.arange(4)), ("b", Tensor([true, false]))],
                                  metadata: ["note": "from Swift"], to: dir.appendingPathComponent("tensors.safetensors"))
            try NumPy.write(Tensor.arange(6.0).reshape(2, 3) / 7, to: dir.appendingPathComponent("x.npy"))
            try NumPy.writeArchive(["a": Tensor.arange(3), "b": Tensor([[1.5, 2.5]])], to: dir.appendingPathComponent("ab.npz"))
        }
    }
}
