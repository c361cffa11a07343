import ArgumentParser
import NIOCore
import NIOPosix
import Synchronization

/// `Bench introspect`: RFC 7662 introspection over HTTP, and in the same run the bare-NIO ceiling.
struct IntrospectBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "introspect",
        abstract:
            "POST /oauth/provider/introspect against a bare NIO server (target ≥ 0.8 × its rate, p99 ≤ 2 × its p99; ≤ 3 × in an open loop)."
    )

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: ReportOptions
    @Option(help: "Users, each with a session whose access token is introspected.") var users = 1000
    @Option(help: "Server event loops (Tessera's and the ceiling's).") var threads = System.coreCount
    @Option(help: "Token signing: hs256 or eddsa.") var signing = "hs256"
    @Option(help: "With --url: the confidential client introspecting.") var clientID: String?
    @Option(help: "With --url: that client's secret.") var clientSecret: String?

    func run() async throws {
        guard ["hs256", "eddsa"].contains(signing) else { throw ValidationError("--signing: hs256 or eddsa") }
        let progress = Progress()
        let target = try await BenchTarget.start(
            url: load.url, durability: .none, threads: threads, eddsa: signing == "eddsa")
        let seeded = try await target.seedUsers(users, progress: progress)
        let basic = try await target.introspectionAuthorization(clientID: clientID, clientSecret: clientSecret)
        let headers = [("content-type", "application/x-www-form-urlencoded"), ("authorization", basic)]
        let bodies = seeded.map { Array("token=\($0.accessToken)&token_type_hint=access_token".utf8) }
        let counter = RequestCounter()
        let request: @Sendable (Int, [UInt8]?) -> LoadRequest = { _, _ in
            LoadRequest(
                path: "/api/v1/oauth/provider/introspect", body: bodies[counter.next() % bodies.count],
                headers: headers)
        }

        // Check that the answers are what they should be, and keep one: the ceiling answers the same bytes, so
        // that the client's work per answer is the same in both runs.
        let sample = Mutex<[UInt8]?>(nil)
        let probe = try await target.send(request(0, nil))
        sample.withLock { $0 = probe.body }
        guard probe.status == 200, let answer = sample.withLock({ $0 }),
            answer.starts(with: Array(#"{"active":true"#.utf8))
        else { throw ValidationError("introspection did not answer active tokens") }

        let ceilingServer = try await CeilingServer.start(
            threads: threads, body: String(decoding: answer, as: UTF8.self))
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        progress.start("ceiling", total: 0)
        let ceiling = try await HTTPLoad.run(
            load.target(port: ceilingServer.port), group: client, progress: progress,
            next: request)
        await ceilingServer.stop()
        // Past NIO's own ceiling: nginx answering the same bytes, when it is installed.
        var nginx: LoadResult?
        if let nginxServer = try NginxCeiling.start(workers: threads, body: String(decoding: answer, as: UTF8.self)) {
            progress.start("nginx", total: 0)
            nginx = try await HTTPLoad.run(
                load.target(port: nginxServer.port), group: client, progress: progress, next: request)
            nginxServer.stop()
        }
        progress.start("introspect", total: 0)
        let introspection = try await HTTPLoad.run(
            load.target(port: target.port, host: target.host), group: client,
            progress: progress, next: request)
        progress.finish()
        try await client.shutdownGracefully()
        await target.stop()

        var report = Report(scenario: "introspect")
        report.run("ceiling (bare NIO, same answer)", ceiling, detail: "\(threads) event loops")
        if let nginx { report.run("nginx (return 200, same answer)", nginx, detail: "\(threads) workers") }
        report.run("introspect", introspection, detail: "\(signing), \(users) sessions, \(load.shape)")
        // In an open-loop run both servers get the same arrival rate: only the latencies compare.
        if load.rate == nil {
            report.target("rate ÷ ceiling's", value: introspection.rate / max(1, ceiling.rate), atLeast: 0.8)
            if let nginx { report.figure("rate ÷ nginx's", introspection.rate / max(1, nginx.rate), unit: "") }
        }
        // Issue 18: closed loop p99 ≤ 2 × the ceiling's; open loop (at 75 % of the closed-loop maximum) ≤ 3 ×.
        report.target(
            "p99 ÷ ceiling's",
            value: introspection.latency.milliseconds(at: 99)
                / max(0.001, ceiling.latency.milliseconds(at: 99)), atMost: load.rate == nil ? 2 : 3)
        try report.emit(output)
    }
}

/// A shared counter: round-robin over the load's request bodies, or requests of a kind.
final class RequestCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
    var current: Int { value.load(ordering: .relaxed) }
}
