import Testing

@testable import WAL

@Suite("Group commit under many producers")
struct ConcurrencyTests {
    @Test(
        "every awaited LSN is durable, unique and in order, and recovery returns all of them",
        arguments: allDevices)
    func manyProducers(device: DeviceSetup) async throws {
        let backend = device.backend
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = testConfiguration(
            directory, backend: backend, directIO: device.directIO, segmentSizeBytes: 128 << 10)
        let (log, _) = try openCollecting(configuration)
        let producers = 48
        let perProducer = 60
        let results = try await withThrowingTaskGroup(of: [(LSN, [UInt8])].self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var mine: [(LSN, [UInt8])] = []
                    for index in 0..<perProducer {
                        let bytes = payload(for: producer * 1000 + index, size: (producer * 37 + index) % 700)
                        let lsn = try await log.append(type: UInt16(producer), payload: bytes)
                        // Durable means durable now, not eventually.
                        #expect(log.durableLSN >= lsn)
                        if let previous = mine.last?.0 { #expect(lsn > previous) }
                        mine.append((lsn, bytes))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let statistics = log.statistics
        await log.close()

        #expect(Set(results.map(\.0)) == Set(1...LSN(producers * perProducer)))
        #expect(statistics.commits < producers * perProducer, "commits should be grouped")
        let (_, records) = try openCollecting(configuration)
        let expected = Dictionary(uniqueKeysWithValues: results)
        #expect(records.map(\.lsn) == Array(1...LSN(producers * perProducer)))
        for record in records { #expect(record.payload == expected[record.lsn]) }
    }

    @Test(
        "in batch and none modes appends return at once and close makes them durable",
        arguments: [Durability.batch(milliseconds: 5), .none])
    func relaxedModes(durability: Durability) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = testConfiguration(directory, backend: .pwrite)
        configuration.durability = durability
        let (log, _) = try openCollecting(configuration)
        for index in 0..<200 { try await log.append(type: 1, payload: payload(for: index, size: 50)) }
        await log.close()
        let (_, records) = try openCollecting(testConfiguration(directory, backend: .pwrite))
        #expect(records.count == 200)
    }
}
