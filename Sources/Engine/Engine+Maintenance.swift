import WAL

extension Engine {
    /// The engine's periodic work, until the task is cancelled: a snapshot whenever enough log has been
    /// written since the last one, and the clean-up of revoked and expired sessions. Failures are reported
    /// through `report` and retried at the next tick; a failed log stops the loop (nothing can be stored).
    package func runMaintenance(tickSeconds: Int = 1, report: @Sendable (String) -> Void = { _ in }) async {
        var lastSnapshotLSN = log.durableLSN
        var lastSnapshotBytes = log.statistics.bytes
        var secondsSincePurge = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(tickSeconds))
            if Task.isCancelled || log.failure != nil { return }
            let lsn = log.nextLSN - 1
            let bytes = log.statistics.bytes
            if lsn - lastSnapshotLSN >= configuration.snapshotEveryRecords
                || bytes - lastSnapshotBytes >= configuration.snapshotEveryBytes
            {
                do {
                    let result = try await checkpoint()
                    report(
                        "snapshot at LSN \(result.lsn): \(result.bytes) bytes, \(result.segmentsRemoved) segments removed"
                    )
                    lastSnapshotLSN = lsn
                    lastSnapshotBytes = bytes
                } catch {
                    report("snapshot failed: \(error)")
                }
            }
            secondsSincePurge += tickSeconds
            // Purges are changes: a cluster's follower gets them as the leader's records.
            if secondsSincePurge >= configuration.purgeIntervalSeconds && acceptsChanges {
                secondsSincePurge = 0
                do {
                    let purged = try await purgeInactiveSessions()
                    if purged > 0 { report("forgot \(purged) revoked or expired sessions") }
                    let unused = try await purgeUnusedAnonymousClients(
                        unusedMilliseconds: configuration.unusedAnonymousClientMilliseconds)
                    for id in unused {
                        report(
                            "deleted the anonymously registered client \(id.uuidString.lowercased()), unused since it registered"
                        )
                    }
                    let leftovers = try await purgeOAuthLeftovers()
                    if leftovers > 0 { report("forgot \(leftovers) expired authorization codes and client tokens") }
                } catch {
                    report("session clean-up failed: \(error)")
                }
            }
        }
    }
}
