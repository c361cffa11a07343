import Dispatch
import FoundationEssentials
import WAL

/// The engine's snapshot: every shard's state, each captured at its own watermark — the LSN up to which every
/// record of that shard is reflected. Replay skips a record when the shard that owned its user when the
/// snapshot was taken already reflects it; so the snapshot loads into any number of shards.
///
/// Payload: `[version u8][shard count][watermark u64 × shard count]` then, per shard, `[length u64]` and its
/// canonical state — the lengths let the shards decode in parallel. (Still read: version 7, without OpenID
/// Connect's fields (see `OAuthFields`); version 6, without client registrations and RFC 8707 resources; version 5, without social
/// sign-ins under way; version 4, without linked social accounts; version 3, without the lengths; version 2, without OAuth provider state; version 1,
/// without organizations.)
struct EngineSnapshot {
    static let formatVersion: UInt8 = 8

    let routing: ShardRouting
    let watermarks: [LSN]
    /// Each snapshot shard's entities.
    let shards: [ShardEntities]

    /// The LSN the log must be replayed after: every shard reflects everything up to it.
    var lsn: LSN { watermarks.min() ?? 0 }

    /// Whether the record at `lsn`, applied by the shard of `shardKey`, is already in the snapshot.
    func reflects(lsn: LSN, shardKey: UUID) -> Bool { lsn <= watermarks[routing.shard(of: shardKey)] }

    /// Puts every entity into the shard `routing` gives it. When the snapshot was taken with as many shards,
    /// each snapshot shard becomes one state, all of them in parallel.
    func restore(into states: inout [ShardState], routing: ShardRouting) {
        guard routing.shardCount == shards.count, states.allSatisfy(\.isEmpty) else {
            for shard in shards { shard.restore(into: &states, routing: routing) }
            return
        }
        let restored = concurrentMap(shards.count) { index in
            var state = ShardState()
            let strays = shards[index].restore(into: &state, shardIndex: index, routing: routing)
            return (state, strays)
        }
        states = restored.map(\.0)
        // Entities that route elsewhere (none, unless the routing changed): one at a time, where they belong.
        for (_, strays) in restored { strays.restore(into: &states, routing: routing) }
    }

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
            var length = BinaryWriter()
            length.write(UInt64(shard.bytes.count))
            try file.write(length.bytes)
            try file.write(shard.bytes)
        }
    }

    static func decode(_ payload: [UInt8]) throws(RecordDecodingError) -> EngineSnapshot {
        // The header, and where each shard's bytes lie.
        let header = payload.withUnsafeBytes { bytes in
            Result { () throws(RecordDecodingError) -> (UInt8, [LSN], [Range<Int>]) in
                var reader = BinaryReader(bytes)
                let version = try reader.read(UInt8.self)
                guard (1...formatVersion).contains(version) else {
                    throw RecordDecodingError("unknown snapshot version \(version)")
                }
                let shardCount = try reader.readLength()
                guard shardCount >= 1, shardCount <= 1024 else {
                    throw RecordDecodingError("shard count \(shardCount)")
                }
                var watermarks: [LSN] = []
                for _ in 0..<shardCount { watermarks.append(try reader.read(UInt64.self)) }
                guard version >= 4 else { return (version, watermarks, [reader.offset..<bytes.count]) }
                var sections: [Range<Int>] = []
                for _ in 0..<shardCount {
                    let length = try reader.read(UInt64.self)
                    guard length <= UInt64(bytes.count - reader.offset) else {
                        throw RecordDecodingError("a shard runs past the end")
                    }
                    sections.append(reader.offset..<reader.offset + Int(length))
                    try reader.skip(Int(length))
                }
                guard reader.isAtEnd else { throw RecordDecodingError("bytes after the snapshot's last shard") }
                return (version, watermarks, sections)
            }
        }
        let (version, watermarks, sections) = try header.get()
        let decoded = concurrentMap(sections.count) { index in
            payload.withUnsafeBytes { bytes in
                Result { () throws(RecordDecodingError) -> [ShardEntities] in
                    var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: bytes[sections[index]]))
                    // Before version 4, one section holds every shard, one after the other.
                    let count = version >= 4 ? 1 : watermarks.count
                    var shards: [ShardEntities] = []
                    for _ in 0..<count {
                        shards.append(try ShardState.decodeEntities(from: &reader, formatVersion: version))
                    }
                    guard reader.isAtEnd else { throw RecordDecodingError("bytes after the snapshot's last shard") }
                    return shards
                }
            }
        }
        var shards: [ShardEntities] = []
        for section in decoded { shards += try section.get() }
        return EngineSnapshot(
            routing: ShardRouting(shardCount: watermarks.count), watermarks: watermarks, shards: shards)
    }
}

/// `body(0..<count)` on every core (Dispatch's `concurrentPerform`), the results in order. For the CPU-bound
/// steps of opening: decoding and restoring snapshot shards.
func concurrentMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    guard count > 1 else { return (0..<count).map(body) }
    return withoutActuallyEscaping(body) { body in
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        // Each iteration writes only its own slot, and `concurrentPerform` returns after the last one.
        nonisolated(unsafe) let slots = results
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: count) { index in slots[index] = work(index) }
        let values = results.map { $0! }
        _ = results.deinitialize()
        return values
    }
}
