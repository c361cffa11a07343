#if canImport(Glibc)
import Glibc
#endif

/// A snapshot read back from disk.
package struct LoadedSnapshot: Sendable {
    /// Every record up to and including this LSN is reflected in the payload.
    package let lsn: LSN
    package let payload: [UInt8]
    /// The file it came from.
    package let fileName: String
    /// Newer snapshots that were damaged and skipped, with the reason.
    package let skipped: [WALError]
}

/// What writing a snapshot changed.
package struct SnapshotWriteResult: Sendable {
    package let lsn: LSN
    package let fileName: String
    /// The payload's size.
    package let payloadBytes: Int
    /// Log segments wholly at or below this LSN may now be deleted (`WriteAheadLog.removeSegments`).
    /// It is the LSN of the oldest snapshot kept, so that a damaged newer snapshot can still fall back, and a
    /// replay can reach back to it.
    package let removableThroughLSN: LSN
}

/// Snapshot files and the manifest that names the current one, in one directory.
///
/// A snapshot is written to a temporary file, synced, renamed, and the directory synced; then the manifest is
/// replaced the same way. The manifest is the commit point: a snapshot file it does not name is not used.
/// The newest `retainedCount` snapshots are kept.
package struct SnapshotStore: Sendable {
    package let directory: String
    static let manifestName = "MANIFEST"
    static let manifestMagic: [UInt8] = Array("TSRAMAN1".utf8)
    /// How many snapshots are kept: the current one and its fallbacks (at least 2).
    package let retainedCount: Int
    /// Temporary files of snapshots or manifests that a killed process left half written, removed at open.
    package let removedTemporaryFiles: [String]

    /// Opens the store in `directory`, creating it when missing, and removes what a killed writer left there.
    package init(directory: String, retainedCount: Int = 2) throws(WALError) {
        self.directory = directory
        self.retainedCount = max(2, retainedCount)
        try Durable.makeDirectory(directory)
        removedTemporaryFiles = try Durable.removeTemporaryFiles(in: directory)
    }

    /// A store over an existing directory that is only read (nothing is created or removed).
    package init(readingFrom directory: String) {
        self.directory = directory
        self.retainedCount = 2
        self.removedTemporaryFiles = []
    }

    /// Writes a snapshot covering every record through `lsn`; `fill` streams the payload into the writer.
    package func write(
        lsn: LSN, _ fill: (inout SnapshotWriter) throws -> Void
    ) throws -> SnapshotWriteResult {
        let name = SnapshotFile.fileName(lsn: lsn)
        let temporary = directory + "/" + name + Durable.temporarySuffix
        let fd = try PosixFile.open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        let payloadBytes: Int
        do {
            var writer = SnapshotWriter(fd: fd, path: temporary)
            try fill(&writer)
            try writer.flush()
            payloadBytes = writer.length
            let header = SnapshotFile.header(lsn: lsn, payloadLength: writer.length, payloadCRC: writer.crc)
            try header.withBytes { (bytes) throws(WALError) in try PosixFile.writeAll(fd, bytes, at: 0, path: temporary)
            }
            try PosixFile.syncFile(fd, path: temporary)
            PosixFile.close(fd)
        } catch {
            PosixFile.close(fd)
            try? Durable.remove([temporary])
            throw error
        }
        try Durable.rename(temporary, directory + "/" + name)
        try writeManifest(naming: name, lsn: lsn)
        let kept = try removeOldSnapshots()
        return SnapshotWriteResult(
            lsn: lsn, fileName: name, payloadBytes: payloadBytes,
            removableThroughLSN: kept.min() ?? 0)
    }

    /// Loads the snapshot the manifest names or, when it is damaged, the newest older one that is intact and
    /// that the log still continues (`logContinues(lsn)`: the log holds every record after `lsn`).
    /// Returns nil when there is no snapshot and the log alone can rebuild the state (`logContinues(0)`).
    package func loadNewest(logContinues: (LSN) -> Bool) throws(WALError) -> LoadedSnapshot? {
        var candidates = try snapshotLSNs().sorted(by: >)
        if let current = try readManifest() {
            candidates.removeAll { $0 > current }
        }
        var skipped: [WALError] = []
        for lsn in candidates {
            let name = SnapshotFile.fileName(lsn: lsn)
            do throws(WALError) {
                let (storedLSN, payload) = try SnapshotFile.read(path: directory + "/" + name)
                guard storedLSN == lsn else {
                    throw WALError(.snapshotDamaged, "snapshot header names LSN \(storedLSN)", file: name)
                }
                guard logContinues(lsn) else {
                    skipped.append(
                        WALError(
                            .noUsableSnapshot,
                            "the log no longer holds the records after "
                                + "LSN \(lsn)", file: name))
                    continue
                }
                return LoadedSnapshot(lsn: lsn, payload: payload, fileName: name, skipped: skipped)
            } catch {
                skipped.append(error)
            }
        }
        if logContinues(0) { return nil }
        let reasons = skipped.map(\.description).joined(separator: "; ")
        throw WALError(
            .noUsableSnapshot,
            "no intact snapshot that the log continues"
                + (reasons.isEmpty ? "" : ": \(reasons)"), file: directory)
    }

    /// Deletes every snapshot after `lsn` (a cluster node's state beyond what the cluster committed), then syncs
    /// the directory. The manifest may go on naming a deleted one: loading then falls back to the newest older.
    package func remove(after lsn: LSN) throws(WALError) {
        let beyond = try snapshotLSNs().filter { $0 > lsn }
        guard !beyond.isEmpty else { return }
        try Durable.remove(beyond.map { directory + "/" + SnapshotFile.fileName(lsn: $0) })
    }

    /// The snapshot at `lsn`, checked; throws `snapshotDamaged` when it fails its checksums.
    package func load(lsn: LSN) throws(WALError) -> LoadedSnapshot {
        let name = SnapshotFile.fileName(lsn: lsn)
        let (storedLSN, payload) = try SnapshotFile.read(path: directory + "/" + name)
        guard storedLSN == lsn else {
            throw WALError(.snapshotDamaged, "snapshot header names LSN \(storedLSN)", file: name)
        }
        return LoadedSnapshot(lsn: lsn, payload: payload, fileName: name, skipped: [])
    }

    /// The LSNs of the snapshot files present, in no particular order.
    package func snapshotLSNs() throws(WALError) -> [LSN] {
        try PosixFile.list(directory).compactMap(SnapshotFile.lsn(of:))
    }

    /// The LSN of the snapshot the manifest names, or nil when there is no manifest.
    package func readManifest() throws(WALError) -> LSN? {
        let path = directory + "/" + Self.manifestName
        guard PosixFile.exists(path) else { return nil }
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count == 20, bytes.prefix(8).elementsEqual(Self.manifestMagic),
            bytes.readLE(UInt32.self, at: 16) == CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: bytes[0..<16]))
        else {
            // A damaged manifest: fall back to the files themselves, newest intact first.
            return nil
        }
        return bytes.readLE(UInt64.self, at: 8)
    }

    private func writeManifest(naming name: String, lsn: LSN) throws(WALError) {
        var bytes = Self.manifestMagic
        bytes.appendLE(lsn)
        bytes.appendLE(CRC32C.checksum(bytes))
        try Durable.replaceFile(directory + "/" + Self.manifestName, with: bytes)
    }

    /// Deletes all but the newest `retainedCount` snapshots; returns the LSNs kept.
    private func removeOldSnapshots() throws(WALError) -> [LSN] {
        let all = try snapshotLSNs().sorted(by: >)
        try Durable.remove(all.dropFirst(retainedCount).map { directory + "/" + SnapshotFile.fileName(lsn: $0) })
        return Array(all.prefix(retainedCount))
    }
}
