import Foundation
import Testing

@testable import WAL

@Suite("Records beyond a cluster's end are dropped at open and never come back")
struct DiscardTests {
    @Test(
        "discardAfter keeps the records through it, sets the rest aside, and the next record takes the first dropped LSN",
        arguments: [120 as LSN, 1, 71, 72, 189, 190])
    func discardAfter(limit: LSN) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await DamageTests.writeLog(directory)
        #expect(segments.count >= 3)
        var configuration = testConfiguration(
            directory, backend: allDevices[0].backend, directIO: allDevices[0].directIO, segmentSizeBytes: 64 << 10)
        configuration.discardAfter = limit
        let (log, records) = try openCollecting(configuration)
        #expect(records.map { $0.lsn } == Array(1...limit))
        #expect(records.last?.payload == payload(for: Int(limit) - 1, size: 900))
        #expect(log.recovery.droppedRecords == 190 - Int(limit))
        #expect(log.recovery.stoppedAfter == (limit < 190 ? limit : nil))
        #expect(log.recovery.droppedLSNs == (limit < 190 ? (limit + 1)...190 : nil))
        let setAside = log.recovery.setAside
        // Whole segments beyond the limit are set aside; the one it falls in keeps its tail, which the new
        // segment starting at the first dropped LSN supersedes.
        let beyond = segments.filter { path in
            SegmentName.firstLSN(of: (path as NSString).lastPathComponent).map { $0 > limit } ?? false
        }
        #expect(setAside.count == beyond.count)
        let next = try await log.append(type: 2, payload: [7])
        #expect(next == limit + 1)
        await log.close()
        let discarded = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains(".discarded-")
        }
        #expect(discarded.count == setAside.count)

        // Opened again without a limit (strict): the dropped records are gone, the new one follows the kept.
        configuration.discardAfter = nil
        let (reopened, reread) = try openCollecting(configuration)
        #expect(reread.map { $0.lsn } == Array(1...(limit + 1)))
        #expect(reread.last?.payload == [7])
        await reopened.close()
    }
}
