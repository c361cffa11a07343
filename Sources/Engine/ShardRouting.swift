package import FoundationEssentials

/// Which shard owns an id. A user's sessions get ids that route to the user's shard: their first two bytes
/// are the user id's, so a refresh token (`<session id>.<secret>`) finds its shard without a lookup.
package struct ShardRouting: Sendable, Hashable {
    package let shardCount: Int

    package init(shardCount: Int) {
        precondition(shardCount >= 1 && shardCount <= 1024, "1 to 1024 shards")
        self.shardCount = shardCount
    }

    package func shard(of id: UUID) -> Int {
        Int(UInt16(id.uuid.0) << 8 | UInt16(id.uuid.1)) % shardCount
    }

    /// A random version-4 UUID whose routing bytes are `owner`'s, so that it lands in the same shard.
    package static func uuid(routingLike owner: UUID?, using generator: inout some RandomNumberGenerator) -> UUID {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        if let owner {
            bytes[0] = owner.uuid.0
            bytes[1] = owner.uuid.1
        }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
