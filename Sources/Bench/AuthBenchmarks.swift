import ArgumentParser
import Auth
import Dispatch
import Engine
import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Net
import WAL

/// A Tessera server in this process, on a fresh data directory, for the HTTP scenarios.
struct BenchServer {
    let directory: String
    let auth: AuthService
    let server: HTTPServer

    static func start(
        bcryptCost: UInt8, durability: Durability, keep: String?, shards: Int = 16,
        threads: Int = System.coreCount, eddsa: Bool = false
    ) async throws -> BenchServer {
        let directory = try keep ?? makeTemporaryDirectory()
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.durability = durability
        configuration.shardCount = shards
        return try await start(
            engine: Engine.open(configuration), directory: directory, bcryptCost: bcryptCost,
            threads: threads, eddsa: eddsa)
    }

    /// Serves an open engine whose data directory is `directory + "/data"`, as `tessera serve` would (rate
    /// limits off).
    static func start(
        engine: Engine, directory: String, bcryptCost: UInt8, threads: Int = System.coreCount,
        eddsa: Bool = false
    ) async throws -> BenchServer {
        let data = engine.configuration.dataDirectory
        let keys = try ServerKeys.loadOrCreate(directory: data + "/keys")
        let ring =
            eddsa
            ? try SigningKeyRing(
                directory: data + "/keys/ed25519",
                nowSeconds: Int64(Date().timeIntervalSince1970), rotationSeconds: nil,
                retentionSeconds: 900) : nil
        let auth = AuthService(
            engine: engine, keys: keys,
            hasher: PasswordHasher(cost: bcryptCost, threads: ProcessInfo.processInfo.activeProcessorCount),
            signing: ring.map { .eddsa($0) })
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0,
            router: API(
                auth: auth,
                passwordReset: PasswordResetService(
                    auth: auth, outbox: JSONLinesOutbox(path: data + "/outbox.jsonl"),
                    frontendURL: "http://localhost:3000"),
                rateLimiter: nil
            ).router, threads: threads)
        return BenchServer(directory: directory, auth: auth, server: server)
    }

    func stop(keep: Bool) async {
        await server.stop()
        await auth.engine.close()
        if !keep { removeTree(directory) }
    }
}

