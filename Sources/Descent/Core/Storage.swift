import CDescentKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a storage block knows about its elements.
struct StorageHeader {
    var count: Int
    var dtype: DType
    /// Bumped by every in-place write; autograd compares it with the version it saved.
    var version: Int
    /// Large blocks live outside the object, in memory the buffer cache can reuse.
    var external: UnsafeMutableRawPointer?
    var externalBytes: Int
    /// A block of exactly ``Storage/pooledWords`` words, which the thread's pool may reuse.
    var poolable = false
}

/// A reference-counted block of elements shared by a tensor and all of its views.
///
/// Small blocks live in the same allocation as the object (a `ManagedBuffer`): one `malloc`
/// per tensor instead of two, which matters for the small tensors of a training loop. Large
/// blocks come from ``BufferCache``, which hands freed blocks back out instead of returning them
/// to the system: a fresh multi-megabyte allocation costs a page fault and a page clear for every
/// 4 KiB, which made up a third of a full-batch epoch. The version counter lives here because
/// every handle onto the same memory (views, `detach()`) must observe in-place writes, as
/// PyTorch's shared version counter does.
///
/// Small blocks are 8-byte aligned: any alignment above that makes Swift's runtime allocate
/// through `posix_memalign` on Linux (it assumes only 8 from `malloc`), twice the instructions
/// of `malloc`, and the kernels' vector loads do not need it.
final class Storage: ManagedBuffer<StorageHeader, UInt64> {
    /// Allocates uninitialised memory for `count` elements, 8-byte aligned (64 for large ones).
    static func make(count: Int, dtype: DType) -> Storage {
        let bytes = count * dtype.itemSize
        let storage = bytes <= pooledWords * 8 ? small(count: count, dtype: dtype) : large(count: count, dtype: dtype)
        let raw = storage.data
        switch dtype {
        case .float32: raw.bindMemory(to: Float.self, capacity: count)
        case .float64: raw.bindMemory(to: Double.self, capacity: count)
        case .int64: raw.bindMemory(to: Int64.self, capacity: count)
        case .bool: raw.bindMemory(to: Bool.self, capacity: count)
        }
        return storage
    }

    /// The size of every small block: 64 bytes, sixteen float32 or eight float64 elements. One
    /// size, so that any pooled block fits any small result.
    static let pooledWords = 8

    /// A small block: one a tensor of this thread left behind (see `recycle`), or a new one.
    @inline(__always)
    private static func small(count: Int, dtype: DType) -> Storage {
        let header = StorageHeader(count: count, dtype: dtype, version: 0, external: nil,
                                   externalBytes: count * dtype.itemSize, poolable: true)
        if let pooled = descent_pool_take() {
            let storage = Unmanaged<Storage>.fromOpaque(pooled).takeRetainedValue()
            storage.headerPointer.pointee = header
            return storage
        }
        return unsafeDowncast(Storage.create(minimumCapacity: pooledWords) { _ in header }, to: Storage.self)
    }

    /// A block in the object for up to 128 KiB, or one from the buffer cache.
    private static func large(count: Int, dtype: DType) -> Storage {
        let bytes = count * dtype.itemSize
        let external = bytes >= BufferCache.minimumBytes ? BufferCache.take(bytes) : nil
        let words = external == nil ? max((bytes + 7) / 8, 1) : 1
        let buffer = Storage.create(minimumCapacity: words) { _ in
            StorageHeader(count: count, dtype: dtype, version: 0, external: external, externalBytes: bytes)
        }
        return unsafeDowncast(buffer, to: Storage.self)
    }

    /// Keeps a small block that its last tensor is letting go of, for this thread's next small
    /// result: no free now and no allocation then. The caller must hold the only reference.
    /// Unmanaged, so that handing it over costs one retain (the pool's reference) and no copy.
    @inline(__always)
    static func recycle(_ storage: Unmanaged<Storage>) {
        _ = storage.retain()
        if descent_pool_give(storage.toOpaque(), { Unmanaged<Storage>.fromOpaque($0!).release() }) == 0 {
            storage.release()
        }
    }

    /// Allocates memory filled with zero bits, which is 0, 0.0 or false for every dtype.
    static func make(zeroedCount count: Int, dtype: DType) -> Storage {
        let storage = make(count: count, dtype: dtype)
        storage.data.initializeMemory(as: UInt8.self, repeating: 0, count: max(count * dtype.itemSize, 1))
        return storage
    }

    deinit {
        let h = headerPointer.pointee
        if let external = h.external { BufferCache.give(external, h.externalBytes) }
    }

    /// The header through a pointer. `header` is a class property, so every access through it
    /// pays a dynamic exclusivity check (`swift_beginAccess`), measured at 13 per epoch of the
    /// seed loop from this class alone; the header sits at a fixed address inside the object
    /// for its whole life, so reading it through a pointer is safe while the object lives.
    @inline(__always)
    var headerPointer: UnsafeMutablePointer<StorageHeader> {
        withUnsafeMutablePointerToHeader { $0 }
    }

    var count: Int { headerPointer.pointee.count }
    var dtype: DType { headerPointer.pointee.dtype }

    var version: Int {
        get { headerPointer.pointee.version }
        set { headerPointer.pointee.version = newValue }
    }

    /// The first byte of the elements; stable for the life of the object.
    @inline(__always)
    var data: UnsafeMutableRawPointer {
        if let external = headerPointer.pointee.external { return external }
        return withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
    }

    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }
}

/// Keeps freed large blocks for reuse, up to a fixed total, like PyTorch's caching allocators.
///
/// Blocks of 128 KiB or more (where glibc switches to mmap) are matched by size rounded up to
/// 64 KiB. At most ``limitBytes`` are kept; beyond
/// that, freed blocks go back to the system. Set `DESCENT_BUFFER_CACHE_MB=0` to disable it.
enum BufferCache {
    static let minimumBytes = 1 << 17
    static let hugePageBytes = 1 << 21
    static let limitBytes: Int = {
        if let env = _environment("DESCENT_BUFFER_CACHE_MB"), let mb = Int(env) { return max(0, mb) << 20 }
        return 512 << 20
    }()

    private struct State {
        /// Block addresses by size (as integers, which are Sendable).
        var free: [Int: [UInt]] = [:]
        var cachedBytes = 0
    }
    private static let state = Mutex(State())

    private static func rounded(_ bytes: Int) -> Int { (bytes + 0xFFFF) & ~0xFFFF }

    static func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = rounded(bytes)
        let reused: UInt? = state.withLock { s in
            guard let block = s.free[size]?.popLast() else { return nil }
            s.cachedBytes -= size
            return block
        }
        if let reused, let block = UnsafeMutableRawPointer(bitPattern: reused) { return block }
        if size >= hugePageBytes {
            // Large blocks on 2 MiB pages: the hardware prefetcher stops at every 4 KiB page
            // boundary, and streaming a 128 MB tensor measured 17% faster on huge pages.
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: hugePageBytes)
            #if os(Linux)
            _ = madvise(block, size, 14)   // MADV_HUGEPAGE
            #endif
            return block
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    static func give(_ block: UnsafeMutableRawPointer, _ bytes: Int) {
        let size = rounded(bytes)
        let address = UInt(bitPattern: block)
        let kept = state.withLock { s -> Bool in
            guard s.cachedBytes + size <= limitBytes else { return false }
            s.free[size, default: []].append(address)
            s.cachedBytes += size
            return true
        }
        if !kept { block.deallocate() }
    }
}
