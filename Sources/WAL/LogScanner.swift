#if canImport(Glibc)
import Glibc
#endif

/// Damage found by a scan: where the log stops being trustworthy.
package struct LogDamage: Sendable, Hashable, CustomStringConvertible {
    /// The segment file's name.
    package let file: String
    /// The byte offset of the first bad byte structure (a frame, or 0 for a bad header).
    package let offset: Int
    /// The LSN that was expected there.
    package let expectedLSN: LSN
    /// What is wrong, in words.
    package let reason: String

    package var description: String { "\(reason) at LSN \(expectedLSN) in \(file) at offset \(offset)" }
}

/// One segment as a scan saw it.
package struct SegmentReport: Sendable, Hashable {
    package let fileName: String
    package let path: String
    package let firstLSN: LSN
    /// Records validated in this segment (up to the next segment's first LSN, or the end of the log).
    package var recordCount: Int
    /// The offset just after the last valid record.
    package var endOffset: Int
    package let fileSize: Int
    package let header: SegmentHeader?
}

/// What a read-only pass over a log directory found.
package struct LogScanReport: Sendable {
    package var segments: [SegmentReport] = []
    /// Records that validated, in all segments (including those at or before the `after` LSN).
    package var recordCount = 0
    /// The first and last valid LSN in the log; nil when it holds no record.
    package var firstLSN: LSN?
    package var lastLSN: LSN?
    /// Bytes cut off as a torn tail of the last segment (an unacknowledged, partly written write).
    package var tornBytes = 0
    /// The first damage before the end of the log, if any. Records after it were not visited.
    package var damage: LogDamage?
    /// Segment files after the one the log ends in, created ahead of records that never reached them: they
    /// hold no valid record. `WriteAheadLog.open` deletes them.
    package var staleSegments: [String] = []
    /// The damage that `--recover=truncate` cut the log at, and the files it set aside, when it did.
    package var truncatedAt: LogDamage?
    package var setAside: [String] = []
    /// What that cut gave up: the records that still validate after the damage (the damaged bytes may have
    /// held more), and their lowest and highest LSN.
    package var droppedRecords = 0
    package var droppedLSNs: ClosedRange<LSN>?
    /// Set when the scan stopped at a record beyond its `stopAfter` LSN (reported as `damage` there), rather
    /// than at damage; `WriteAheadLog.open` then sets the rest aside as discarded.
    package var stoppedAfter: LSN?
    /// Whether the last segment ends cleanly (zeros after its last record) at its full preallocated size,
    /// so that appends can continue in it.
    package var lastSegmentAppendable = false
}

/// Reads every segment of a log directory in LSN order and validates each record. Read-only: it never
/// modifies a file. `WriteAheadLog.open` applies the recovery policy to what it reports.
enum LogScanner {
    /// Lists the segment files of `directory`, ordered by first LSN.
    static func segmentNames(in directory: String) throws(WALError) -> [(name: String, firstLSN: LSN)] {
        try PosixFile.list(directory)
            .compactMap { name in SegmentName.firstLSN(of: name).map { (name, $0) } }
            .sorted { $0.firstLSN < $1.firstLSN }
    }

    /// Scans `directory`, handing every valid record with an LSN above `after` to `visit`, in order. With
    /// `stopAfter`, the first record beyond it ends the scan as if it were damage (`stoppedAfter` says so).
    static func scan(
        directory: String, after: LSN, stopAfter: LSN? = nil, syncFirst: Bool,
        fromSegmentHolding start: LSN? = nil, visit: (WALRecordView) throws -> Void
    ) throws -> LogScanReport {
        var names = try segmentNames(in: directory)
        if let start {
            // Segments whose successor begins at or before `start` hold only records before it.
            while names.count > 1 && names[1].firstLSN <= start { names.removeFirst() }
        }
        if syncFirst {
            // What a crashed process left in the page cache may still be lost on power failure; make it
            // durable before deciding what the log holds.
            try PosixFile.syncDirectory(directory)
            for entry in names { try syncExistingFile(directory + "/" + entry.name) }
        }
        var report = LogScanReport()
        for (index, entry) in names.enumerated() {
            let limit: LSN? = index + 1 < names.count ? names[index + 1].firstLSN - 1 : nil
            let file = try MappedFile(path: directory + "/" + entry.name)
            let later = names[(index + 1)...]
            let endsLog = try scanSegment(
                file, name: entry.name, firstLSN: entry.firstLSN, limit: limit, after: after, stopAfter: stopAfter,
                report: &report,
                laterSegmentsHoldRecords: { () throws(WALError) in
                    for segment in later
                    where try firstRecordIsValid(
                        directory + "/" + segment.name,
                        firstLSN: segment.firstLSN)
                    {
                        return true
                    }
                    return false
                }, visit: visit)
            if report.damage != nil { break }
            if endsLog {
                report.staleSegments = later.map(\.name)
                break
            }
        }
        return report
    }

