import ArgumentParser
import Engine
import Foundation
import WAL

/// `tessera replay`: the state as it was at an LSN or a time, into a new data directory.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild the state as it was at an LSN or an RFC 3339 time into a new data directory.",
        discussion: "The source is only read. `tessera serve --data OUT` then serves the rebuilt state.")

    @Option(help: "The data directory to replay from.") var data: String
    @Option(help: "An LSN, or a time such as 2026-11-27T20:13:30Z.") var until: String
    @Option(help: "The new data directory (must not exist).") var out: String
    @Option(help: "Shard count of the rebuilt state.") var shards = 16

    func run() async throws {
        let limit: ReplayLimit
        if let lsn = LSN(until) {
            limit = .lsn(lsn)
        } else if let date = ISO8601DateFormatter().date(from: until) {
            limit = .time(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
        } else {
            throw ValidationError("--until takes an LSN or an RFC 3339 time such as 2026-11-27T20:13:30Z")
        }
        let summary = try await Engine.replay(source: data, until: limit, into: out, shardCount: shards) {
            applied, lsn in
            say("replay: \(applied) records applied, at LSN \(lsn)")
        }
        say(
            "replayed to LSN \(summary.lastLSN)"
                + (summary.snapshotLSN.map { " from the snapshot at LSN \($0)" } ?? " from the start of the log")
                + ": \(summary.recordsApplied) records applied, \(summary.users) users, \(summary.activeSessions) active "
                + "sessions, in \(summary.milliseconds) ms; serve it with: tessera serve --data \(out)")
    }
}
