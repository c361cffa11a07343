import Synchronization

/// The first LSNs of the segment files on disk, in order. The writer appends when it creates a segment;
/// snapshot retention removes the oldest.
final class SegmentList: Sendable {
    private let firstLSNs: Mutex<[LSN]>

    init(_ firstLSNs: [LSN]) { self.firstLSNs = Mutex(firstLSNs) }

    func append(firstLSN: LSN) { firstLSNs.withLock { $0.append(firstLSN) } }

    var all: [LSN] { firstLSNs.withLock { $0 } }

    /// Removes and returns the segments whose every record is at or below `lsn`: those followed by a
    /// segment that starts at or below `lsn + 1`. The last segment is never among them.
    func takeCovered(through lsn: LSN) -> [LSN] {
        firstLSNs.withLock { list in
            var covered: [LSN] = []
            while list.count >= 2, list[1] <= lsn + 1 {
                covered.append(list.removeFirst())
            }
            return covered
        }
    }
}
