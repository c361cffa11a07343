import Cluster
import Foundation
import Testing
import WAL

/// Every node of a cluster signs and verifies with the same key files, kept in PostgreSQL.
@Suite("The cluster's key files: the first node publishes, every node mirrors, the leader's rotations follow")
struct ClusterKeysTests {
    static func write(_ content: [UInt8], _ path: String, in directory: String) throws {
        let full = directory + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content).write(to: URL(fileURLWithPath: full))
    }

    static func read(_ path: String, in directory: String) -> [UInt8]? {
        FileManager.default.contents(atPath: directory + "/" + path).map(Array.init)
    }

    @Test(
        "a second node gets the first node's keys (its own differing ones replaced), a rotation published by the leader reaches it, and an expired ring key leaves it"
    )
    func publishAndMirror() async throws {
        try await ClusterFixture.run { fixture, _ in
            let keys = ClusterKeys(store: fixture.store)
            let first = ClusterFixture.temporaryFolder("tessera-keys-a")
            let second = ClusterFixture.temporaryFolder("tessera-keys-b")
            defer { for folder in [first, second] { try? FileManager.default.removeItem(atPath: folder) } }
            #expect(try await !keys.clusterHasKeys())
            try Self.write([1, 1], "access-hs256.key", in: first)
            try Self.write([2, 2], "refresh-rotation.key", in: first)
            try Self.write([3], "es256/100.key", in: first)
            try Self.write([9], "notes.txt", in: first)
            try await keys.publish(from: first)
            #expect(try await keys.clusterHasKeys())

            // The second node made keys of its own before it joined: the cluster's replace them.
            try Self.write([7, 7], "access-hs256.key", in: second)
            try Self.write([8], "es256/200.key", in: second)
            let changed = try await keys.mirror(into: second)
            #expect(Set(changed) == ["access-hs256.key", "refresh-rotation.key", "es256/100.key", "es256/200.key"])
            #expect(Self.read("access-hs256.key", in: second) == [1, 1])
            #expect(Self.read("refresh-rotation.key", in: second) == [2, 2])
            #expect(Self.read("es256/100.key", in: second) == [3])
            #expect(Self.read("es256/200.key", in: second) == nil, "a ring key the cluster does not hold")
            #expect(Self.read("notes.txt", in: second) == nil, "only key files are shared")
            #expect(try await keys.mirror(into: second).isEmpty, "mirroring again changes nothing")

            // The leader rotates: a new key, the old one expired and deleted; published, then mirrored.
            try Self.write([4], "es256/300.key", in: first)
            try FileManager.default.removeItem(atPath: first + "/es256/100.key")
            try await keys.publish(from: first)
            let rotated = try await keys.mirror(into: second)
            #expect(Set(rotated) == ["es256/300.key", "es256/100.key"])
            #expect(Self.read("es256/300.key", in: second) == [4])
            #expect(Self.read("es256/100.key", in: second) == nil)
            #expect(Self.read("access-hs256.key", in: second) == [1, 1], "the HS256 keys are never deleted")
        }
    }
}
