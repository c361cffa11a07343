/// The limits every connection of the HTTP server lives within (DESIGN.md: idle and read deadlines, a
/// connection cap, bounded bodies). A limit reached is answered, never waited out: 408 when a request is
/// too slow to arrive, 503 when the server has no room for another connection or body, 413 for a body
/// past its limit — each in the contract's envelope, and the connection closed.
package struct ConnectionLimits: Sendable, Hashable {
    /// How long a connection may wait, between requests, for the first byte of the next one.
    package var idleTimeoutSeconds: Double = 60
    /// How long a request's head may take to arrive whole, from its first byte (slow senders, slowloris).
    package var headTimeoutSeconds: Double = 10
    /// How long a request's body may take to arrive whole, from the end of its head.
    package var bodyTimeoutSeconds: Double = 30
    /// Connections open at once; one more is answered 503 and closed.
    package var maxConnections = 4_096
    /// A request's body; a larger one is answered 413 (SYS_006).
    package var bodyLimitBytes = 1 << 20
    /// The bodies of every request being read or answered, together; past it a request is answered 503
    /// (SYS_007), so that many slow bodies cannot hold memory without bound.
    package var bufferedBodyLimitBytes = 64 << 20

    package init() {}

    /// How often a connection's deadline is checked: a fraction of the shortest timeout, between 10 ms and 1 s.
    var checkIntervalNanoseconds: Int64 {
        let shortest = min(idleTimeoutSeconds, headTimeoutSeconds, bodyTimeoutSeconds)
        return Int64(min(1, max(0.01, shortest / 4)) * 1e9)
    }
}
