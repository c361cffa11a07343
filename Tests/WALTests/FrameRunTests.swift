import Testing

@testable import WAL

/// A run of frames is what the cluster stores per batch: it must read back only as it was sealed.
@Suite("Frame runs: records sealed with a seed read back in order, and nothing else does")
struct FrameRunTests {
    static let records: [(type: UInt16, payload: [UInt8])] = (0..<9).map {
        (UInt16($0 + 1), Array(repeating: UInt8($0), count: $0 * 13))
    }

    @Test("records come back with their LSNs, types and payloads; another seed, a cut or extra bytes do not read")
    func roundTrip() throws {
        let run = FrameRun(records: Self.records, firstLSN: 41, seed: 7)
        #expect(run.firstLSN == 41 && run.lastLSN == 49)
        var seen: [(LSN, UInt16, [UInt8])] = []
        try run.forEachRecord { seen.append(($0.lsn, $0.type, Array($0.payload))) }
        #expect(seen.map(\.0) == Array(41...49))
        #expect(seen.map(\.1) == Self.records.map(\.type) && seen.map(\.2) == Self.records.map(\.payload))

        let otherSeed = FrameRun(firstLSN: 41, lastLSN: 49, seed: 8, frames: run.frames)
        #expect(throws: FrameRun.Defect(lsn: 41, reason: "checksum mismatch")) { try otherSeed.forEachRecord { _ in } }
        let cut = FrameRun(firstLSN: 41, lastLSN: 49, seed: 7, frames: Array(run.frames.dropLast(8)))
        #expect(throws: FrameRun.Defect.self) { try cut.forEachRecord { _ in } }
        let longer = FrameRun(firstLSN: 41, lastLSN: 49, seed: 7, frames: run.frames + [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: FrameRun.Defect(lsn: 49, reason: "bytes after the last record")) {
            try longer.forEachRecord { _ in }
        }
        let claimsMore = FrameRun(firstLSN: 41, lastLSN: 50, seed: 7, frames: run.frames)
        #expect(throws: FrameRun.Defect(lsn: 50, reason: "the run ends early")) {
            try claimsMore.forEachRecord { _ in }
        }
    }
}
