package import WAL

/// Where a node's local log stops holding the cluster's records. A node's log mirrors the cluster's, except
/// after a leader's records that never reached PostgreSQL (it crashed, or PostgreSQL was unreachable, before
/// they committed): those were never acknowledged, and another leader may have committed different records
/// under the same LSNs since. So the two logs agree on a prefix and differ after it; this finds its end.
package enum LogAgreement {
    /// The last LSN through which the local log and the cluster's hold the same records, found by bisection
    /// over `agrees(lsn)` (whether both hold the same record there; true for every LSN up to the answer and
    /// false after it). One probe in the usual cases: a follower's log, or a leader's that committed everything.
    package static func lastAgreedLSN(
        localLast: LSN, clusterLast: LSN, agrees: (LSN) async throws -> Bool
    ) async throws -> LSN {
        let highest = min(localLast, clusterLast)
        guard highest > 0, try await !agrees(highest) else { return highest }
        var agreed: LSN = 0
        var differs = highest
        while differs - agreed > 1 {
            let middle = agreed + (differs - agreed) / 2
            if try await agrees(middle) { agreed = middle } else { differs = middle }
        }
        return agreed
    }

    /// The last LSN through which the log in `logDirectory` agrees with the cluster's, comparing each probed
    /// record's type and payload with the cluster's. A record below the local log's oldest segment counts as
    /// agreeing: a snapshot covers it, and snapshots hold only committed records (a checkpoint waits until
    /// its LSN is replicated); so does one the cluster has pruned.
    package static func lastAgreedLSN(
        logDirectory: String, store: ClusterLogStore, clusterLast: LSN
    ) async throws -> LSN {
        let segments = try LogReader.segmentFirstLSNs(directory: logDirectory)
        let oldestLocal = segments.first ?? 1
        var localLast: LSN = 0
        if let newest = segments.last {
            // Only the newest segment is read: an empty one (just begun) ends the log right before it, or — made
            // ahead of a previous one not full yet — a little later than it does, which the bisection corrects.
            localLast =
                try LogReader.read(directory: logDirectory, after: .max, fromSegmentHolding: newest) { _ in }.lastLSN
                ?? newest - 1
        }
        return try await lastAgreedLSN(localLast: localLast, clusterLast: clusterLast) { lsn in
            guard lsn >= oldestLocal else { return true }
            guard let mine = try LogReader.record(at: lsn, directory: logDirectory) else { return false }
            let runs: [FrameRun]
            do throws(ClusterError) { runs = try await store.batches(after: lsn - 1, limit: 1) } catch {
                if case .pruned = error { return true }
                throw error
            }
            guard let theirs = try runs.first?.records().first(where: { $0.lsn == lsn }) else { return false }
            return theirs.type == mine.type && theirs.payload == mine.payload
        }
    }
}
