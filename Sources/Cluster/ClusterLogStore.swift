package import Logging
import NIOCore
package import PostgresNIO
package import WAL

/// The cluster's replicated log and leader lease, in PostgreSQL. Each batch the leader commits is one row — its
/// records in the log's frame format, sealed with the leader's epoch, keyed by its first LSN — inserted in the
/// same transaction that checks the lease's epoch and moves the log's end, so a deposed leader commits nothing
/// and the log never has a gap or an overlap. Followers read batches by LSN and are woken by `NOTIFY`.
///
/// The caller runs `client` (`PostgresClient.run()`) for as long as the store is used.
package final class ClusterLogStore: Sendable {
    /// The `LISTEN` channel: each committed batch notifies its last LSN.
    package static let channel = "tessera_log"

    let client: PostgresClient
    let logger: Logger

    package init(client: PostgresClient, logger: Logger = Logger(label: "tessera.cluster")) {
        self.client = client
        self.logger = logger
    }

    /// Creates the tables when missing (several nodes may do so at once).
    package func prepare() async throws(ClusterError) {
        try await run {
            try await client.withTransaction(logger: logger) { connection in
                // One node at a time creates the schema: concurrent CREATE TABLE IF NOT EXISTS can collide.
                try await connection.query("SELECT pg_advisory_xact_lock(7201555017)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tessera_lease (
                        id smallint PRIMARY KEY CHECK (id = 1),
                        epoch bigint NOT NULL,
                        holder text,
                        address text,
                        expires_at timestamptz NOT NULL,
                        last_lsn bigint NOT NULL
                    )
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO tessera_lease (id, epoch, holder, address, expires_at, last_lsn)
                    VALUES (1, 0, NULL, NULL, '-infinity', 0) ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tessera_snapshots (
                        lsn bigint NOT NULL,
                        chunk integer NOT NULL,
                        data bytea NOT NULL,
                        PRIMARY KEY (lsn, chunk)
                    )
                    """, logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tessera_snapshot_index (
                        lsn bigint PRIMARY KEY,
                        chunks integer NOT NULL,
                        bytes bigint NOT NULL,
                        crc32c bigint NOT NULL,
                        stored_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tessera_keys (
                        path text PRIMARY KEY,
                        content bytea NOT NULL
                    )
                    """, logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS tessera_log (
                        first_lsn bigint PRIMARY KEY,
                        last_lsn bigint NOT NULL CHECK (last_lsn >= first_lsn),
                        epoch bigint NOT NULL,
                        frames bytea NOT NULL
                    )
                    """, logger: logger)
            }
        }
    }

    // MARK: The lease

    /// Takes the lease for `node` (reached at `address`) for `ttlMilliseconds` by PostgreSQL's clock, with a
    /// new epoch — if it is free, expired or `node`'s own, and if `appliedLSN` is the last LSN the cluster
    /// committed (a node behind the log may not lead). Nil when it may not.
    package func acquire(
        node: String, address: String, ttlMilliseconds: Int, appliedLSN: LSN
    ) async throws(ClusterError) -> ClusterLease? {
        try await run {
            let rows = try await client.query(
                """
                UPDATE tessera_lease
                SET epoch = epoch + 1, holder = \(node), address = \(address),
                    expires_at = now() + make_interval(secs => \(Self.seconds(ttlMilliseconds)))
                WHERE id = 1 AND last_lsn = \(Int64(appliedLSN))
                    AND (holder IS NULL OR holder = \(node) OR expires_at < now())
                RETURNING epoch, last_lsn
                """, logger: logger)
            for try await (epoch, last) in rows.decode((Int64, Int64).self) {
                return ClusterLease(epoch: UInt64(epoch), holder: node, address: address, lastLSN: LSN(last))
            }
            return nil
        }
    }

    /// Extends `lease` by `ttlMilliseconds` from now, by PostgreSQL's clock. Throws `fenced` once another node
    /// took it over.
    package func renew(_ lease: ClusterLease, ttlMilliseconds: Int) async throws(ClusterError) {
        let renewed = try await run {
            let rows = try await client.query(
                """
                UPDATE tessera_lease
                SET expires_at = now() + make_interval(secs => \(Self.seconds(ttlMilliseconds)))
                WHERE id = 1 AND epoch = \(Int64(lease.epoch))
                RETURNING epoch
                """, logger: logger)
            for try await _ in rows { return true }
            return false
        }
        if !renewed { throw .fenced(current: try await holder().epoch) }
    }

    /// Gives `lease` up, so that another node may take it at once (a stopping leader does).
    package func release(_ lease: ClusterLease) async throws(ClusterError) {
        try await run {
            try await client.query(
                """
                UPDATE tessera_lease SET holder = NULL, address = NULL, expires_at = '-infinity'
                WHERE id = 1 AND epoch = \(Int64(lease.epoch))
                """, logger: logger)
        }
    }

    /// The lease as it stands.
    package func holder() async throws(ClusterError) -> LeaseHolder {
        try await run {
            let rows = try await client.query(
                "SELECT epoch, holder, address, expires_at < now(), last_lsn FROM tessera_lease WHERE id = 1",
                logger: logger)
            for try await (epoch, holder, address, expired, last) in rows.decode(
                (Int64, String?, String?, Bool, Int64).self)
            {
                return LeaseHolder(
                    epoch: UInt64(epoch), holder: holder, address: address, expired: expired, lastLSN: LSN(last))
            }
            throw ClusterError.database("the lease row is missing: run prepare()")
        }
    }

    // MARK: The log

    /// Commits `run` under `lease`, in one statement (so one round trip and one transaction): the lease's epoch
    /// must still be current (else `fenced`) and the run must start right after the cluster's last LSN (else
    /// `outOfSequence`); the row is inserted and the batch's last LSN notified only then. Once this returns, the
    /// batch is committed as durably as PostgreSQL's settings make commits.
    package func append(_ run: FrameRun, under lease: ClusterLease) async throws(ClusterError) {
        precondition(run.seed == lease.epoch, "a batch is sealed with the epoch it is committed under")
        let stored = try await self.run {
            let rows = try await client.query(
                """
                WITH moved AS (
                    UPDATE tessera_lease SET last_lsn = \(Int64(run.lastLSN))
                    WHERE id = 1 AND epoch = \(Int64(lease.epoch)) AND last_lsn = \(Int64(run.firstLSN) - 1)
                    RETURNING last_lsn
                ), stored AS (
                    INSERT INTO tessera_log (first_lsn, last_lsn, epoch, frames)
                    SELECT \(Int64(run.firstLSN)), last_lsn, \(Int64(lease.epoch)), \(ByteBuffer(bytes: run.frames))
                    FROM moved
                    RETURNING last_lsn
                )
                SELECT pg_notify(\(Self.channel), last_lsn::text) FROM stored
                """, logger: logger)
            var stored = false
            for try await _ in rows { stored = true }
            return stored
        }
        guard !stored else { return }
        // Refused, nothing stored: say why (one more read, on this path only).
        let refusal: ClusterError = try await self.run {
            let rows = try await client.query("SELECT epoch, last_lsn FROM tessera_lease WHERE id = 1", logger: logger)
            for try await (epoch, last) in rows.decode((Int64, Int64).self) {
                return UInt64(epoch) != lease.epoch
                    ? .fenced(current: UInt64(epoch)) : .outOfSequence(lastLSN: LSN(last))
            }
            return .database("the lease row is missing: run prepare()")
        }
        throw refusal
    }

    /// Up to `limit` batches holding the records after `lsn`, in order (the first may start before `lsn` + 1,
    /// when a snapshot ended inside it). Throws `pruned` when the records after `lsn` start later (load the
    /// snapshot first), `damaged` when the batches do not follow one another.
    package func batches(after lsn: LSN, limit: Int = 256) async throws(ClusterError) -> [FrameRun] {
        let runs = try await run {
            let rows = try await client.query(
                """
                SELECT first_lsn, last_lsn, epoch, frames FROM tessera_log
                WHERE first_lsn >= coalesce(
                        (SELECT max(first_lsn) FROM tessera_log WHERE first_lsn <= \(Int64(lsn) + 1)), 0)
                    AND last_lsn > \(Int64(lsn))
                ORDER BY first_lsn LIMIT \(limit)
                """, logger: logger)
            var runs: [FrameRun] = []
            for try await (first, last, epoch, frames) in rows.decode((Int64, Int64, Int64, ByteBuffer).self) {
                runs.append(
                    FrameRun(
                        firstLSN: LSN(first), lastLSN: LSN(last), seed: UInt64(epoch),
                        frames: Array(buffer: frames)))
            }
            return runs
        }
        var expected = lsn + 1
        if let first = runs.first, first.firstLSN > expected { throw .pruned(firstAvailableLSN: first.firstLSN) }
        for run in runs {
            guard run.firstLSN <= expected else {
                throw .damaged(
                    firstLSN: run.firstLSN, FrameRun.Defect(lsn: expected, reason: "the cluster's log has a gap"))
            }
            expected = run.lastLSN + 1
        }
        return runs
    }

    /// Deletes the batches wholly at or below `lsn` (a snapshot every node can read covers them).
    package func prune(through lsn: LSN) async throws(ClusterError) {
        try await run {
            try await client.query(
                "DELETE FROM tessera_log WHERE first_lsn <= \(Int64(lsn)) AND last_lsn <= \(Int64(lsn))",
                logger: logger)
        }
    }

    // MARK: Helpers

    private static func seconds(_ milliseconds: Int) -> Double { Double(milliseconds) / 1000 }

    /// Runs `body`, turning PostgreSQL's errors into `ClusterError.database` (and passing a `ClusterError`
    /// through).
    @discardableResult
    func run<Result: Sendable>(_ body: () async throws -> Result) async throws(ClusterError) -> Result {
        do {
            return try await body()
        } catch let error as ClusterError {
            throw error
        } catch let error as PSQLError {
            throw .database(Self.describe(error))
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? ClusterError { throw inner }
            let cause = error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError
            throw .database((cause as? PSQLError).map(Self.describe) ?? String(describing: cause))
        } catch {
            throw .database(String(describing: error))
        }
    }

    /// The server's message and SQL state when there is one, else the kind of failure.
    private static func describe(_ error: PSQLError) -> String {
        if let info = error.serverInfo, let message = info[.message] {
            return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        return "\(error.code)"
    }
}
