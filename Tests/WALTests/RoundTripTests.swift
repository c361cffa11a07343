import Testing

@testable import WAL

@Suite("Records written are read back exactly")
struct RoundTripTests {
    @Test(
        "records of many sizes come back byte for byte, in order, across segments and restarts",
        arguments: allDevices)
    func roundTrip(device: DeviceSetup) async throws {
        let backend = device.backend
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = testConfiguration(
            directory, backend: backend, directIO: device.directIO, segmentSizeBytes: 256 << 10)
        let sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 100, 1000, 4096, 4097, 65_536, 200_000]
        var expected: [StoredRecord] = []
        let (log, replayed) = try openCollecting(configuration)
        #expect(replayed.isEmpty)
        for round in 0..<4 {
            for (index, size) in sizes.enumerated() {
                let bytes = payload(for: round * 100 + index, size: size)
                let lsn = try await log.append(type: UInt16(index), payload: bytes)
                expected.append(StoredRecord(lsn: lsn, type: UInt16(index), payload: bytes))
            }
        }
        #expect(expected.map(\.lsn) == Array(1...LSN(expected.count)))
        #expect(log.segmentFirstLSNs.count > 1, "the records should span several segments")
        await log.close()

        let (reopened, records) = try openCollecting(configuration)
        #expect(records == expected)
        let next = try await reopened.append(type: 9, payload: [1, 2, 3])
        #expect(next == LSN(expected.count + 1))
        await reopened.close()

        let (_, afterSome) = try openCollecting(configuration, after: 10)
        #expect(afterSome.first?.lsn == 11)
        #expect(afterSome.count == expected.count + 1 - 10)
    }

    @Test("a record larger than a segment can hold is refused with recordTooLarge")
    func recordTooLarge() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (log, _) = try openCollecting(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
        #expect(throws: WALError.self) { try log.enqueue(type: 1, payload: [UInt8](repeating: 1, count: 70_000)) }
        do {
            _ = try log.enqueue(type: 1, payload: [UInt8](repeating: 1, count: 70_000))
        } catch {
            #expect(error.code == .recordTooLarge)
        }
        await log.close()
    }

    @Test("after close, appends fail with closed", arguments: allDevices)
    func closedLogRefuses(device: DeviceSetup) async throws {
        let backend = device.backend
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (log, _) = try openCollecting(testConfiguration(directory, backend: backend, directIO: device.directIO))
        try await log.append(type: 1, payload: [1])
        await log.close()
        await #expect(throws: WALError.self) { try await log.append(type: 1, payload: [2]) }
    }
}
