import FoundationEssentials
import Synchronization
import WAL

/// One shard: an actor that owns a `ShardState`. A change is validated against the state, logged and
/// applied in one synchronous step — no suspension in between, so no other change to the shard can
/// interleave — and the caller then waits for the log to make it durable before answering.
///
/// The actor serializes the changes; the state itself sits behind a lock, so that the hot read path
/// (introspection) can read it from an event loop without a hop (`readNow`). Readers never see half a change:
/// `apply` runs under the lock.
actor Shard {
    private nonisolated let state: Mutex<ShardState>
    private let log: WriteAheadLog
    /// How many changes were applied: bumped under the lock with each, before anyone is told of it, so that a
    /// reader holding an older count knows its copy of anything in this shard may be stale.
    nonisolated let changes = Atomic<UInt64>(0)

    /// Whether changes are made here (false on a cluster's follower), shared by every shard of the engine.
    private nonisolated let gate: ChangeGate

    init(state: ShardState, log: WriteAheadLog, gate: ChangeGate) {
        self.gate = gate
        var live = state
        live.tracksEndedSessions = true
        self.state = Mutex(live)
        self.log = log
    }

    /// Runs `plan` against the state. When it returns a record, the record is logged and applied; then
    /// `finish` reads the result from the state as the record left it (so that no caller re-computes what
    /// `apply` did). The LSN to wait for is returned with it, and the sessions the change ended. A plan that
    /// throws changes nothing.
    func commit<Planned: Sendable, Result: Sendable>(
        _ plan: (ShardState) throws(EngineError) -> (record: EngineRecord?, result: Planned),
        then finish: (ShardState, Planned) -> Result
    ) throws(EngineError) -> (lsn: LSN?, result: Result, ended: [EndedSession]) {
        guard gate.isOpen else {
            RefusedChanges.current?.note()
            throw EngineError(.notLeader, "this node follows the cluster's leader: changes are made there")
        }
        let (record, planned) = try state.withLock { state throws(EngineError) in try plan(state) }
        guard let record else { return (nil, state.withLock { finish($0, planned) }, []) }
        let lsn: LSN
        do {
            lsn = try log.enqueue(type: record.type.rawValue, payload: record.encoded())
        } catch {
            throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
        }
        return state.withLock { state in
            state.apply(record, lsn: lsn)
            changes.add(1, ordering: .releasing)
            let ended = state.endedSessions
            if !ended.isEmpty { state.endedSessions.removeAll() }
            return (lsn, finish(state, planned), ended)
        }
    }

    /// Logs `record` (its `payload` of `type`) here, where it must get `lsn`, and applies it. Returns the entity
    /// it concerns as it was and as it is, for the engine's indexes.
    func applyReplicated(
        _ record: EngineRecord, type: UInt16, payload: [UInt8], lsn: LSN
    ) throws(EngineError) -> (before: ShardEntity, after: ShardEntity) {
        let logged: LSN
        do { logged = try log.enqueue(type: type, payload: payload) } catch {
            throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
        }
        guard logged == lsn else {
            throw EngineError(
                .invalidArgument, "the local log is at LSN \(logged) where the cluster's record is \(lsn)")
        }
        let key = record.shardKey
        return state.withLock { state in
            let before = ShardEntity(state, key)
            state.apply(record, lsn: lsn)
            changes.add(1, ordering: .releasing)
            // A follower tells nobody of ended sessions: the leader does.
            if !state.endedSessions.isEmpty { state.endedSessions.removeAll() }
            return (before, ShardEntity(state, key))
        }
    }

    /// A copy of the state and the LSN up to which it reflects every record of this shard: records are
    /// logged and applied in one step inside the actor, so all of this shard's records below the log's next
    /// LSN are in the state.
    func capture() -> (ShardState, LSN) { (state.withLock { $0 }, log.nextLSN - 1) }

    /// Reads from the state, under its lock: no wait behind the actor's queue of changes (the lock makes the
    /// read safe, not the actor). Kept `async` for its many callers; `readNow` is the same without it.
    nonisolated func read<T: Sendable>(_ body: (ShardState) -> T) async -> T { state.withLock { body($0) } }

    /// Reads from the state now, from any thread, without waiting for the actor: a lock held for the length
    /// of `body`, which must be short.
    nonisolated func readNow<T>(_ body: (borrowing ShardState) -> T) -> T { state.withLock { body($0) } }
}

/// Whether an engine makes changes of its own: closed on a cluster's follower, opened when it leads.
final class ChangeGate: Sendable {
    private let open: Atomic<Bool>
    init(open: Bool) { self.open = Atomic(open) }
    var isOpen: Bool { open.load(ordering: .acquiring) }
    func set(_ isOpen: Bool) { open.store(isOpen, ordering: .releasing) }
}

/// What a shard holds under one id that the engine indexes: the user (and the accounts linked to it), the
/// organization, the client — whichever the id names.
struct ShardEntity: Sendable {
    let user: User?
    let accounts: [ExternalAccount]
    let organization: Organization?
    let client: OAuthClient?

    init(_ state: borrowing ShardState, _ id: UUID) {
        user = state.users[id]
        accounts = state.externalAccounts[id] ?? []
        organization = state.organizations[id]
        client = state.clients[id]
    }
}
