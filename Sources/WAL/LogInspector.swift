/// One frame as `tessera wal inspect` shows it, valid or not.
package struct InspectedFrame: Sendable, Hashable {
    package enum Checksum: String, Sendable {
        case ok
        case bad
    }

    package let segment: String
    package let offset: Int
    package let lsn: LSN
    package let type: UInt16
    /// The length field: header plus payload, without padding.
    package let length: Int
    package let checksum: Checksum
    /// Whether the LSN is the one after the previous frame's.
    package let inSequence: Bool
}

/// Where inspection of a segment stopped, when it stopped before the end.
package struct InspectionStop: Sendable, Hashable {
    package let segment: String
    package let offset: Int
    package let reason: String
}

/// Walks every frame of every segment for the operator, reporting bad checksums instead of stopping at them,
/// as long as the length fields still lead from one frame to the next. Read-only.
package enum LogInspector {
    /// Calls `visit` with every frame in log order; returns the places where a segment could not be followed
    /// further (an implausible length, or a bad header).
    @discardableResult
    package static func inspect(directory: String, visit: (InspectedFrame) -> Void) throws(WALError) -> [InspectionStop]
    {
        var stops: [InspectionStop] = []
        let names = try LogScanner.segmentNames(in: directory)
        for (index, entry) in names.enumerated() {
            let nextFirst = index + 1 < names.count ? names[index + 1].firstLSN : nil
            let file = try MappedFile(path: directory + "/" + entry.name)
            let bytes = file.bytes
            guard case .success(let header) = SegmentHeader.decode(bytes) else {
                stops.append(InspectionStop(segment: entry.name, offset: 0, reason: "bad segment header"))
                continue
            }
            var offset = SegmentHeader.size
            var expected = entry.firstLSN
            while bytes.count - offset >= RecordFrame.headerSize {
                if let nextFirst, expected >= nextFirst { break }
                let length = Int(bytes.readLE(UInt32.self, at: offset))
                if length == 0 { break }
                guard length >= RecordFrame.headerSize, length <= bytes.count - offset else {
                    stops.append(
                        InspectionStop(
                            segment: entry.name, offset: offset,
                            reason: "implausible length \(length); the rest cannot be followed"))
                    break
                }
                let frame = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
                let valid =
                    frame.readLE(UInt32.self, at: RecordFrame.crcOffset)
                    == RecordFrame.checksum(of: frame, length: length, epoch: header.epoch)
                let lsn = frame.readLE(UInt64.self, at: RecordFrame.lsnOffset)
                visit(
                    InspectedFrame(
                        segment: entry.name, offset: offset, lsn: lsn,
                        type: frame.readLE(UInt16.self, at: RecordFrame.typeOffset), length: length,
                        checksum: valid ? .ok : .bad, inSequence: lsn == expected))
                expected = (valid ? lsn : expected) + 1
                offset += RecordFrame.alignUp(length)
            }
        }
        return stops
    }
}

/// Figures about a log directory, for `tessera wal stats`.
package struct LogStatistics: Sendable {
    package var segmentCount = 0
    /// Bytes of all segment files (preallocated size).
    package var allocatedBytes = 0
    /// Bytes holding valid records, padding included.
    package var usedBytes = 0
    package var recordCount = 0
    package var firstLSN: LSN?
    package var lastLSN: LSN?
    package var tornBytes = 0
    package var damage: LogDamage?
    /// Records and payload bytes per record type.
    package var types: [UInt16: (records: Int, payloadBytes: Int)] = [:]

    /// Reads `directory` (read-only) and gathers the figures.
    package static func gather(directory: String) throws -> LogStatistics {
        var statistics = LogStatistics()
        let report = try LogScanner.scan(directory: directory, after: 0, syncFirst: false) { record in
            statistics.types[record.type, default: (0, 0)].records += 1
            statistics.types[record.type, default: (0, 0)].payloadBytes += record.payload.count
        }
        statistics.segmentCount = report.segments.count
        statistics.allocatedBytes = report.segments.reduce(0) { $0 + $1.fileSize }
        statistics.usedBytes = report.segments.reduce(0) { $0 + max(0, $1.endOffset - SegmentHeader.size) }
        statistics.recordCount = report.recordCount
        statistics.firstLSN = report.firstLSN
        statistics.lastLSN = report.lastLSN
        statistics.tornBytes = report.tornBytes
        statistics.damage = report.damage
        return statistics
    }
}

/// Reads a log without changing it, for replays and audits.
package enum LogReader {
    /// Hands every valid record with an LSN above `after` to `visit`, in order, and reports what was found.
    /// Nothing is written, synced, truncated or deleted. `visit` may throw to stop early.
    /// `fromSegmentHolding`: start with the segment holding that LSN, skipping the older ones.
    package static func read(
        directory: String, after: LSN, fromSegmentHolding start: LSN? = nil, visit: (WALRecordView) throws -> Void
    ) throws -> LogScanReport {
        try LogScanner.scan(
            directory: directory, after: after, syncFirst: false, fromSegmentHolding: start, visit: visit)
    }

    /// The first LSNs of the segment files in `directory`, oldest first (none when it does not exist).
    package static func segmentFirstLSNs(directory: String) throws(WALError) -> [LSN] {
        guard PosixFile.exists(directory) else { return [] }
        return try LogScanner.segmentNames(in: directory).map(\.firstLSN)
    }

    /// The record at `lsn` (its type and payload), reading only the segment that holds it; nil when the log does
    /// not hold it (never written, cut off, or in a segment already deleted).
    package static func record(at lsn: LSN, directory: String) throws -> (type: UInt16, payload: [UInt8])? {
        struct Found: Error { let type: UInt16, payload: [UInt8] }
        guard lsn > 0 else { return nil }
        do {
            _ = try read(directory: directory, after: lsn - 1, fromSegmentHolding: lsn) { view in
                guard view.lsn == lsn else { return }
                throw Found(type: view.type, payload: Array(view.payload))
            }
        } catch let found as Found {
            return (found.type, found.payload)
        }
        return nil
    }
}
