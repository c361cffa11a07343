import ArgumentParser
import Auth
import Dispatch
import Engine
import Foundation
import HummingbirdBcrypt
import Net
import NIOCore
import NIOPosix
import WAL

/// A Tessera server in this process, on a fresh data directory, for the HTTP scenarios.
struct BenchServer {
    let directory: String
    let auth: AuthService
    let server: HTTPServer

    static func start(bcryptCost: UInt8, durability: Durability, keep: String?, shards: Int = 16,
                      threads: Int = System.coreCount, eddsa: Bool = false) async throws -> BenchServer
    {
        let directory = try keep ?? makeTemporaryDirectory()
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.durability = durability
        configuration.shardCount = shards
        let engine = try Engine.open(configuration)
        let keys = try ServerKeys.loadOrCreate(directory: directory + "/data/keys")
        let ring = eddsa ? try SigningKeyRing(directory: directory + "/data/keys/ed25519",
                                              nowSeconds: Int64(Date().timeIntervalSince1970), rotationSeconds: nil,
                                              retentionSeconds: 900) : nil
        let auth = AuthService(engine: engine, keys: keys,
                               hasher: PasswordHasher(cost: bcryptCost, threads: ProcessInfo.processInfo.activeProcessorCount),
                               signing: ring.map { .eddsa($0) })
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, router: API(
            auth: auth, passwordReset: PasswordResetService(auth: auth, outbox: JSONLinesOutbox(path: directory + "/data/outbox.jsonl"),
                                                           frontendURL: "http://localhost:3000"),
            rateLimiter: nil).router, threads: threads)
        return BenchServer(directory: directory, auth: auth, server: server)
    }

    func stop(keep: Bool) async {
        await server.stop()
        await auth.engine.close()
        if !keep { removeTree(directory) }
    }
}

/// The value of `"refresh_token":"…"` in an answer.
func refreshToken(in body: [UInt8]) -> String? {
    let key = Array(#""refresh_token":""#.utf8)
    guard let start = body.indices.first(where: { body[$0...].starts(with: key) }) else { return nil }
    let valueStart = start + key.count
    guard let end = body[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
    return String(decoding: body[valueStart..<end], as: UTF8.self)
}

/// `Bench refresh`: rotating refresh tokens over HTTP with durability `sync`.
struct RefreshBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "POST /auth/refresh over keep-alive connections (target ≥ 10,000/s, sync).")

    @Option(help: "Connections, each with its own session.") var connections = 64
    @Option(help: "Seconds of load.") var seconds: Double = 10
    @Option(help: "Durability: sync, batch:<ms> or none.") var durability = "sync"
    @Option(help: "Keep the server's data directory here.") var dir: String?
    @Option(help: "Engine shards.") var shards = 16

    func run() async throws {
        guard let mode = Durability(parsing: durability) else { throw ValidationError("--durability: sync, batch:<ms>, none") }
        let bench = try await BenchServer.start(bcryptCost: 4, durability: mode, keep: dir, shards: shards)
        var tokens: [String] = []
        for index in 0..<connections {
            let email = "bench\(index)@example.com"
            _ = try await bench.auth.register(email: email, password: "Bench-Password-1", firstName: "B")
            tokens.append(try await bench.auth.login(email: email, password: "Bench-Password-1", device: DeviceInfo()).refreshToken)
        }
        let initial = tokens
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let current = TokenTable(initial)
        let result = try await HTTPLoad.run(port: bench.server.port, connections: connections, seconds: seconds, group: group) {
            connection, body in
            if let body, let token = refreshToken(in: body) { current.set(connection, token) }
            return LoadRequest(path: "/api/v1/auth/refresh",
                               body: Array(#"{"refresh_token":"\#(current.get(connection))"}"#.utf8))
        }
        try await group.shutdownGracefully()
        let statistics = bench.auth.engine.log.statistics
        await bench.stop(keep: dir != nil)
        print(HTTPReport.line("refresh", result: result, extra: "durability \(mode), \(shards) shards, \(connections) connections, "
            + "\(statistics.syncs) log syncs (\(format(Double(statistics.records) / Double(max(1, statistics.syncs)))) records each)"))
        print("target: ≥ 10000 refreshes/s with durability sync → \(result.rate >= 10_000 ? "met" : "not met")")
    }
}

/// `Bench login`: password logins over HTTP, against bcrypt's own rate on this machine measured in the same run.
struct LoginBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "POST /auth/login against the bcrypt ceiling (target ≥ 0.9 × cores ÷ bcrypt time).")

    @Option(help: "Connections.") var connections = 16
    @Option(help: "Seconds of load.") var seconds: Double = 10
    @Option(help: "bcrypt cost.") var bcryptCost = 12

    func run() async throws {
        let cost = UInt8(bcryptCost)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // The ceiling: bcrypt verifications per second on every core, with nothing else running.
        let hash = Bcrypt.hash("Bench-Password-1", cost: cost)
        let ceilingSeconds = max(2.0, seconds / 2)
        let verified = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            var count = 0
                            let end = monotonicNanoseconds() + UInt64(ceilingSeconds * 1e9)
                            while monotonicNanoseconds() < end {
                                _ = Bcrypt.verify("Bench-Password-1", hash: hash)
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

        let bench = try await BenchServer.start(bcryptCost: cost, durability: .sync, keep: nil)
        _ = try await bench.auth.register(email: "bench@example.com", password: "Bench-Password-1", firstName: "B")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let body = Array(#"{"email":"bench@example.com","password":"Bench-Password-1"}"#.utf8)
        let result = try await HTTPLoad.run(port: bench.server.port, connections: connections, seconds: seconds, group: group) {
            _, _ in LoadRequest(path: "/api/v1/auth/login", body: body)
        }
        try await group.shutdownGracefully()
        await bench.stop(keep: false)
        print(HTTPReport.line("login", result: result, extra: "bcrypt cost \(bcryptCost), \(connections) connections"))
        print("ceiling: \(Int(ceiling)) bcrypt verifications/s on \(cores) cores; ratio \(format(result.rate / ceiling)) "
              + "(target ≥ 0.9)")
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

enum HTTPReport {
    static func line(_ name: String, result: LoadResult, extra: String) -> String {
        "\(name): \(Int(result.rate)) requests/s, p50 \(format(result.latency.milliseconds(at: 50))) ms, "
            + "p90 \(format(result.latency.milliseconds(at: 90))) ms, p99 \(format(result.latency.milliseconds(at: 99))) ms, "
            + "p99.9 \(format(result.latency.milliseconds(at: 99.9))) ms, \(result.requests) requests, \(result.errors) errors; \(extra)"
    }
}