    /// Whether the segment at `path` starts with a valid record (header intact, first frame valid).
    private static func firstRecordIsValid(_ path: String, firstLSN: LSN) throws(WALError) -> Bool {
        let file = try MappedFile(path: path)
        guard case .success(let header) = SegmentHeader.decode(file.bytes) else { return false }
        if case .record = RecordFrame.read(file.bytes, at: SegmentHeader.size, epoch: header.epoch, expected: firstLSN)
        {
            return true
        }
        return false
    }

    private static func syncExistingFile(_ path: String) throws(WALError) {
        let fd = try PosixFile.open(path, O_RDONLY)
        defer { PosixFile.close(fd) }
        try PosixFile.syncFile(fd, path: path)
    }

    /// Validates one segment. Returns true when the log ends in this segment although later segment files
    /// exist: they were created ahead of the records that would have filled this one, and hold no record.
    private static func scanSegment(
        _ file: MappedFile, name: String, firstLSN: LSN, limit: LSN?, after: LSN, stopAfter: LSN?,
        report: inout LogScanReport, laterSegmentsHoldRecords: () throws(WALError) -> Bool,
        visit: (WALRecordView) throws -> Void
    ) throws -> Bool {
        let bytes = file.bytes
        func damage(_ reason: String, offset: Int, expected: LSN) {
            report.damage = LogDamage(file: name, offset: offset, expectedLSN: expected, reason: reason)
        }
        if let previous = report.lastLSN, previous + 1 != firstLSN {
            damage("LSN gap between segments (previous ends at \(previous))", offset: 0, expected: previous + 1)
            return false
        }
        let header: SegmentHeader
        switch SegmentHeader.decode(bytes) {
        case .failure(let defect):
            report.segments.append(
                SegmentReport(
                    fileName: name, path: file.path, firstLSN: firstLSN,
                    recordCount: 0, endOffset: 0, fileSize: bytes.count, header: nil))
            damage(defect.rawValue, offset: 0, expected: firstLSN)
            return false
        case .success(let decoded):
            header = decoded
        }
        var segment = SegmentReport(
            fileName: name, path: file.path, firstLSN: firstLSN, recordCount: 0,
            endOffset: SegmentHeader.size, fileSize: bytes.count, header: header)
        defer { report.segments.append(segment) }
        guard header.firstLSN == firstLSN else {
            damage("segment header names first LSN \(header.firstLSN)", offset: 0, expected: firstLSN)
            return false
        }
        var expected = firstLSN
        var offset = SegmentHeader.size
        while limit.map({ expected <= $0 }) ?? true {
            switch RecordFrame.read(bytes, at: offset, epoch: header.epoch, expected: expected) {
            case .record(let record, _) where stopAfter.map({ record.lsn > $0 }) == true:
                damage("beyond LSN \(stopAfter!)", offset: offset, expected: record.lsn)
                report.stoppedAfter = stopAfter
                return false
            case .record(let record, let frameSize):
                if record.lsn > after { try visit(record) }
                if report.firstLSN == nil { report.firstLSN = record.lsn }
                report.lastLSN = record.lsn
                report.recordCount += 1
                segment.recordCount += 1
                expected += 1
                offset += frameSize
                segment.endOffset = offset
            case .end where limit != nil:
                guard try !laterSegmentsHoldRecords() else {
                    damage(
                        "segment ends at LSN \(expected - 1) but the next segment begins at LSN \(limit! + 1) "
                            + "(records \(expected)…\(limit!) are missing)", offset: offset, expected: expected)
                    return false
                }
                classifyTail(bytes, offset: offset, header: header, expected: expected, name: name, report: &report)
                return true
            case .defect(let defect) where limit != nil:
                guard try !laterSegmentsHoldRecords() else {
                    damage(defect.rawValue, offset: offset, expected: expected)
                    return false
                }
                classifyTail(bytes, offset: offset, header: header, expected: expected, name: name, report: &report)
                return true
            case .end, .defect:
                classifyTail(
                    bytes, offset: offset, header: header, expected: expected, name: name,
                    report: &report)
                report.lastSegmentAppendable =
                    report.damage == nil && report.tornBytes == 0
                    && bytes.count == Int(header.segmentSizeBytes)
                return false
            }
        }
        return false
    }

