#if canImport(Glibc)
import Glibc
#endif

/// Page-aligned memory for direct I/O, which needs buffer addresses, offsets and lengths on block boundaries.
/// Owned by one thread (the writer, or the segment preparer); grows, never shrinks.
final class AlignedBuffer {
    static let alignment = 4096
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Self.alignUp(max(capacity, Self.alignment))
        base = Self.allocate(self.capacity)
    }

    deinit { free(base) }

    static func alignUp(_ value: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }
    static func alignDown(_ value: Int) -> Int { value & ~(alignment - 1) }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        var memory: UnsafeMutableRawPointer?
        let result = posix_memalign(&memory, alignment, count)
        guard result == 0, let memory else { fatalError("posix_memalign(\(count)) failed: \(result)") }
        memset(memory, 0, count)
        return memory
    }

    /// Makes room for `count` bytes; the contents are not kept.
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        free(base)
        capacity = Self.alignUp(count)
        base = Self.allocate(capacity)
    }

    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
