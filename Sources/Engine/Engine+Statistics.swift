extension Engine {
    /// The user counters of every shard, merged: one read per shard, no user visited.
    package func userCounters() async -> UserCounters {
        var merged = UserCounters()
        for shard in shards { merged.merge(await shard.read { $0.userCounters }) }
        return merged
    }

    /// The `limit` organizations with the most members, largest first (ties by name), as name and member
    /// count: one read per shard, each shard choosing its own `limit` largest.
    package func largestOrganizations(limit: Int) async -> [(name: String, members: Int)] {
        var candidates: [(name: String, members: Int)] = []
        for shard in shards {
            candidates += await shard.read { state in
                Self.largest(state.organizations.values.map { ($0.name, $0.members.count) }, limit: limit)
            }
        }
        return Self.largest(candidates, limit: limit)
    }

    private static func largest(_ sizes: [(name: String, members: Int)], limit: Int) -> [(name: String, members: Int)] {
        Array(sizes.sorted { $0.members != $1.members ? $0.members > $1.members : $0.name < $1.name }.prefix(limit))
    }
}
