import FoundationEssentials
import Synchronization
package import WAL

#if canImport(Glibc)
import Glibc
#endif

/// The engine: users and sessions in sharded actors, every change logged before it is acknowledged.
///
/// Each operation routes to the shard of the user it concerns, validates, logs and applies there in one
/// step, then waits until the log has made the record durable. Cross-shard lookups (email → user) are
/// indexes derived from the shards' state, rebuilt on open and never logged.
package final class Engine: Sendable {
    package let configuration: EngineConfiguration
    package let log: WriteAheadLog
    /// What opening found and did.
    package let startup: StartupReport
    /// Which data directory this is: made on its first start, kept for its lifetime.
    package let identity: DataDirectoryIdentity
    /// Held while the engine exists: one process per data directory.
    let lock: DataDirectoryLock
    /// The newest snapshot written or loaded, or the last snapshot failure, for `/health`.
    let snapshotState: Mutex<SnapshotState>
    let snapshots: SnapshotStore
    let routing: ShardRouting
    let shards: [Shard]
    /// The time every change is stamped with.
    package let clock: any EngineClock
    let random: RandomSource
    /// Normalized email → id, for every user that is not deleted (and for registrations under way).
    let emails: Mutex<[String: UUID]>
    /// Slugs and each user's organizations, derived from the organizations' shards.
    let organizationIndex: Mutex<OrganizationIndex>
    /// The OAuth clients that are not deleted: client authentication reads it without a shard hop.
    let clientDirectory: Mutex<ClientDirectory>
    /// Whether changes are made here: every shard checks it (closed on a cluster's follower).
    let gate: ChangeGate
    /// Held while the client a metadata document describes is recorded, so that two first approvals at once
    /// record it once.
    let documentTurns = KeyedTurns<String>()
    /// Every change to the client directory, counted (see `changeStamp`).
    let clientChanges = Atomic<UInt64>(0)
    /// Who hears of the sessions each change ended (back-channel logout).
    let endedSessionObserver = Mutex<(@Sendable ([EndedSession]) -> Void)?>(nil)
    /// Provider identity → user, for every linked account of a user that is not deleted (and for links under
    /// way), so that a social sign-in finds its user without a scan and an identity is never linked twice.
    let externalIdentities: Mutex<[ExternalIdentity: UUID]>

    /// Opens the data directory (creating it when missing) and rebuilds the state: the newest usable snapshot,
    /// then the log after it.
    package static func open(
        _ configuration: EngineConfiguration, clock: any EngineClock = SystemClock(), random: RandomSource = .system
    ) throws -> Engine {
        do { try Durable.makeDirectories(configuration.dataDirectory) } catch {
            throw EngineError(
                .invalidArgument,
                "cannot create the data directory \(configuration.dataDirectory): "
                    + "\(error.errno.map { String(cString: strerror($0)) } ?? error.message)")
        }
        let started = ContinuousClock.now
        let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
        let existingIdentity = try DataDirectoryIdentity.read(in: configuration.dataDirectory)
        var lostState: [String] = []
        if let existingIdentity {
            lostState = DataDirectoryIdentity.missingState(logDirectory: configuration.logDirectory)
            if !lostState.isEmpty && !configuration.acceptLostState {
                throw EngineError(
                    .invalidArgument,
                    "the data directory \(configuration.dataDirectory) has served "
                        + "(instance \(existingIdentity.instanceID.uuidString.lowercased())) but "
                        + lostState.joined(separator: " and ") + " is missing: starting would lose every "
                        + "change acknowledged in it; restore what is missing, or start with "
                        + "--accept-lost-state to go on with what is left")
            }
        }
        let routing = ShardRouting(shardCount: configuration.shardCount)
        var states = Array(repeating: ShardState(), count: routing.shardCount)
        var replayed = 0
        let snapshots = try SnapshotStore(
            directory: configuration.snapshotDirectory,
            retainedCount: configuration.keptSnapshots)
        let oldestSegment = try WriteAheadLog.oldestSegmentFirstLSN(directory: configuration.logDirectory)
        let loaded = try loadSnapshot(snapshots, oldestSegment: oldestSegment, configuration: configuration)
        var snapshot: EngineSnapshot?
        if let loaded {
            do { snapshot = try EngineSnapshot.decode(loaded.payload) } catch {
                throw EngineError(.invalidArgument, "snapshot \(loaded.fileName) does not decode: \(error)")
            }
            snapshot!.restore(into: &states, routing: routing)
        }
        let snapshotLoaded = ContinuousClock.now
        let log = try WriteAheadLog.open(configuration.logConfiguration, after: snapshot?.lsn ?? 0) { view in
            let record: EngineRecord
            do {
                record = try EngineRecord(type: view.type, payload: view.payload)
            } catch {
                throw EngineError(.invalidArgument, "the record at LSN \(view.lsn) does not decode: \(error)")
            }
            if snapshot?.reflects(lsn: view.lsn, shardKey: record.shardKey) == true { return }
            states[routing.shard(of: record.shardKey)].apply(record, lsn: view.lsn)
            replayed += 1
        }
        if let limit = configuration.discardAfter {
            // Beyond the cluster's log, never to be loaded: their state was never acknowledged.
            try snapshots.remove(after: limit)
        }
        let logReplayed = ContinuousClock.now
        var emails: [String: UUID] = [:]
        emails.reserveCapacity(states.reduce(0) { $0 + $1.users.count })
        var identities: [ExternalIdentity: UUID] = [:]
        for state in states {
            for user in state.users.values where !user.isDeleted { emails[user.email] = user.id }
            for (userID, accounts) in state.externalAccounts where state.users[userID]?.isDeleted == false {
                for account in accounts { identities[account.identity] = userID }
            }
        }
        // A follower makes no changes of its own, not even these: the leader's records bring them.
        let gate = ChangeGate(open: configuration.acceptsChanges)
        let completed =
            configuration.acceptsChanges
            ? try completeMembershipRemovals(in: &states, routing: routing, log: log, clock: clock) : 0
        // Written once the log has its segment file and before anything is acknowledged: from now on a
        // missing log means lost state, not a new directory.
        let identity: DataDirectoryIdentity
        if let existingIdentity {
            identity = existingIdentity
        } else {
            var generator = RandomSourceGenerator(source: random)
            identity = DataDirectoryIdentity(
                instanceID: ShardRouting.uuid(routingLike: nil, using: &generator),
                createdAtMilliseconds: clock.nowMilliseconds())
            try identity.write(in: configuration.dataDirectory)
        }
        let finished = ContinuousClock.now
        var startup = StartupReport(
            snapshotLSN: snapshot?.lsn, snapshotFile: loaded?.fileName, skippedSnapshots: loaded?.skipped.count ?? 0,
            recordsReplayed: replayed, membershipsCompleted: completed, users: states.reduce(0) { $0 + $1.users.count },
            sessions: states.reduce(0) { $0 + $1.sessions.count }, tornBytes: log.recovery.tornBytes,
            milliseconds: (finished - started).milliseconds,
            snapshotMilliseconds: (snapshotLoaded - started).milliseconds,
            replayMilliseconds: (logReplayed - snapshotLoaded).milliseconds)
        startup.looseDirectoryMode = accessByOthers(configuration.dataDirectory).map { UInt32($0) }
        startup.identityCreated = existingIdentity == nil
        startup.acceptedLoss = lostState
        startup.removedTemporaryFiles = snapshots.removedTemporaryFiles.map { "snapshots/" + $0 }
        if let cut = log.recovery.truncatedAt, let limit = log.recovery.stoppedAfter {
            let report = log.recovery
            startup.truncation =
                "\(report.droppedRecords) records after LSN \(limit), the end of the cluster's log, dropped "
                + (report.droppedLSNs.map { "(LSNs \($0.lowerBound)…\($0.upperBound)) " } ?? "")
                + "from \(cut.file) on: never committed to the cluster, so never acknowledged; "
                + "\(report.setAside.count) segment file(s) set aside as *.discarded-N"
        } else if let cut = log.recovery.truncatedAt {
            let report = log.recovery
            startup.truncation =
                "--recover=truncate cut the log at LSN \(cut.expectedLSN) (\(cut.reason) in \(cut.file) at byte "
                + "\(cut.offset)): \(report.droppedRecords) records after it dropped"
                + (report.droppedLSNs.map { " (LSNs \($0.lowerBound)…\($0.upperBound))" } ?? "")
                + ", \(report.setAside.count) segment file(s) set aside as *.damaged-N"
        }
        return Engine(
            configuration: configuration, log: log, snapshots: snapshots, routing: routing,
            shards: states.map { Shard(state: $0, log: log, gate: gate) }, clock: clock, random: random, emails: emails,
            organizations: states.lazy.flatMap { $0.organizations.values },
            clients: states.lazy.flatMap { $0.clients.values }.filter { !$0.isDeleted },
            identities: identities, startup: startup, lock: lock, identity: identity, gate: gate)
    }

    /// The newest intact snapshot the log continues — and, on a cluster node, at or before the cluster's end.
    private static func loadSnapshot(
        _ snapshots: SnapshotStore, oldestSegment: LSN?, configuration: EngineConfiguration
    ) throws -> LoadedSnapshot? {
        let limit = configuration.discardAfter ?? .max
        do {
            return try snapshots.loadNewest { lsn in (oldestSegment.map { $0 <= lsn + 1 } ?? true) && lsn <= limit }
        } catch {
            guard configuration.discardAfter != nil else { throw error }
            throw EngineError(
                .invalidArgument,
                "\(configuration.dataDirectory) holds no snapshot at or before LSN \(limit), the end of the "
                    + "cluster's log, that its log continues (\(error.message)): this node cannot go back to the "
                    + "cluster's state from it; move the data directory away to join afresh")
        }
    }

    private init(
        configuration: EngineConfiguration, log: WriteAheadLog, snapshots: SnapshotStore,
        routing: ShardRouting, shards: [Shard], clock: any EngineClock, random: RandomSource,
        emails: [String: UUID], organizations: some Sequence<Organization>,
        clients: some Sequence<OAuthClient>, identities: [ExternalIdentity: UUID], startup: StartupReport,
        lock: DataDirectoryLock, identity: DataDirectoryIdentity, gate: ChangeGate
    ) {
        self.gate = gate
        self.identity = identity
        self.externalIdentities = Mutex(identities)
        self.organizationIndex = Mutex(OrganizationIndex(organizations: organizations))
        self.clientDirectory = Mutex(ClientDirectory(clients))
        self.startup = startup
        self.lock = lock
        self.snapshotState = Mutex(SnapshotState(lsn: startup.snapshotLSN, failure: nil))
        self.configuration = configuration
        self.log = log
        self.snapshots = snapshots
        self.routing = routing
        self.shards = shards
        self.clock = clock
        self.random = random
        self.emails = Mutex(emails)
    }

    /// Calls `observer` with the sessions each durable change ended, on the task that made the change (keep it
    /// short: hand the work off).
    package func observeEndedSessions(_ observer: @escaping @Sendable ([EndedSession]) -> Void) {
        endedSessionObserver.withLock { $0 = observer }
    }

    /// Writes what is queued, closes the log, and releases the data directory.
    package func close() async {
        await log.close()
        lock.release()
    }

    func shard(of id: UUID) -> Shard { shards[routing.shard(of: id)] }

    /// Runs a change on `id`'s shard and waits until it is durable; the result is the plan's.
    func commit<Result: Sendable>(
        on id: UUID, _ plan: @Sendable (ShardState) throws(EngineError) -> (record: EngineRecord?, result: Result)
    ) async throws(EngineError) -> Result {
        try await commit(on: id, plan) { _, planned in planned }
    }

    /// Runs a change on `id`'s shard and waits until it is durable; the result is read by `finish` from the
    /// state after the change.
    func commit<Planned: Sendable, Result: Sendable>(
        on id: UUID, _ plan: @Sendable (ShardState) throws(EngineError) -> (record: EngineRecord?, result: Planned),
        then finish: @Sendable (ShardState, Planned) -> Result
    ) async throws(EngineError) -> Result {
        let (lsn, result, ended) = try await shard(of: id).commit(plan, then: finish)
        if let lsn {
            do { try await log.waitUntilDurable(lsn) } catch {
                throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
            }
        }
        // Told once durable: nobody hears of a logout that a crash could take back.
        if !ended.isEmpty, let observer = endedSessionObserver.withLock({ $0 }) { observer(ended) }
        return result
    }

    func newID(routingLike owner: UUID? = nil) -> UUID {
        var generator = RandomSourceGenerator(source: random)
        return ShardRouting.uuid(routingLike: owner, using: &generator)
    }
}

