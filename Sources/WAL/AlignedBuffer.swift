#if canImport(Glibc)
import Glibc
#endif

/// Page-aligned memory for direct I/O, which needs buffer addresses, offsets and lengths on block boundaries.
/// Grows, never shrinks.
///
/// `@unchecked Sendable`: a buffer has one user at a time. The staging buffer belongs to the write turn,
/// which passes between the log's workers only through the log's lock.
final class AlignedBuffer: @unchecked Sendable {
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

    /// Makes room for `count` bytes, keeping the first `keeping` bytes.
    func grow(to count: Int, keeping: Int) {
        guard count > capacity else { return }
        let newCapacity = Self.alignUp(max(count, capacity * 2))
        let larger = Self.allocate(newCapacity)
        larger.copyMemory(from: base, byteCount: keeping)
        free(base)
        base = larger
        capacity = newCapacity
    }

    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}
