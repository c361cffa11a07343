/// Where a connection is in its request cycle, and by when it must move on: the state machine behind the
/// idle, head and body timeouts. Synchronous and clock-free — every event carries the time — so tests drive
/// it directly; `ConnectionGuard` owns it on the connection's event loop.
///
/// waiting ─first byte─▶ readingHead ─head─▶ readingBody ─end─▶ answering ─answer sent─▶ waiting
struct ConnectionDeadline: Sendable, Hashable {
    enum Phase: Sendable, Hashable {
        /// Between requests (or before the first): `idleTimeout` runs.
        case waiting
        /// A request's first bytes came: its head must be whole within `headTimeout`.
        case readingHead
        /// The head came: the body must be whole within `bodyTimeout`.
        case readingBody
        /// The request is whole and being answered: no deadline (the answer is the server's business).
        case answering
    }

    private let idleNanoseconds: Int64
    private let headNanoseconds: Int64
    private let bodyNanoseconds: Int64
    private(set) var phase: Phase = .waiting
    /// When the current phase expires, on the monotonic clock; nil while answering.
    private(set) var expiresAtNanoseconds: Int64?

    init(limits: ConnectionLimits, nowNanoseconds: Int64) {
        idleNanoseconds = Int64(limits.idleTimeoutSeconds * 1e9)
        headNanoseconds = Int64(limits.headTimeoutSeconds * 1e9)
        bodyNanoseconds = Int64(limits.bodyTimeoutSeconds * 1e9)
        expiresAtNanoseconds = nowNanoseconds + idleNanoseconds
    }

    /// Bytes arrived from the peer: while waiting, they begin a request's head.
    mutating func bytesArrived(nowNanoseconds: Int64) {
        guard phase == .waiting else { return }
        phase = .readingHead
        expiresAtNanoseconds = nowNanoseconds + headNanoseconds
    }

    /// The parser has a whole head. (A pipelined request's head may come while waiting: its bytes came
    /// during the answer before it.)
    mutating func headArrived(nowNanoseconds: Int64) {
        phase = .readingBody
        expiresAtNanoseconds = nowNanoseconds + bodyNanoseconds
    }

    /// The request is whole.
    mutating func requestEnded() {
        phase = .answering
        expiresAtNanoseconds = nil
    }

    /// The answer was written: the connection waits for the next request.
    mutating func answerSent(nowNanoseconds: Int64) {
        phase = .waiting
        expiresAtNanoseconds = nowNanoseconds + idleNanoseconds
    }

    /// Whether the current phase has run out of time.
    func hasExpired(nowNanoseconds: Int64) -> Bool {
        expiresAtNanoseconds.map { nowNanoseconds >= $0 } ?? false
    }
}
