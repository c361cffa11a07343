package import PostgresNIO
import Synchronization
package import WAL

/// A follower's side of replication: it applies, in LSN order, every batch the leader committed to PostgreSQL
/// after what it applied. It listens on the log's channel first and then catches up by LSN range, so no batch
/// committed meanwhile is missed; every notification (and every reconnection, after any gap) catches up again.
/// `apply` receives the records of one batch beyond what was applied, and returns once they are applied.
package final class LogFollower: Sendable {
    package typealias Record = (lsn: LSN, type: UInt16, payload: [UInt8])

    private struct State {
        var applied: LSN
        /// The highest LSN the leader announced (or a read found).
        var known: LSN
        var waiters: [(lsn: LSN, id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter: UInt64 = 0
    }

    private let store: ClusterLogStore
    private let client: PostgresClient
    private let apply: @Sendable ([Record]) async throws -> Void
    private let retryDelay: Duration
    private let state: Mutex<State>

    /// Follows from `appliedLSN` (the last record this node's state reflects).
    package init(
        store: ClusterLogStore, client: PostgresClient, appliedLSN: LSN, retryDelay: Duration = .milliseconds(200),
        apply: @escaping @Sendable ([Record]) async throws -> Void
    ) {
        self.store = store
        self.client = client
        self.apply = apply
        self.retryDelay = retryDelay
        state = Mutex(State(applied: appliedLSN, known: appliedLSN))
    }

    /// The last LSN applied here.
    package var appliedLSN: LSN { state.withLock { $0.applied } }
    /// How many records the leader announced that are not applied here yet.
    package var lagRecords: UInt64 { state.withLock { $0.known > $0.applied ? $0.known - $0.applied : 0 } }

    /// Returns once every record through `lsn` is applied here, or once the calling task is cancelled.
    package func waitUntilApplied(_ lsn: LSN) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if state.applied >= lsn || Task.isCancelled { return true }
                    state.waiters.append((lsn, id, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiting?.resume()
        }
    }

    /// Follows until cancelled. A failure to reach PostgreSQL is retried after `retryDelay`; a record that
    /// cannot be applied (the local log disagrees, the batch is damaged) ends it with that error.
    package func run() async throws {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: ClusterLogStore.channel) { notifications in
                        try await catchUp()
                        for try await notification in notifications {
                            if let announced = LSN(notification.payload) {
                                state.withLock { $0.known = max($0.known, announced) }
                            }
                            try await catchUp()
                        }
                    }
                }
            } catch let error as ClusterError {
                guard case .database = error else { throw error }
            } catch let error as FollowerApplyError {
                throw error.underlying
            } catch is CancellationError {
                return
            } catch {
                // The connection to PostgreSQL failed: listen again and catch up.
            }
            try? await Task.sleep(for: retryDelay)
        }
    }

    /// Applies every batch after the applied LSN, as many reads as it takes.
    private func catchUp() async throws {
        while true {
            let after = appliedLSN
            let runs = try await store.batches(after: after)
            guard let last = runs.last else { return }
            state.withLock { $0.known = max($0.known, last.lastLSN) }
            for run in runs {
                let records: [Record]
                do { records = try run.records().filter { $0.lsn > appliedLSN } } catch {
                    throw FollowerApplyError(underlying: error)
                }
                guard !records.isEmpty else { continue }
                do { try await apply(records) } catch { throw FollowerApplyError(underlying: error) }
                advance(to: run.lastLSN)
            }
        }
    }

    private func advance(to lsn: LSN) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.applied = lsn
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { entry in
                guard entry.lsn <= lsn else { return false }
                ready.append(entry.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}

/// Applying a record failed: following stops (unlike a lost connection, retrying would not help).
private struct FollowerApplyError: Error {
    let underlying: any Error
}
