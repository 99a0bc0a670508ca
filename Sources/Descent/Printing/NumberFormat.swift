#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Python's correctly rounded `format(value, ".{p}f")` and `".{p}e"`, through C's printf, which
/// rounds the same way on glibc and Darwin. Non-finite values print as Python does (`nan`,
/// `inf`, `-inf`), never as C's `-nan`.
enum NumberFormat {
    static func fixed(_ value: Double, _ precision: Int) -> String {
        format(value, "%.\(precision)f")
    }

    static func scientific(_ value: Double, _ precision: Int) -> String {
        format(value, "%.\(precision)e")
    }

    private static func format(_ value: Double, _ spec: String) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        var buffer = [CChar](repeating: 0, count: 512)
        let n = withVaList([value]) { args in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 512, spec, args) }
        }
        if n >= 512 {
            buffer = [CChar](repeating: 0, count: Int(n) + 1)
            _ = withVaList([value]) { args in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, Int(n) + 1, spec, args) }
            }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
