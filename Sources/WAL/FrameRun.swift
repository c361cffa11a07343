/// A run of records with consecutive LSNs in the log's own frame format, sealed with a seed of the caller's
/// choosing instead of a segment's epoch: what a cluster stores in PostgreSQL for each committed batch, so that a
/// follower checks every record's checksum and sequence exactly as recovery does.
package struct FrameRun: Sendable, Hashable {
    /// The LSN of the first record.
    package let firstLSN: LSN
    /// The LSN of the last record.
    package let lastLSN: LSN
    /// The checksum seed every frame is sealed with.
    package let seed: UInt64
    /// The frames, back to back.
    package let frames: [UInt8]

    /// Frames `records` (LSNs from `firstLSN`) and seals them with `seed`. `records` must not be empty, and no
    /// payload may exceed `RecordFrame.maxPayloadSize`.
    package init(records: [(type: UInt16, payload: [UInt8])], firstLSN: LSN, seed: UInt64) {
        precondition(!records.isEmpty && firstLSN > 0)
        var frames: [UInt8] = []
        frames.reserveCapacity(records.reduce(0) { $0 + RecordFrame.frameSize(payloadCount: $1.payload.count) })
        for (index, record) in records.enumerated() {
            precondition(record.payload.count <= RecordFrame.maxPayloadSize)
            let start = frames.count
            record.payload.withUnsafeBytes { payload in
                RecordFrame.append(lsn: firstLSN + LSN(index), type: record.type, payload: payload, to: &frames)
            }
            frames.withUnsafeMutableBytes { bytes in
                RecordFrame.seal(UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), epoch: seed)
            }
        }
        self.init(firstLSN: firstLSN, lastLSN: firstLSN + LSN(records.count - 1), seed: seed, frames: frames)
    }

    /// A run as stored; `records()` checks it.
    package init(firstLSN: LSN, lastLSN: LSN, seed: UInt64, frames: [UInt8]) {
        self.firstLSN = firstLSN
        self.lastLSN = lastLSN
        self.seed = seed
        self.frames = frames
    }

    /// Why a stored run does not read back.
    package struct Defect: Error, Hashable, CustomStringConvertible {
        /// The LSN expected where the defect is.
        package let lsn: LSN
        package let reason: String
        package var description: String { "LSN \(lsn): \(reason)" }

        package init(lsn: LSN, reason: String) {
            self.lsn = lsn
            self.reason = reason
        }
    }

    /// Every record, checked: each frame's checksum under `seed`, LSNs `firstLSN…lastLSN` in order, nothing
    /// before, between or after them. `body` sees each record in turn; its payload is valid during the call.
    package func forEachRecord(_ body: (WALRecordView) throws -> Void) throws {
        try frames.withUnsafeBytes { bytes in
            var offset = 0
            var expected = firstLSN
            while expected <= lastLSN {
                switch RecordFrame.read(bytes, at: offset, epoch: seed, expected: expected) {
                case .end: throw Defect(lsn: expected, reason: "the run ends early")
                case .defect(let defect): throw Defect(lsn: expected, reason: defect.rawValue)
                case .record(let record, let frameSize):
                    try body(record)
                    offset += frameSize
                    expected += 1
                }
            }
            guard offset == bytes.count else { throw Defect(lsn: lastLSN, reason: "bytes after the last record") }
        }
    }

    /// Every record, checked as `forEachRecord` checks them, with its payload copied.
    package func records() throws -> [(lsn: LSN, type: UInt16, payload: [UInt8])] {
        var records: [(lsn: LSN, type: UInt16, payload: [UInt8])] = []
        records.reserveCapacity(Int(lastLSN - firstLSN + 1))
        try forEachRecord { records.append(($0.lsn, $0.type, Array($0.payload))) }
        return records
    }
}
