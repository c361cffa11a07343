import WAL

/// One shard: an actor that owns a `ShardState`. A change is validated against the state, logged and
/// applied in one synchronous step — no suspension in between, so no other operation on the shard can
/// interleave — and the caller then waits for the log to make it durable before answering.
actor Shard {
    private(set) var state: ShardState
    private let log: WriteAheadLog

    init(state: ShardState, log: WriteAheadLog) {
        self.state = state
        self.log = log
    }

    /// Runs `plan` against the state. When it returns a record, the record is logged and applied; then
    /// `finish` reads the result from the state as the record left it (so that no caller re-computes what
    /// `apply` did). The LSN to wait for is returned with it. A plan that throws changes nothing.
    func commit<Planned: Sendable, Result: Sendable>(
        _ plan: (ShardState) throws(EngineError) -> (record: EngineRecord?, result: Planned),
        then finish: (ShardState, Planned) -> Result
    ) throws(EngineError) -> (lsn: LSN?, result: Result) {
        let (record, planned) = try plan(state)
        guard let record else { return (nil, finish(state, planned)) }
        let lsn: LSN
        do {
            lsn = try log.enqueue(type: record.type.rawValue, payload: record.encoded())
        } catch {
            throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
        }
        state.apply(record, lsn: lsn)
        return (lsn, finish(state, planned))
    }

    /// A copy of the state and the LSN up to which it reflects every record of this shard: records are
    /// logged and applied in one step inside the actor, so all of this shard's records below the log's next
    /// LSN are in the state.
    func capture() -> (ShardState, LSN) { (state, log.nextLSN - 1) }

    /// Reads from the state.
    func read<T: Sendable>(_ body: (ShardState) -> T) -> T { body(state) }
}
