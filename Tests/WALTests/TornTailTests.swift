import Foundation
import Testing

@testable import WAL

@Suite("A torn tail of the last segment is cut off")
struct TornTailTests {
    /// Writes records with these payload sizes into one segment and returns the segment's bytes and each
    /// record's (start offset, length field).
    static func writeLog(
        _ directory: TemporaryDirectory, device: DeviceSetup, sizes: [Int]
    ) async throws -> (name: String, bytes: [UInt8], frames: [(start: Int, length: Int)]) {
        let configuration = testConfiguration(
            directory, backend: device.backend, directIO: device.directIO,
            segmentSizeBytes: 64 << 10)
        let (log, _) = try openCollecting(configuration)
        for (index, size) in sizes.enumerated() {
            try await log.append(type: 7, payload: payload(for: index, size: size))
        }
        await log.close()
        let path = try #require(try segmentPaths(directory).first)
        var frames: [(Int, Int)] = []
        var offset = SegmentHeader.size
        for size in sizes {
            frames.append((offset, RecordFrame.headerSize + size))
            offset += RecordFrame.frameSize(payloadCount: size)
        }
        return ((path as NSString).lastPathComponent, Array(try Data(contentsOf: URL(fileURLWithPath: path))), frames)
    }

    static let sizes = [40, 7, 120, 0, 33, 250, 9, 64, 100, 18, 77, 5]

    @Test(
        "cutting the file at every byte offset inside the last records recovers exactly the complete prefix",
        arguments: allDevices)
    func truncatedAtEveryOffset(device: DeviceSetup) async throws {
        try await checkEveryOffset(device: device) { bytes, cut in Array(bytes[0..<cut]) }
    }

    @Test(
        "zeroing the file from every byte offset inside the last records recovers exactly the complete prefix",
        arguments: allDevices)
    func zeroedFromEveryOffset(device: DeviceSetup) async throws {
        try await checkEveryOffset(device: device) { bytes, cut in
            var damaged = bytes
            for index in cut..<damaged.count { damaged[index] = 0 }
            return damaged
        }
    }

    private func checkEveryOffset(
        device: DeviceSetup, damage: ([UInt8], Int) -> [UInt8]
    ) async throws {
        let source = TemporaryDirectory()
        defer { source.remove() }
        let (name, bytes, frames) = try await Self.writeLog(source, device: device, sizes: Self.sizes)
        let firstCut = frames[frames.count - 4].start
        let lastCut = frames[frames.count - 1].start + frames[frames.count - 1].length
        let target = TemporaryDirectory()
        defer { target.remove() }
        for cut in firstCut...lastCut {
            for file in try FileManager.default.contentsOfDirectory(atPath: target.path) {
                try FileManager.default.removeItem(atPath: target.file(file))
            }
            try Data(damage(bytes, cut)).write(to: URL(fileURLWithPath: target.file(name)))
            let complete = frames.filter { $0.start + $0.length <= cut }.count
            let configuration = testConfiguration(
                target, backend: device.backend, directIO: device.directIO,
                segmentSizeBytes: 64 << 10)
            let (log, records) = try openCollecting(configuration)
            #expect(records.count == complete, "cut at \(cut)")
            #expect(records.map(\.lsn) == (0..<complete).map { LSN($0 + 1) })
            for record in records {
                #expect(record.payload == payload(for: Int(record.lsn) - 1, size: Self.sizes[Int(record.lsn) - 1]))
            }
            #expect(log.recovery.damage == nil)
            // Appends continue right after the prefix, and survive the next restart.
            if cut % 5 == 0 || cut == lastCut {
                let next = try await log.append(type: 8, payload: [9, 9, 9])
                #expect(next == LSN(complete + 1))
                await log.close()
                let (again, reread) = try openCollecting(configuration)
                #expect(reread.count == complete + 1)
                #expect(reread.last?.payload == [9, 9, 9])
                await again.close()
            } else {
                await log.close()
            }
        }
    }

    @Test("the torn bytes are reported, and an intact log reports none")
    func tornBytesReported() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (name, bytes, frames) = try await Self.writeLog(directory, device: allDevices[0], sizes: Self.sizes)
        let last = frames[frames.count - 1]
        let (intact, _) = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
        #expect(intact.recovery.tornBytes == 0)
        await intact.close()

        var torn = bytes
        torn[last.start + 20] ^= 0xFF
        try Data(torn).write(to: URL(fileURLWithPath: directory.file(name)))
        let (log, records) = try openCollecting(
            testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
        #expect(records.count == frames.count - 1)
        #expect(log.recovery.tornBytes > 0)
        await log.close()
    }
}

@Suite("A segment created ahead of its records")
struct StaleSegmentTests {
    @Test("when the log ends inside a segment and the next segment holds no record, that is the end, not damage")
    func emptyNextSegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segments = try await DamageTests.writeLog(directory)
        // The second segment lost its last records (never synced), the third none written at all.
        let cut = DamageTests.recordOffset(10)
        var second = try Data(contentsOf: URL(fileURLWithPath: segments[1]))
        second.replaceSubrange(cut..<second.count, with: Data(count: second.count - cut))
        try second.write(to: URL(fileURLWithPath: segments[1]))
        var third = try Data(contentsOf: URL(fileURLWithPath: segments[2]))
        third.replaceSubrange(SegmentHeader.size..<third.count, with: Data(count: third.count - SegmentHeader.size))
        try third.write(to: URL(fileURLWithPath: segments[2]))

        let configuration = testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10)
        let (log, records) = try openCollecting(configuration)
        let firstOfSecond = try #require(SegmentName.firstLSN(of: (segments[1] as NSString).lastPathComponent))
        #expect(records.last?.lsn == firstOfSecond + 9)
        #expect(log.recovery.staleSegments == [(segments[2] as NSString).lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: segments[2]))
        let next = try await log.append(type: 5, payload: [5])
        #expect(next == firstOfSecond + 10)
        await log.close()
        let (reopened, again) = try openCollecting(configuration)
        #expect(again.count == records.count + 1)
        await reopened.close()
    }
}
