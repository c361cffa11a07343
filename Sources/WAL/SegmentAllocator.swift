#if canImport(Glibc)
import Glibc
#endif

/// Creates segment files. A spare, zero-filled file is prepared ahead on a background thread, so that the
/// writer, when a segment fills up, only writes a header and renames. Zero-filling 64 MiB takes long
/// enough here that doing it at rotation would stall every waiting commit.
final class SegmentAllocator: Sendable {
    private struct State {
        var spareReady = false
        var preparing = false
        var failure: WALError?
    }

    let directory: String
    let segmentSizeBytes: Int
    let directIO: Bool
    private let state = ConditionLock(State())

    static let spareName = "wal-spare.tmp"
    var sparePath: String { directory + "/" + Self.spareName }

    init(directory: String, segmentSizeBytes: Int, directIO: Bool) {
        self.directory = directory
        self.segmentSizeBytes = segmentSizeBytes
        self.directIO = directIO
        // A spare left by an earlier run may be half written; never trust it.
        try? Durable.remove([directory + "/" + Self.spareName])
    }

    /// Starts preparing a spare in the background unless one is ready or on its way.
    func prepareSpare() {
        let start = state.withLock { state -> Bool in
            guard !state.spareReady, !state.preparing else { return false }
            state.preparing = true
            state.failure = nil
            return true
        }
        guard start else { return }
        startDetachedThread(name: "tessera-wal-prep") { [self] in
            var failure: WALError?
            do throws(WALError) {
                try PosixFile.createZeroFilled(sparePath, size: segmentSizeBytes, directIO: directIO)
            } catch { failure = error }
            state.withLock { state in
                state.preparing = false
                state.spareReady = failure == nil
                state.failure = failure
            }
            state.broadcast()
        }
    }

    /// Turns the spare (waiting for it, or making one now) into the segment whose first record is `firstLSN`:
    /// writes the header with a fresh random epoch, makes it durable, renames, syncs the directory.
    func create(firstLSN: LSN) throws(WALError) -> ActiveSegment {
        let ready = state.wait(until: { !$0.preparing }) { state -> Bool in
            defer { state.spareReady = false }
            return state.spareReady
        }
        if !ready { try PosixFile.createZeroFilled(sparePath, size: segmentSizeBytes, directIO: directIO) }
        let header = SegmentHeader(
            epoch: Self.randomEpoch(), firstLSN: firstLSN,
            segmentSizeBytes: UInt64(segmentSizeBytes))
        let path = directory + "/" + SegmentName.fileName(firstLSN: firstLSN)
        let (fd, direct) = try PosixFile.openForWriting(sparePath, directIO: directIO)
        do throws(WALError) {
            let block = AlignedBuffer(capacity: SegmentHeader.size)
            header.encoded().withUnsafeBytes { block.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            try PosixFile.writeAll(fd, block.bytes(0..<SegmentHeader.size), at: 0, path: sparePath)
            if fdatasync(fd) != 0 { throw WALError.system("fdatasync", path: sparePath, errno: errno, fatal: true) }
            try Durable.rename(sparePath, path)
        } catch {
            PosixFile.close(fd)
            throw error
        }
        prepareSpare()
        return ActiveSegment(fd: fd, path: path, header: header, direct: direct, writeOffset: SegmentHeader.size)
    }

    /// Waits until no spare is being prepared (before the log closes, so no thread outlives it).
    func quiesce() {
        state.wait(until: { !$0.preparing }) { _ in }
    }

    static func randomEpoch() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next() | 1
    }
}