/// `Bench refresh`: rotating refresh tokens over HTTP with durability `sync`.
struct RefreshBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "POST /auth/refresh over keep-alive connections (target ≥ 10,000/s, sync).")

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: ReportOptions
    @Option(help: "Durability of the server started here: sync, batch:<ms> or none.") var durability = "sync"
    @Option(help: "Engine shards of the server started here.") var shards = 16

    func run() async throws {
        guard let mode = Durability(parsing: durability) else {
            throw ValidationError("--durability: sync, batch:<ms>, none")
        }
        let progress = Progress()
        let target: BenchTarget
        if load.url == nil {
            let server = try await BenchServer.start(bcryptCost: 4, durability: mode, keep: nil, shards: shards)
            target = try await BenchTarget.serving(server)
        } else {
            target = try await BenchTarget.start(url: load.url)
        }
        // Each connection holds a session of its own and rotates it: every answer's token is the next request's.
        let seeded = try await target.seedUsers(load.connections, progress: progress)
        let current = TokenTable(seeded.map(\.refreshToken))
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // The ceiling answers what a refresh answers (a login's answer has the same fields and sizes).
        let sample = try await target.send(
            LoadRequest(
                path: "/api/v1/auth/login",
                body: Array(#"{"email":"\#(seeded[0].email)","password":"\#(DataSet.password)"}"#.utf8)))
        let ceiling = try await CeilingServer.measure(
            load, answer: sample.body,
            request: LoadRequest(
                path: "/api/v1/auth/refresh",
                body: Array(#"{"refresh_token":"\#(seeded[0].refreshToken)"}"#.utf8)),
            group: client, progress: progress)
        progress.start("refresh", total: 0)
        let result = try await HTTPLoad.run(
            load.target(port: target.port, host: target.host), group: client,
            progress: progress
        ) { connection, body in
            if let body, let token = jsonString("refresh_token", in: body) { current.set(connection, token) }
            return LoadRequest(
                path: "/api/v1/auth/refresh",
                body: Array(#"{"refresh_token":"\#(current.get(connection))"}"#.utf8))
        }
        progress.finish()
        try await client.shutdownGracefully()
        let statistics = target.local?.auth.engine.log.statistics
        await target.stop()
        var report = Report(scenario: "refresh")
        report.run("ceiling (bare NIO, same answer)", ceiling, detail: "\(System.coreCount) event loops")
        report.run(
            "refresh", result,
            detail: load.url == nil ? "durability \(mode), \(shards) shards, \(load.shape)" : load.shape)
        if let statistics {
            report.figure("log syncs", Double(statistics.syncs), unit: "")
            report.figure("records per sync", Double(statistics.records) / Double(max(1, statistics.syncs)), unit: "")
        }
        report.figure("rate ÷ ceiling's", result.rate / max(1, ceiling.rate), unit: "")
        if mode == .sync && load.url == nil {
            report.target("refreshes per second, durability sync", value: result.rate, atLeast: 10_000, unit: "/s")
        }
        try report.emit(output)
    }
}

/// `Bench login`: password logins over HTTP, against bcrypt's own rate on this machine measured in the same run.
struct LoginBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "POST /auth/login against the bcrypt ceiling (target ≥ 0.9 × cores ÷ bcrypt time).")

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: ReportOptions
    @Option(help: "bcrypt cost (of the server started here; with --url, the server's own).") var bcryptCost = 12

    func run() async throws {
        let cost = UInt8(bcryptCost)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let progress = Progress()
        // The ceiling: bcrypt verifications per second on every core, with nothing else running.
        progress.start("bcrypt ceiling", total: 0)
        let hash = Bcrypt.hash(DataSet.password, cost: cost)
        let ceilingSeconds = max(2.0, load.seconds / 2)
        let verified = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            var count = 0
                            let end = monotonicNanoseconds() + UInt64(ceilingSeconds * 1e9)
                            while monotonicNanoseconds() < end {
                                _ = Bcrypt.verify(DataSet.password, hash: hash)
                                count += 1
                            }
                            continuation.resume(returning: count)
                        }
                    }
                }
            }
            return await group.reduce(0, +)
        }
        let ceiling = Double(verified) / ceilingSeconds

        let target = try await BenchTarget.start(url: load.url, bcryptCost: cost)
        let user = try await target.seedUsers(1, progress: progress)[0]
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let body = Array(#"{"email":"\#(user.email)","password":"\#(DataSet.password)"}"#.utf8)
        progress.start("login", total: 0)
        let result = try await HTTPLoad.run(
            load.target(port: target.port, host: target.host), group: client,
            progress: progress
        ) { _, _ in
            LoadRequest(path: "/api/v1/auth/login", body: body)
        }
        progress.finish()
        try await client.shutdownGracefully()
        await target.stop()
        var report = Report(scenario: "login")
        report.run("login", result, detail: "bcrypt cost \(bcryptCost), \(load.shape)")
        report.figure("bcrypt ceiling (verifications/s on \(cores) cores)", ceiling, unit: "/s")
        report.target("rate ÷ bcrypt ceiling", value: result.rate / ceiling, atLeast: 0.9)
        try report.emit(output)
    }
}

/// The newest refresh token of each connection.
final class TokenTable: @unchecked Sendable {
    // `@unchecked Sendable`: each connection's slot is read and written only by that connection's handler,
    // on its one event loop, one request at a time.
    private var tokens: [String]
    init(_ tokens: [String]) { self.tokens = tokens }
    func get(_ index: Int) -> String { tokens[index] }
    func set(_ index: Int, _ token: String) { tokens[index] = token }
}