/// The permission bits of `path` that let others than its owner in (group and other), or nil when there are
/// none (or it cannot be read).
func accessByOthers(_ path: String) -> mode_t? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    let loose = status.st_mode & 0o077
    return loose == 0 ? nil : status.st_mode & 0o777
}

/// What `Engine.open` found and did, for the start-up log line.
package struct StartupReport: Sendable {
    /// The snapshot loaded (its LSN and file), if any, and how many newer ones were damaged and skipped.
    package let snapshotLSN: LSN?
    package let snapshotFile: String?
    package let skippedSnapshots: Int
    /// Log records applied after the snapshot.
    package let recordsReplayed: Int
    /// Memberships of deleted users that a crash had left behind, removed at open (see `deleteUser`).
    package let membershipsCompleted: Int
    package let users: Int
    package let sessions: Int
    /// Bytes of an unacknowledged, partly written last record that recovery cut off.
    package let tornBytes: Int
    /// The whole open; of it, finding, reading, decoding and restoring the snapshot, and reading and applying
    /// the log after it (the rest rebuilds the derived indexes).
    package let milliseconds: Int
    package let snapshotMilliseconds: Int
    package let replayMilliseconds: Int

    /// The data directory's permission bits when they let others than its owner in (it was made so by hand,
    /// or by an earlier version): worth a warning, since the log and snapshots hold password hashes and emails.
    package var looseDirectoryMode: UInt32?
    /// What `--recover=truncate` gave up, when it cut the log: where, how many records, which LSNs.
    package var truncation: String?
    /// Whether this open wrote the data directory's identity: a new directory, or one of a Tessera that
    /// predates identities.
    package var identityCreated = false
    /// What a directory that had served was missing, when `acceptLostState` let it open anyway.
    package var acceptedLoss: [String] = []
    /// Temporary files a killed process had left half written, removed (paths inside the data directory).
    package var removedTemporaryFiles: [String] = []

    /// Whether the data directory held no state at all: no snapshot and no log record (a first start).
    package var foundNothing: Bool { snapshotLSN == nil && recordsReplayed == 0 }

    package var summary: String {
        (snapshotLSN.map { "snapshot at LSN \($0)" } ?? "no snapshot")
            + (skippedSnapshots > 0 ? " (\(skippedSnapshots) damaged snapshot(s) skipped)" : "")
            + ", \(recordsReplayed) log records replayed, \(users) users, \(sessions) sessions"
            + (membershipsCompleted > 0 ? ", \(membershipsCompleted) memberships of deleted users removed" : "")
            + (tornBytes > 0 ? ", \(tornBytes) torn bytes cut off" : "") + ", in \(milliseconds) ms"
            + (truncation.map { "; " + $0 } ?? "")
            + (acceptedLoss.isEmpty
                ? ""
                : "; started without " + acceptedLoss.joined(separator: " and ")
                    + " (--accept-lost-state)")
            + (removedTemporaryFiles.isEmpty
                ? "" : "; removed the half-written " + removedTemporaryFiles.joined(separator: ", "))
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}

/// An exclusive `flock` on `<data>/LOCK`: two processes appending to one log would corrupt it, so the second
/// one is refused at open. The kernel releases the lock when the process ends, however it ends.
final class DataDirectoryLock: Sendable {
    private let fd: Int32
    private let released = Atomic<Bool>(false)

    init(directory: String) throws(EngineError) {
        let path = directory + "/LOCK"
        let fd: Int32
        do { fd = try Durable.openCreating(path, flags: O_RDWR) } catch {
            throw EngineError(.invalidArgument, "cannot open \(path): \(error.message)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw EngineError(.invalidArgument, "\(directory) is in use by another process")
        }
        self.fd = fd
    }

    /// Lets another process (or a later `open` in this one) have the directory.
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }

    deinit { release() }
}

/// The snapshot side of the engine's health.
package struct SnapshotState: Sendable {
    /// The LSN of the newest snapshot written or loaded.
    package var lsn: LSN?
    /// Why the last snapshot failed, when it did (cleared by the next one that succeeds).
    package var failure: String?

    /// `ok (LSN n)`, `none yet`, or `failed: …`.
    package var summary: String {
        if let failure { return "failed: \(failure)" }
        return lsn.map { "ok (LSN \($0))" } ?? "none yet"
    }
}
