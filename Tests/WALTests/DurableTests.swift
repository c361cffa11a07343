import Foundation
import Testing

@testable import WAL

/// What the helpers do to the file system. That each change is also made durable (the directory synced) is
/// shown by the power-loss test (scripts/power-loss.py), whose file system drops un-synced directory entries.
@Suite("Durable: the one place that creates, renames and removes entries in the data directory")
struct DurableTests {
    @Test("makeDirectories creates every missing level, the last one 0700, and refuses a path that is a file")
    func makeDirectories() throws {
        let directory = TemporaryDirectory("durable")
        defer { directory.remove() }
        let path = directory.file("a/b/c")
        try Durable.makeDirectories(path)
        try Durable.makeDirectories(path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        _ = FileManager.default.createFile(atPath: directory.file("file"), contents: Data([1]))
        let error = try #require(throws: WALError.self) { try Durable.makeDirectories(directory.file("file")) }
        #expect(error.errno == ENOTDIR)
    }

    @Test("replaceFile leaves the whole new content and no temporary file")
    func replaceFile() throws {
        let directory = TemporaryDirectory("durable")
        defer { directory.remove() }
        let path = directory.file("MANIFEST")
        try Durable.replaceFile(path, with: [1, 2, 3])
        try Durable.replaceFile(path, with: [4, 5])
        #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["MANIFEST"])
    }

    @Test("openCreating makes a missing file 0600 and opens an existing one as it is")
    func openCreating() throws {
        let directory = TemporaryDirectory("durable")
        defer { directory.remove() }
        let path = directory.file("outbox.jsonl")
        let created = try Durable.openCreating(path, flags: O_WRONLY | O_APPEND)
        _ = write(created, "a", 1)
        close(created)
        let reopened = try Durable.openCreating(path, flags: O_WRONLY | O_APPEND)
        _ = write(reopened, "b", 1)
        close(reopened)
        #expect(FileManager.default.contents(atPath: path) == Data("ab".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("removeTemporaryFiles removes only *.tmp and names them; a missing directory holds none")
    func removeTemporaryFiles() throws {
        let directory = TemporaryDirectory("durable")
        defer { directory.remove() }
        for name in ["snapshot-1.snap.tmp", "MANIFEST.tmp", "snapshot-1.snap", "MANIFEST"] {
            _ = FileManager.default.createFile(atPath: directory.file(name), contents: Data([0]))
        }
        #expect(try Durable.removeTemporaryFiles(in: directory.path) == ["MANIFEST.tmp", "snapshot-1.snap.tmp"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
                "MANIFEST", "snapshot-1.snap",
            ])
        #expect(try Durable.removeTemporaryFiles(in: directory.file("absent")) == [])
    }

    @Test("a log opened on an empty folder has its first segment file at once")
    func firstSegmentAtOpen() async throws {
        let directory = TemporaryDirectory("durable")
        defer { directory.remove() }
        let log = try WriteAheadLog.open(testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10))
        #expect(log.segmentFirstLSNs == [1])
        #expect(try WriteAheadLog.oldestSegmentFirstLSN(directory: directory.path) == 1)
        try await log.append(type: 1, payload: [1, 2, 3])
        await log.close()
        var records: [LSN] = []
        let reopened = try WriteAheadLog.open(
            testConfiguration(directory, backend: .pwrite, segmentSizeBytes: 64 << 10)
        ) {
            records.append($0.lsn)
        }
        #expect(records == [1])
        #expect(reopened.segmentFirstLSNs == [1])
        await reopened.close()
    }
}
