import CDescentKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The memory under tensors: a block of elements followed by a header (`descent_block_header`)
/// that every tensor reading the block shares: the tensor that made it, its views and its
/// aliases (`detach()`). The header holds the version counter, which every handle onto the same
/// memory must observe (as PyTorch's shared version counter), and counts the tensors that hold
/// the block; the last one frees it.
///
/// A block is not an object: a Swift object per tensor's memory cost about 280 instructions to
/// allocate and free through the runtime and malloc, and an atomic retain and release per view
/// and per death, a tenth of a seed-loop epoch (DECISIONS.md). Blocks of 64 bytes or fewer come
/// from a per-thread pool (`tensor_memory.c`), blocks of 128 KiB or more from ``BufferCache``,
/// and blocks in between from malloc, 16-byte aligned.
enum TensorMemory {
    typealias Header = descent_block_header

    static let smallBytes = Int(DESCENT_SMALL_BLOCK_ELEMENT_BYTES)
    static let headerBytes = MemoryLayout<Header>.stride

    /// Allocates uninitialised memory for `count` elements; the caller becomes its one holder.
    @inline(__always)
    static func allocate(count: Int, dtype: DType) -> (data: UnsafeMutableRawPointer, header: UnsafeMutablePointer<Header>) {
        let bytes = count * dtype.itemSize
        let data: UnsafeMutableRawPointer
        let headerOffset: Int
        if bytes <= smallBytes {
            headerOffset = smallBytes
            data = descent_small_block_take()
        } else {
            headerOffset = (bytes + 15) & ~15
            data = _CaptureTape.isActive ? _CaptureTape.reusable(bytes: headerOffset + headerBytes) ?? large(headerOffset + headerBytes)
                : large(headerOffset + headerBytes)
        }
        let header = (data + headerOffset).bindMemory(to: Header.self, capacity: 1)
        header.initialize(to: Header(version: 0, holders: 1, count: count, bytes: headerOffset + headerBytes))
        switch dtype {
        case .float32: data.bindMemory(to: Float.self, capacity: count)
        case .float64: data.bindMemory(to: Double.self, capacity: count)
        case .int64: data.bindMemory(to: Int64.self, capacity: count)
        case .bool: data.bindMemory(to: Bool.self, capacity: count)
        }
        if _CaptureTape.isActive { _CaptureTape.made(data, header) }
        return (data, header)
    }

    /// Allocates memory filled with zero bits, which is 0, 0.0 or false for every dtype.
    static func allocate(zeroedCount count: Int, dtype: DType) -> (data: UnsafeMutableRawPointer, header: UnsafeMutablePointer<Header>) {
        let block = allocate(count: count, dtype: dtype)
        block.data.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.itemSize)
        if _CaptureTape.isActive { _CaptureTape.madeZeroed(block.data, bytes: count * dtype.itemSize) }
        return block
    }

    /// Counts one more tensor reading the block.
    @inline(__always)
    static func hold(_ header: UnsafeMutablePointer<Header>) {
        descent_block_hold(header)
    }

    /// Whether a single tensor holds the block (the caller's, when it holds it). During a
    /// capture the tape's own hold on the blocks it made is not counted: otherwise every fresh
    /// gradient looked shared and was copied into `.grad`, a copy each replay repeated and a
    /// parameter-sized block the eager step does not have.
    static func isHeldOnce(_ header: UnsafeMutablePointer<Header>) -> Bool {
        descent_block_is_held_once(header) != 0 || (_CaptureTape.isActive && _CaptureTape.holdsBesideOneTensor(header))
    }

    /// Counts one tensor fewer, and frees the block when it was the last.
    @inline(__always)
    static func drop(_ data: UnsafeMutableRawPointer, _ header: UnsafeMutablePointer<Header>) {
        guard descent_block_drop(header) != 0 else {
            if _CaptureTape.isActive { _CaptureTape.released(data, header) }
            return
        }
        let bytes = header.pointee.bytes
        if bytes == smallBytes + headerBytes {
            descent_small_block_give(data)
        } else {
            freeLarge(data, bytes)
        }
    }

    /// A block of more than `smallBytes`: from the buffer cache from 128 KiB, else malloc.
    private static func large(_ bytes: Int) -> UnsafeMutableRawPointer {
        bytes >= BufferCache.minimumBytes
            ? BufferCache.take(bytes)
            : UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
    }

    private static func freeLarge(_ data: UnsafeMutableRawPointer, _ bytes: Int) {
        if bytes >= BufferCache.minimumBytes {
            BufferCache.give(data, bytes)
        } else {
            data.deallocate()
        }
    }
}

/// Keeps freed large blocks for reuse, up to a fixed total, like PyTorch's caching allocators:
/// a fresh multi-megabyte allocation costs a page fault and a page clear for every 4 KiB, which
/// made up a third of a full-batch epoch.
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
