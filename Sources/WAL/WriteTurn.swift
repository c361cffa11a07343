/// What the worker holding the log's write turn uses: the staging buffer, the segment being appended to, and
/// segment creation. Lays out the frames it is handed as one commit and writes it.
///
/// `@unchecked Sendable`: the pipeline grants the write turn to one worker at a time, under the log's lock,
/// and the lock orders one holder's use before the next one's; nobody else touches it.
final class WriteTurn: @unchecked Sendable {
    private let builder = CommitBuilder(buffer: AlignedBuffer(capacity: 1 << 20))
    /// Where appends continue.
    private(set) var segment: ActiveSegment
    private let allocator: SegmentAllocator
    private let segmentList: SegmentList
    /// Called when a segment file was made (to count it).
    private let onNewSegment: @Sendable () -> Void

    init(
        continuing segment: ActiveSegment, allocator: SegmentAllocator, segmentList: SegmentList,
        onNewSegment: @escaping @Sendable () -> Void
    ) {
        self.segment = segment
        self.allocator = allocator
        self.segmentList = segmentList
        self.onNewSegment = onNewSegment
    }

    /// Lays out `frames` (LSNs from `first`) as one commit and writes its pieces with `device`.
    /// `mayRetire` is called before a piece that closes a full segment is written, and returns once no sync
    /// uses that segment. Returns the segment the commit ended in and what the commit did.
    func write(
        _ frames: inout [UInt8], first: LSN, device: any LogDevice, mayRetire: () throws(WALError) -> Void
    ) throws(WALError) -> (segment: ActiveSegment, statistics: CommitStatistics) {
        let start = MonotonicClock.nanoseconds()
        var active = segment
        builder.reset()
        defer { segment = active }
        try builder.append(&frames, firstLSN: first, segment: &active, rotate: newSegment(firstLSN:))
        let commit = builder.finish()
        let laidOut = MonotonicClock.nanoseconds()
        if commit.retiresSegment { try mayRetire() }
        for piece in commit.pieces {
            do {
                try device.write(
                    fd: piece.fd, bytes: commit.buffer.bytes(piece.range), offset: piece.fileOffset,
                    sync: piece.sync)
            } catch {
                throw WALError.system(error.operation, path: piece.path, errno: error.errno, fatal: true)
            }
            if piece.closesSegment { PosixFile.close(piece.fd) }
        }
        let statistics = CommitStatistics(
            records: commit.records, bytes: commit.bytes,
            layoutNanoseconds: laidOut - start, writeNanoseconds: MonotonicClock.nanoseconds() - laidOut)
        return (active, statistics)
    }

    /// Closes the segment's descriptor, once the log stopped.
    func close() { segment.close() }

    private func newSegment(firstLSN: LSN) throws(WALError) -> ActiveSegment {
        let created = try allocator.create(firstLSN: firstLSN)
        segmentList.append(firstLSN: firstLSN)
        onNewSegment()
        return created
    }
}
