import Descent
import DescentData
import Foundation

/// libFuzzer's entry point: the first byte picks a reader, the rest is the file. Every reader
/// must either return a value or throw; a crash, a sanitizer report or a hang is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReaders(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard count > 0 else { return 0 }
    let data = Data(bytes: bytes + 1, count: count - 1)
    switch bytes[0] % 4 {
    case 0: _ = try? CSV.parse(data, path: "fuzz.csv", dropMissing: bytes[0] & 4 != 0)
    case 1: _ = try? NumPy.read(data, path: "fuzz.npy")
    case 2: _ = try? NumPy.readArchive(data, path: "fuzz.npz")
    default: _ = try? Safetensors.read(data, path: "fuzz.safetensors")
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

/// SwiftPM links an executable target's entry point under this name; it hands control to
/// libFuzzer's driver.
@_cdecl("FuzzReaders_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzReaders)
}
