import Foundation
import Testing

@testable import WAL

@Suite("Damage before the end of the log is reported, never silently skipped")
struct DamageTests {
    /// Writes 190 records of 900 bytes in 64 KiB segments (three, the last one part full); returns their paths.
    static func writeLog(_ directory: TemporaryDirectory, device: DeviceSetup = allDevices[0]) async throws -> [String]
    {
        let configuration = testConfiguration(
            directory, backend: device.backend, directIO: device.directIO,
            segmentSizeBytes: 64 << 10)
        let (log, _) = try openCollecting(configuration)
        for index in 0..<190 { try await log.append(type: 1, payload: payload(for: index, size: 900)) }
        await log.close()
        return try segmentPaths(directory)
    }

    static func flipBit(in path: String, at offset: Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// The offset of the `index`-th record (0-based) of a segment of 900-byte records.
    static func recordOffset(_ index: Int) -> Int {
        SegmentHeader.size + index * RecordFrame.frameSize(payloadCount: 900)
    }

    @Test(
        "a flipped bit in a middle record names the file and offset; truncate keeps the prefix",
        arguments: allDevices)
    func flippedBitInMiddleSegment(device: DeviceSetup) async throws {
        let backend = device.backend
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await Self.writeLog(directory, device: device)
        #expect(segments.count >= 3)
        let damagedOffset = Self.recordOffset(4)
        try Self.flipBit(in: segments[1], at: damagedOffset + 300)
        var configuration = testConfiguration(
            directory, backend: backend, directIO: device.directIO, segmentSizeBytes: 64 << 10)
        do {
            _ = try openCollecting(configuration)
            Issue.record("a damaged log opened without complaint")
        } catch let error as WALError {
            #expect(error.code == .damaged)
            #expect(error.file == segments[1])
            #expect(error.offset == damagedOffset)
            #expect(error.description.contains("checksum"))
        }

        let firstOfSegment = try #require(SegmentName.firstLSN(of: (segments[1] as NSString).lastPathComponent))
        configuration.recovery = .truncateAfterDamage
        let (log, records) = try openCollecting(configuration)
        #expect(log.recovery.truncatedAt?.offset == damagedOffset)
        #expect(log.recovery.setAside.count == segments.count - 2)
        #expect(records.count == Int(firstOfSegment - 1) + 4)
        #expect(records.last?.lsn == firstOfSegment + 3)
        // What the cut gave up, counted: every record after the damaged one still validates.
        #expect(log.recovery.droppedRecords == 190 - records.count - 1)
        #expect(log.recovery.droppedLSNs == (firstOfSegment + 5)...190)
        let next = try await log.append(type: 2, payload: [1])
        #expect(next == firstOfSegment + 4)
        await log.close()
        let setAside = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains(".damaged-")
        }
        #expect(setAside.count == segments.count - 2)

        configuration.recovery = .strict
        let (reopened, reread) = try openCollecting(configuration)
        #expect(reread.count == records.count + 1)
        await reopened.close()
    }

    @Test("a flipped bit in a record of the last segment that valid records follow is damage, not a torn tail")
    func flippedBitInLastSegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await Self.writeLog(directory)
        try Self.flipBit(in: segments.last!, at: Self.recordOffset(1) + 100)
        #expect(throws: WALError.self) {
            _ = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
        }
    }

    @Test("a missing middle segment is reported as missing records")
    func missingSegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await Self.writeLog(directory)
        try FileManager.default.removeItem(atPath: segments[1])
        do {
            _ = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
            Issue.record("a log with a missing segment opened")
        } catch let error as WALError {
            #expect(error.code == .damaged)
            #expect(error.description.contains("missing"))
            #expect(error.file == segments[0])
        }
    }

    @Test("a segment cut short before the next one begins is damage")
    func truncatedMiddleSegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await Self.writeLog(directory)
        let cut = Self.recordOffset(3) + 10
        #expect(truncate(segments[0], off_t(cut)) == 0)
        do {
            _ = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
            Issue.record("a log with a truncated middle segment opened")
        } catch let error as WALError {
            #expect(error.code == .damaged)
            #expect(error.file == segments[0])
            #expect(error.offset == Self.recordOffset(3))
        }
    }

    @Test("a damaged segment header is damage at offset 0")
    func damagedHeader() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await Self.writeLog(directory)
        try Self.flipBit(in: segments[1], at: 20)
        do {
            _ = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
            Issue.record("a log with a damaged header opened")
        } catch let error as WALError {
            #expect(error.file == segments[1])
            #expect(error.offset == 0)
        }
    }
}
