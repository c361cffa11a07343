/// Users counted by the UTC day they registered, kept up to date by `ShardState.apply` (and rebuilt when a
/// snapshot is loaded), so that the operators' statistics read a few hundred counters instead of every user.
package struct UserCounters: Sendable, Hashable {
    /// Registrations per day, deleted users included: they did register.
    package private(set) var registeredByDay: [Int32: Int] = [:]
    /// Users that are not deleted, per registration day.
    package private(set) var liveByDay: [Int32: Int] = [:]
    /// Active users that are not deleted, per registration day.
    package private(set) var activeByDay: [Int32: Int] = [:]

    package init() {}

    /// The UTC day (days since 1970-01-01) of a Unix time in milliseconds.
    package static func day(ofMilliseconds milliseconds: Int64) -> Int32 {
        Int32(truncatingIfNeeded: milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds + 1) / 86_400_000 - 1)
    }

    /// Counts a user that registered (or was restored from a snapshot).
    mutating func add(_ user: User) {
        registeredByDay[Self.day(ofMilliseconds: user.createdAtMilliseconds), default: 0] += 1
        count(user, by: 1)
    }

    /// Moves a user from the counters its old state put it in to those of its new state.
    mutating func replace(_ before: User, with after: User) {
        count(before, by: -1)
        count(after, by: 1)
    }

    /// Adds another shard's counters to these.
    package mutating func merge(_ other: UserCounters) {
        registeredByDay.merge(other.registeredByDay, uniquingKeysWith: +)
        liveByDay.merge(other.liveByDay, uniquingKeysWith: +)
        activeByDay.merge(other.activeByDay, uniquingKeysWith: +)
    }

    private mutating func count(_ user: User, by delta: Int) {
        guard !user.isDeleted else { return }
        let day = Self.day(ofMilliseconds: user.createdAtMilliseconds)
        liveByDay[day, default: 0] += delta
        if liveByDay[day] == 0 { liveByDay[day] = nil }
        if user.isActive {
            activeByDay[day, default: 0] += delta
            if activeByDay[day] == 0 { activeByDay[day] = nil }
        }
    }
}

extension UserCounters {
    /// For each of the `days` days ending with `lastDay`: users registered by the end of that day that are
    /// not deleted now, and how many of them are active now.
    package func growth(days: Int, endingOn lastDay: Int32) -> [(day: Int32, total: Int, active: Int)] {
        let firstDay = lastDay - Int32(days) + 1
        var total = liveByDay.reduce(0) { $0 + ($1.key < firstDay ? $1.value : 0) }
        var active = activeByDay.reduce(0) { $0 + ($1.key < firstDay ? $1.value : 0) }
        return (firstDay...lastDay).map { day in
            total += liveByDay[day] ?? 0
            active += activeByDay[day] ?? 0
            return (day, total, active)
        }
    }

    /// Registrations on each of the `days` days ending with `lastDay`.
    package func registrations(days: Int, endingOn lastDay: Int32) -> [(day: Int32, count: Int)] {
        (lastDay - Int32(days) + 1...lastDay).map { ($0, registeredByDay[$0] ?? 0) }
    }

    /// Users that are not deleted, and how many of them are active.
    package var liveAndActive: (live: Int, active: Int) {
        (liveByDay.values.reduce(0, +), activeByDay.values.reduce(0, +))
    }
}