    /// Decides what follows the last valid record of the last segment: zeros (a clean end), bytes in which
    /// no valid record follows (a torn tail, cut off), or a valid record further on (damage in the middle).
    private static func classifyTail(
        _ bytes: UnsafeRawBufferPointer, offset: Int, header: SegmentHeader, expected: LSN, name: String,
        report: inout LogScanReport
    ) {
        guard let lastNonZero = lastNonZeroIndex(bytes, from: offset) else { return }
        var probe = offset + RecordFrame.alignment
        while probe + RecordFrame.headerSize <= bytes.count, probe <= lastNonZero {
            if RecordFrame.isValidFrame(bytes, at: probe, epoch: header.epoch, after: expected - 1) {
                let reason: String
                switch RecordFrame.read(bytes, at: offset, epoch: header.epoch, expected: expected) {
                case .defect(let defect): reason = defect.rawValue
                default: reason = "zeroed record"
                }
                report.damage = LogDamage(
                    file: name, offset: offset, expectedLSN: expected,
                    reason: reason + " followed by valid records")
                return
            }
            probe += RecordFrame.alignment
        }
        report.tornBytes = lastNonZero + 1 - offset
    }

    /// The records that validate in the segment at `path` from byte `start` on — probing every aligned offset,
    /// so that records after damage are found — with their lowest and highest LSN: what a cut there gives up.
    static func validRecords(in path: String, from start: Int?) -> (count: Int, lsns: ClosedRange<LSN>?) {
        guard let file = try? MappedFile(path: path), case .success(let header) = SegmentHeader.decode(file.bytes)
        else {
            return (0, nil)
        }
        let bytes = file.bytes
        var count = 0
        var lowest: LSN?
        var highest: LSN = 0
        var offset = max(start ?? SegmentHeader.size, SegmentHeader.size)
        while offset + RecordFrame.headerSize <= bytes.count {
            if RecordFrame.isValidFrame(bytes, at: offset, epoch: header.epoch, after: header.firstLSN - 1),
                case .record(let record, let size) = RecordFrame.read(
                    bytes, at: offset, epoch: header.epoch,
                    expected: bytes.readLE(UInt64.self, at: offset + RecordFrame.lsnOffset))
            {
                count += 1
                lowest = min(lowest ?? record.lsn, record.lsn)
                highest = max(highest, record.lsn)
                offset += size
            } else {
                offset += RecordFrame.alignment
            }
        }
        return (count, lowest.map { $0...highest })
    }

    /// The index of the last non-zero byte at or after `start`, or nil when all of it is zero.
    static func lastNonZeroIndex(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = bytes.count - 1
        // Word-at-a-time from the end while aligned, then bytes.
        while index >= start, (index + 1) % 8 != 0 {
            if bytes[index] != 0 { return index }
            index -= 1
        }
        while index - 7 >= start {
            if bytes.loadUnaligned(fromByteOffset: index - 7, as: UInt64.self) != 0 { break }
            index -= 8
        }
        while index >= start {
            if bytes[index] != 0 { return index }
            index -= 1
        }
        return nil
    }
}
