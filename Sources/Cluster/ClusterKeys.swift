import Foundation
import NIOCore
import PostgresNIO
import WAL

/// The key files every node of a cluster signs and verifies with, kept in PostgreSQL (`tessera_keys`, one row
/// per file, by its path under the keys folder) so that a token one node issued verifies on every other: the
/// HS256 access-token and refresh-rotation keys, and the signing key rings (`ed25519/`, `es256/`, `rs256/`).
/// The leader is the authority — it makes and rotates keys and publishes its folder; a follower mirrors the
/// cluster's. The first node of a cluster publishes the keys it made (or had, as a single node before).
package struct ClusterKeys: Sendable {
    /// The folders of the key rings, whose files come and go with rotation.
    static let ringFolders = ["ed25519", "es256", "rs256"]

    private let store: ClusterLogStore

    package init(store: ClusterLogStore) { self.store = store }

    /// Whether the cluster holds keys yet.
    package func clusterHasKeys() async throws(ClusterError) -> Bool {
        !(try await stored()).isEmpty
    }

    /// Makes `directory` hold exactly the cluster's key files (written when missing or different, ring files
    /// the cluster does not hold deleted); returns the paths changed here.
    @discardableResult
    package func mirror(into directory: String) async throws -> [String] {
        let cluster = try await stored()
        let local = try Self.files(in: directory)
        var changed: [String] = []
        for (path, content) in cluster.sorted(by: { $0.key < $1.key }) where local[path] != content {
            try Durable.makeDirectories((directory + "/" + path as NSString).deletingLastPathComponent)
            try Durable.replaceFile(directory + "/" + path, with: content)
            changed.append(path)
        }
        let gone = local.keys.filter { cluster[$0] == nil && Self.isRingFile($0) }.sorted()
        try Durable.remove(gone.map { directory + "/" + $0 })
        return changed + gone
    }

    /// Publishes `directory`'s key files as the cluster's (the leader, after it made or rotated keys): files
    /// new here are added, ring files deleted here (expired) are deleted there. A file the cluster already holds
    /// under the same path keeps the cluster's content: `mirror` then brings it here.
    package func publish(from directory: String) async throws {
        let local = try Self.files(in: directory)
        let cluster = try await stored()
        let added = local.filter { cluster[$0.key] == nil }
        let gone = cluster.keys.filter { local[$0] == nil && Self.isRingFile($0) }
        guard !added.isEmpty || !gone.isEmpty else { return }
        try await store.run {
            try await store.client.withTransaction(logger: store.logger) { connection in
                for (path, content) in added {
                    try await connection.query(
                        "INSERT INTO tessera_keys (path, content) VALUES (\(path), \(ByteBuffer(bytes: content))) ON CONFLICT (path) DO NOTHING",
                        logger: store.logger)
                }
                for path in gone {
                    try await connection.query("DELETE FROM tessera_keys WHERE path = \(path)", logger: store.logger)
                }
            }
        }
    }

    private func stored() async throws(ClusterError) -> [String: [UInt8]] {
        try await store.run {
            let rows = try await store.client.query("SELECT path, content FROM tessera_keys", logger: store.logger)
            var files: [String: [UInt8]] = [:]
            for try await (path, content) in rows.decode((String, ByteBuffer).self) {
                files[path] = Array(buffer: content)
            }
            return files
        }
    }

    private static func isRingFile(_ path: String) -> Bool {
        ringFolders.contains { path.hasPrefix($0 + "/") }
    }

    /// The key files under `directory`: `*.key` at its top and in the ring folders (never `*.tmp`).
    static func files(in directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let manager = FileManager.default
        for folder in [""] + ringFolders.map({ $0 + "/" }) {
            guard let names = try? manager.contentsOfDirectory(atPath: directory + "/" + folder) else { continue }
            for name in names where name.hasSuffix(".key") {
                let path = folder + name
                guard let data = manager.contents(atPath: directory + "/" + path) else { continue }
                files[path] = Array(data)
            }
        }
        return files
    }
}
