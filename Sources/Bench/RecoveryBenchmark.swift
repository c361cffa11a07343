import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `Bench recovery`: a cold start of a data directory with many users and sessions and a log tail.
struct RecoveryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract:
            "Cold start of N users + N sessions and a log tail (targets: ≥ 1,000,000 records/s replayed, serving in < 5 s).",
        discussion: """
            Builds a data directory through the engine (every change logged), writes a snapshot, logs --tail \
            refreshes after it, then starts it cold in a child process: snapshot load, log replay, the HTTP \
            server, and the first request answered (a login). With --dir the directory is kept, and \
            `tessera serve --data DIR` starts from it (every user's password: Bench-Password-1).
            """)

    @Option(help: "Users, each with one session.") var users = 1_000_000
    @Option(help: "Refreshes logged after the snapshot (the log tail replayed at start).") var tail = 1_000_000
    @Option(help: "Build the data directory here and keep it (must be new or empty).") var dir: String?
    @Option(help: "Engine shards.") var shards = 16
    @OptionGroup var output: ReportOptions

    func run() async throws {
        let progress = Progress()
        let root =
            try dir.map { path -> String in
                _ = mkdir(path, 0o755)
                return path
            } ?? makeTemporaryDirectory()
        defer { if dir == nil { removeTree(root) } }

        let built = try await DataSet(users: users, sessionsPerUser: 1, tail: tail, shards: shards)
            .build(into: root, progress: progress)
        // What the build wrote goes to the disk first, so that its write-back does not run during the start.
        sync()
        progress.start("cold start", total: 0)
        let start = try ColdStart.measure(directory: root, shards: shards)
        progress.finish()
        guard start.firstAnswerSucceeded else { throw BenchError("the first request after the cold start failed") }

        var report = Report(scenario: "recovery")
        let entities = start.users + start.sessions
        let loadRate = Double(entities) / max(0.001, Double(start.snapshotMilliseconds) / 1000)
        let replayRate = Double(start.recordsReplayed) / max(0.001, Double(start.replayMilliseconds) / 1000)
        report.figure("users", Double(start.users), unit: "")
        report.figure("sessions", Double(start.sessions), unit: "")
        report.figure("build time", built.seconds, unit: "s")
        report.figure("snapshot size", Double(built.snapshotBytes) / 1_048_576, unit: "MiB")
        report.figure("snapshot load", Double(start.snapshotMilliseconds), unit: "ms")
        report.figure("snapshot load rate", loadRate, unit: "users+sessions/s")
        report.figure("log records replayed", Double(start.recordsReplayed), unit: "")
        report.figure("replay", Double(start.replayMilliseconds), unit: "ms")
        report.figure("replay rate", replayRate, unit: "records/s")
        report.figure("engine open", Double(start.openMilliseconds), unit: "ms")
        report.figure("first request answered", start.firstAnswerMilliseconds, unit: "ms")
        report.figure("resident memory after start", Double(start.residentBytesAfter) / 1_048_576, unit: "MiB")
        if start.recordsReplayed > 0 {
            report.target("replay rate", value: replayRate, atLeast: 1_000_000, unit: "records/s")
        }
        if users >= 1_000_000 {
            report.target(
                "serving after a cold start", value: start.firstAnswerMilliseconds / 1000, atMost: 5, unit: "s")
        }
        try report.emit(output)
    }
}

/// `Bench memory`: resident memory per user and per session, from cold starts of data sets that differ only in
/// their users or their sessions.
struct MemoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory per user and per session at N (targets: ≤ 2 KiB per user, ≤ 1 KiB per session).",
        discussion: """
            Builds three data directories — empty, N users, N users with one session each — and starts each \
            cold in a child process. Per user = (RSS with users − RSS empty) ÷ N; per session = (RSS with \
            sessions − RSS with users) ÷ N. RSS is read after the first request was answered.
            """)

    @Option(help: "Users (and sessions).") var users = 1_000_000
    @Option(help: "Engine shards.") var shards = 16
    @OptionGroup var output: ReportOptions

    func run() async throws {
        let progress = Progress()
        var resident: [Int] = []
        for sessions in [-1, 0, 1] {
            let root = try makeTemporaryDirectory()
            defer { removeTree(root) }
            _ = try await DataSet(
                users: sessions < 0 ? 0 : users, sessionsPerUser: max(0, sessions), tail: 0, shards: shards
            )
            .build(into: root, progress: progress)
            progress.start("cold start", total: 0)
            let start = try ColdStart.measure(directory: root, shards: shards)
            progress.finish()
            resident.append(start.residentBytesAfter)
        }
        let perUser = Double(resident[1] - resident[0]) / Double(users)
        let perSession = Double(resident[2] - resident[1]) / Double(users)
        var report = Report(scenario: "memory")
        report.figure("resident, empty", Double(resident[0]) / 1_048_576, unit: "MiB")
        report.figure("resident, \(users) users", Double(resident[1]) / 1_048_576, unit: "MiB")
        report.figure("resident, \(users) users + \(users) sessions", Double(resident[2]) / 1_048_576, unit: "MiB")
        report.target("per user", value: perUser, atMost: 2048, unit: "bytes")
        report.target("per session", value: perSession, atMost: 1024, unit: "bytes")
        try report.emit(output)
    }
}
