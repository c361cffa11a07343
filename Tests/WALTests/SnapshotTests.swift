import Foundation
import Testing

@testable import WAL

@Suite("Snapshot files, the manifest, and log retention")
struct SnapshotTests {
    static func snapshotPayload(_ lsn: LSN, size: Int = 3_000_000) -> [UInt8] {
        payload(for: Int(lsn), size: size)
    }

    @Test("a snapshot is read back exactly and the manifest names it")
    func roundTrip() throws {
        let directory = TemporaryDirectory("snap")
        defer { directory.remove() }
        let store = try SnapshotStore(directory: directory.path)
        #expect(try store.loadNewest { _ in true } == nil)
        let bytes = Self.snapshotPayload(42)
        let result = try store.write(lsn: 42) { writer in
            // Streamed in uneven pieces: the file holds their concatenation.
            var offset = 0
            for piece in [1, 1000, 700_000, 2_000_000] where offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                try writer.write(bytes[offset..<end])
                offset = end
            }
            try writer.write(bytes[offset...])
        }
        #expect(result.lsn == 42)
        #expect(result.removableThroughLSN == 42)
        #expect(try store.readManifest() == 42)
        let loaded = try #require(try store.loadNewest { _ in true })
        #expect(loaded.lsn == 42)
        #expect(loaded.payload == bytes)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") })
    }

    @Test("only the two newest snapshots are kept; the older one bounds log removal")
    func retention() throws {
        let directory = TemporaryDirectory("snap")
        defer { directory.remove() }
        let store = try SnapshotStore(directory: directory.path)
        var last: SnapshotWriteResult?
        for lsn: LSN in [10, 20, 30, 40] {
            last = try store.write(lsn: lsn) { try $0.write(Self.snapshotPayload(lsn, size: 100)) }
        }
        #expect(try store.snapshotLSNs().sorted() == [30, 40])
        #expect(last?.removableThroughLSN == 30)
    }

    @Test("a damaged newest snapshot falls back to the previous one when the log still continues it")
    func fallback() async throws {
        let root = TemporaryDirectory("snap")
        defer { root.remove() }
        let walDirectory = root.file("wal")
        let store = try SnapshotStore(directory: root.file("snapshots"))
        var configuration = WALConfiguration(directory: walDirectory)
        configuration.segmentSizeBytes = 64 << 10
        configuration.backend = .pwrite
        let log = try WriteAheadLog.open(configuration)
        for index in 0..<600 { try await log.append(type: 1, payload: payload(for: index, size: 500)) }
        _ = try store.write(lsn: 300) { try $0.write(Self.snapshotPayload(300, size: 1000)) }
        let newest = try store.write(lsn: 550) { try $0.write(Self.snapshotPayload(550, size: 1000)) }
        let removed = try log.removeSegments(coveredThrough: newest.removableThroughLSN)
        #expect(removed > 0)
        await log.close()
        let oldest = try #require(try WriteAheadLog.oldestSegmentFirstLSN(directory: walDirectory))
        #expect(oldest > 1 && oldest <= 301)
        func logContinues(_ lsn: LSN) -> Bool { oldest <= lsn + 1 }

        #expect(try store.loadNewest(logContinues: logContinues)?.lsn == 550)
        try DamageTests.flipBit(in: root.file("snapshots/" + newest.fileName), at: 500)
        let loaded = try #require(try store.loadNewest(logContinues: logContinues))
        #expect(loaded.lsn == 300)
        #expect(loaded.payload == Self.snapshotPayload(300, size: 1000))
        #expect(loaded.skipped.first?.code == .snapshotDamaged)

        // The log replays everything after the fallback snapshot.
        var replayed: [LSN] = []
        let reopened = try WriteAheadLog.open(configuration, after: loaded.lsn) { replayed.append($0.lsn) }
        #expect(replayed == Array(301...600))
        await reopened.close()

        // Without the log that continues it, no snapshot is usable: a clear error, not an empty state.
        do {
            _ = try store.loadNewest { _ in false }
            Issue.record("a snapshot the log cannot continue was used")
        } catch {
            #expect(error.code == .noUsableSnapshot)
        }
    }

    @Test("a snapshot file the manifest does not name yet is ignored; a truncated one is rejected")
    func manifestIsTheCommitPoint() throws {
        let directory = TemporaryDirectory("snap")
        defer { directory.remove() }
        let store = try SnapshotStore(directory: directory.path)
        _ = try store.write(lsn: 5) { try $0.write([1, 2, 3]) }
        // A crash after renaming a newer snapshot but before the manifest named it.
        let newer = SnapshotFile.fileName(lsn: 9)
        try FileManager.default.copyItem(
            atPath: directory.file(SnapshotFile.fileName(lsn: 5)), toPath: directory.file(newer))
        #expect(try store.loadNewest { _ in true }?.lsn == 5)

        let path = directory.file(SnapshotFile.fileName(lsn: 5))
        #expect(truncate(path, 70) == 0)
        #expect(throws: WALError.self) { try SnapshotFile.read(path: path) }
    }
}
