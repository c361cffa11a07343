import FoundationEssentials
import WAL

/// The engine's snapshot: every shard's state, each captured at its own watermark — the LSN up to which every
/// record of that shard is reflected. Replay skips a record when the shard that owned its user when the
/// snapshot was taken already reflects it; so the snapshot loads into any number of shards.
///
/// Payload: `[version u8][shard count][watermark u64 × shard count]` then, per shard, its canonical state
/// (version 1, still read, had no organizations; version 2 no OAuth provider state).
struct EngineSnapshot {
    static let formatVersion: UInt8 = 3

    let routing: ShardRouting
    let watermarks: [LSN]
    let entities: ShardEntities

    /// The LSN the log must be replayed after: every shard reflects everything up to it.
    var lsn: LSN { watermarks.min() ?? 0 }

    /// Whether the record at `lsn`, applied by the shard of `shardKey`, is already in the snapshot.
    func reflects(lsn: LSN, shardKey: UUID) -> Bool { lsn <= watermarks[routing.shard(of: shardKey)] }

    /// Puts every entity into the shard `routing` gives it.
    func restore(into states: inout [ShardState], routing: ShardRouting) { entities.restore(into: &states, routing: routing) }

    /// Streams the payload into `file` a shard at a time, so that at most one shard's encoding is in memory.
    static func write(states: [ShardState], watermarks: [LSN], into file: inout SnapshotWriter) throws(WALError) {
        var header = BinaryWriter()
        header.write(formatVersion)
        header.writeLength(states.count)
        for watermark in watermarks { header.write(watermark) }
        try file.write(header.bytes)
        for state in states {
            var shard = BinaryWriter(capacity: 1 << 16)
            state.encode(into: &shard)
            try file.write(shard.bytes)
        }
    }

    static func decode(_ payload: [UInt8]) throws(DecodingError) -> EngineSnapshot {
        var result: Result<EngineSnapshot, DecodingError>!
        payload.withUnsafeBytes { bytes in
            result = Result { () throws(DecodingError) -> EngineSnapshot in
                var reader = BinaryReader(bytes)
                let version = try reader.read(UInt8.self)
                guard (1...formatVersion).contains(version) else { throw DecodingError("unknown snapshot version \(version)") }
                let shardCount = try reader.readLength()
                guard shardCount >= 1, shardCount <= 1024 else { throw DecodingError("shard count \(shardCount)") }
                var watermarks: [LSN] = []
                for _ in 0..<shardCount { watermarks.append(try reader.read(UInt64.self)) }
                var entities = ShardEntities()
                for _ in 0..<shardCount {
                    entities.append(contentsOf: try ShardState.decodeEntities(from: &reader, formatVersion: version))
                }
                guard reader.isAtEnd else { throw DecodingError("bytes after the snapshot's last shard") }
                return EngineSnapshot(routing: ShardRouting(shardCount: shardCount), watermarks: watermarks,
                                      entities: entities)
            }
        }
        return try result.get()
    }
}
