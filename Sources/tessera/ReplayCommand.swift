import ArgumentParser
import Cluster
import Engine
import Foundation
import PostgresNIO
import WAL

/// `tessera replay`: the state as it was at an LSN or a time, into a new data directory.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild the state as it was at an LSN or an RFC 3339 time into a new data directory.",
        discussion: "The source is only read. `tessera serve --data OUT` then serves the rebuilt state.")

    @Option(help: "The data directory to replay from.") var data: String?
    @Option(
        help:
            "Replay the cluster's history instead: the postgres:// URL of its database (its stored snapshots and log)."
    )
    var cluster: String?
    @Option(help: "An LSN, or a time such as 2026-11-27T20:13:30Z.") var until: String
    @Option(help: "The new data directory (must not exist).") var out: String
    @Option(help: "Shard count of the rebuilt state.") var shards = 16

    func validate() throws {
        guard (data == nil) != (cluster == nil) else {
            throw ValidationError("name what to replay: --data DIR or --cluster postgres://…")
        }
        if let cluster { _ = try ClusterOptions.postgresConfiguration(cluster) }
    }

    func run() async throws {
        let limit: ReplayLimit
        if let lsn = LSN(until) {
            limit = .lsn(lsn)
        } else if let date = ISO8601DateFormatter().date(from: until) {
            limit = .time(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
        } else {
            throw ValidationError("--until takes an LSN or an RFC 3339 time such as 2026-11-27T20:13:30Z")
        }
        var source = data ?? ""
        var scratch: String?
        if let cluster {
            // The cluster's history, copied into a scratch data directory that the replay reads.
            scratch = out + ".cluster-history"
            source = scratch!
            try await copyHistory(of: cluster, until: limit, into: source)
        }
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        let summary = try await Engine.replay(source: source, until: limit, into: out, shardCount: shards) {
            applied, lsn in
            say("replay: \(applied) records applied, at LSN \(lsn)")
        }
        say(
            "replayed to LSN \(summary.lastLSN)"
                + (summary.snapshotLSN.map { " from the snapshot at LSN \($0)" } ?? " from the start of the log")
                + ": \(summary.recordsApplied) records applied, \(summary.users) users, \(summary.activeSessions) active "
                + "sessions, in \(summary.milliseconds) ms; serve it with: tessera serve --data \(out)")
    }

    /// The cluster's newest snapshot within `limit` and its log after it, into `directory`.
    private func copyHistory(of cluster: String, until limit: ReplayLimit, into directory: String) async throws {
        guard access(out, F_OK) != 0 else { throw ValidationError("\(out) exists already") }
        guard access(directory, F_OK) != 0 else { throw ValidationError("\(directory) exists already") }
        let client = PostgresClient(configuration: try ClusterOptions.postgresConfiguration(cluster))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let start = try await ClusterHistory.materialize(
                from: ClusterLogStore(client: client), until: limit, into: directory
            ) { copied, lsn in say("copying the cluster's log: \(copied) records, at LSN \(lsn)") }
            say(
                "the cluster's history: "
                    + (start > 0 ? "its snapshot at LSN \(start)" : "its log from the start") + ", then its log")
        }
    }
}
