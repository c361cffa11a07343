import FoundationEssentials
import WAL

/// The engine's snapshot: every shard's state, each captured at its own watermark — the LSN up to which every
/// record of that shard is reflected. Replay skips a record when the shard that owned its user when the
/// snapshot was taken already reflects it; so the snapshot loads into any number of shards.
///
/// Payload: `[version u8][shard count][watermark u64 × shard count]` then, per shard, its canonical state.
struct EngineSnapshot {
    static let formatVersion: UInt8 = 1

    let routing: ShardRouting
    let watermarks: [LSN]
    let users: [User]
    let sessions: [Session]

    /// The LSN the log must be replayed after: every shard reflects everything up to it.
    var lsn: LSN { watermarks.min() ?? 0 }

    /// Whether the record at `lsn` for `userID` is already in the snapshot.
    func reflects(lsn: LSN, userID: UUID) -> Bool { lsn <= watermarks[routing.shard(of: userID)] }

    static func encode(states: [ShardState], watermarks: [LSN]) -> [UInt8] {
        var writer = BinaryWriter(capacity: 1 << 16)
        writer.write(formatVersion)
        writer.writeLength(states.count)
        for watermark in watermarks { writer.write(watermark) }
        for state in states { state.encode(into: &writer) }
        return writer.bytes
    }

    static func decode(_ payload: [UInt8]) throws(DecodingError) -> EngineSnapshot {
        var result: Result<EngineSnapshot, DecodingError>!
        payload.withUnsafeBytes { bytes in
            result = Result { () throws(DecodingError) -> EngineSnapshot in
                var reader = BinaryReader(bytes)
                let version = try reader.read(UInt8.self)
                guard version == formatVersion else { throw DecodingError("unknown snapshot version \(version)") }
                let shardCount = try reader.readLength()
                guard shardCount >= 1, shardCount <= 1024 else { throw DecodingError("shard count \(shardCount)") }
                var watermarks: [LSN] = []
                for _ in 0..<shardCount { watermarks.append(try reader.read(UInt64.self)) }
                var users: [User] = []
                var sessions: [Session] = []
                for _ in 0..<shardCount {
                    let entities = try ShardState.decodeEntities(from: &reader)
                    users += entities.users
                    sessions += entities.sessions
                }
                guard reader.isAtEnd else { throw DecodingError("bytes after the snapshot's last shard") }
                return EngineSnapshot(routing: ShardRouting(shardCount: shardCount), watermarks: watermarks,
                                      users: users, sessions: sessions)
            }
        }
        return try result.get()
    }
}
