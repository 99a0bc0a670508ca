import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's bytes mapped read-only into memory, unmapped when the last reference goes.
///
/// Why not `Data(contentsOf:options: .alwaysMapped)`: a reader that goes through a large file
/// once can hand the pages it has passed back to the system (``release(_:)``), so a 300 MB CSV
/// file does not stay resident beside the table parsed from it. Foundation's mapping gives no
/// way to do that, nor a promise that it is a mapping at all.
final class _MappedFile: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    /// Maps `url`; the error's text says why it could not be (no such file, permissions, a folder).
    init(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw _MappedFile.failure(errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw _MappedFile.failure(errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw _MappedFile.failure(EISDIR) }
        length = Int(info.st_size)
        if length == 0 {
            base = nil
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw _MappedFile.failure(errno)
        }
        base = p
        bytes = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: length)
    }

    deinit {
        if let base { munmap(base, length) }
    }

    /// Drops the whole pages inside `range` from memory: they were read and are not needed
    /// again (if they are, the system reads them from the file once more).
    func release(_ range: Range<Int>) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lower = (range.lowerBound + page - 1) / page * page, upper = range.upperBound / page * page
        if upper > lower { _ = madvise(base + lower, upper - lower, Int32(MADV_DONTNEED)) }
    }

    private static func failure(_ code: Int32) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(code),
                userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(code))])
    }
}
