import Synchronization

/// The bytes of request bodies the server holds, across every connection: each request reserves what it
/// reads (its whole `Content-Length` up front when it has one) and gives it back once answered. Past the
/// budget, a request is refused instead of held.
final class BodyBudget: Sendable {
    let limitBytes: Int
    private let reserved = Atomic<Int>(0)

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// Reserves `bytes`; false (and nothing reserved) when that would pass the budget.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        guard reserved.add(bytes, ordering: .relaxed).newValue <= limitBytes else {
            reserved.subtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    func release(_ bytes: Int) {
        if bytes > 0 { reserved.subtract(bytes, ordering: .relaxed) }
    }

    /// What is reserved now (for tests and metrics).
    var reservedBytes: Int { reserved.load(ordering: .relaxed) }
}

/// The connections open now, against the cap.
final class ConnectionCount: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection; false (and not counted) when the cap is reached.
    func admit() -> Bool {
        guard open.add(1, ordering: .relaxed).newValue <= limit else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func closed() { open.subtract(1, ordering: .relaxed) }

    var current: Int { open.load(ordering: .relaxed) }
}
