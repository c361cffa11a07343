import ArgumentParser
import NIOCore
import NIOPosix

/// `Bench mixed`: a realistic blend of the hot paths over the same connections.
struct MixedBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mixed",
        abstract: "A blend of introspect, refresh, login and logout (default 90/7/2/1) over keep-alive connections.",
        discussion: """
            Seeds --users users through the API, each logged in once; their access tokens are what resource \
            servers introspect. Each connection also holds a session of its own, which it refreshes, and logs \
            out of; after a logout the connection's next request is a login (so logins run slightly above \
            their share). Each request's kind is drawn at random with the given weights. Durability sync.
            """)

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: ReportOptions
    @Option(help: "Weights: introspect,refresh,login,logout.") var mix = "90,7,2,1"
    @Option(help: "Users seeded (introspected tokens).") var users = 1000
    @Option(help: "bcrypt cost of the server started here.") var bcryptCost = 4
    @Option(help: "With --url: the confidential client introspecting.") var clientID: String?
    @Option(help: "With --url: that client's secret.") var clientSecret: String?

    func run() async throws {
        let weights = mix.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
        guard weights.count == 4, weights.allSatisfy({ $0 >= 0 }), weights.reduce(0, +) > 0 else {
            throw ValidationError("--mix: four non-negative weights, introspect,refresh,login,logout")
        }
        let progress = Progress()
        let target = try await BenchTarget.start(url: load.url, bcryptCost: UInt8(bcryptCost))
        let seeded = try await target.seedUsers(users + load.connections, progress: progress)
        let basic = try await target.introspectionAuthorization(clientID: clientID, clientSecret: clientSecret)
        let pool = Array(seeded[..<users])
        let own = Array(seeded[users...])
        let connections = MixedConnections(own: own, weights: weights, pool: pool, basic: basic)

        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // The ceiling answers what an introspection (nine requests in ten) answers.
        let introspection = LoadRequest(
            path: "/api/v1/oauth/provider/introspect",
            body: Array("token=\(pool[0].accessToken)".utf8),
            headers: [("content-type", "application/x-www-form-urlencoded"), ("authorization", basic)])
        let sample = try await target.send(introspection)
        let ceiling = try await CeilingServer.measure(
            load, answer: sample.body, request: introspection, group: client,
            progress: progress)
        progress.start("mixed load", total: 0)
        let result = try await HTTPLoad.run(
            load.target(port: target.port, host: target.host), group: client,
            progress: progress
        ) { connection, body in
            connections.next(connection, previous: body)
        }
        progress.finish()
        try await client.shutdownGracefully()
        await target.stop()

        var report = Report(scenario: "mixed")
        report.run("ceiling (bare NIO, an introspection's answer)", ceiling, detail: "\(System.coreCount) event loops")
        report.run("mixed", result, detail: "mix \(mix), \(load.shape)")
        report.figure("rate ÷ ceiling's", result.rate / max(1, ceiling.rate), unit: "")
        let counts = connections.counts()
        for (index, name) in MixedConnections.kinds.enumerated() {
            report.figure("\(name) requests", Double(counts[index]), unit: "")
        }
        try report.emit(output)
    }
}

/// The state of each connection of the mixed load: what it sent last and the tokens of its own session.
final class MixedConnections: @unchecked Sendable {
    // `@unchecked Sendable`: each connection's slot is read and written only by that connection's handler, on
    // its one event loop, one request at a time; the counters are atomic.
    static let kinds = ["introspect", "refresh", "login", "logout"]

    private struct Slot {
        var user: SeededUser
        var accessToken: String
        var refreshToken: String
        var last = -1
        var loggedOut = false
        var random: UInt64
    }

    private var slots: [Slot]
    private let thresholds: [Int]
    private let pool: [SeededUser]
    private let introspectHeaders: [(String, String)]
    private let sent = (0..<4).map { _ in RequestCounter() }

    init(own: [SeededUser], weights: [Int], pool: [SeededUser], basic: String) {
        slots = own.enumerated().map { index, user in
            Slot(
                user: user, accessToken: user.accessToken, refreshToken: user.refreshToken,
                random: 0x9E37_79B9_7F4A_7C15 &* UInt64(index + 1))
        }
        var sum = 0
        thresholds = weights.map { weight in
            sum += weight
            return sum
        }
        self.pool = pool
        introspectHeaders = [("content-type", "application/x-www-form-urlencoded"), ("authorization", basic)]
    }

    func counts() -> [Int] { sent.map(\.current) }

    /// The next request of `connection`, given the previous answer's body (nil when it failed).
    func next(_ connection: Int, previous: [UInt8]?) -> LoadRequest {
        var slot = slots[connection]
        defer { slots[connection] = slot }
        // Adopt the tokens a refresh or a login answered.
        if let previous, slot.last == 1 || slot.last == 2,
            let access = jsonString("access_token", in: previous),
            let refresh = jsonString("refresh_token", in: previous)
        {
            slot.accessToken = access
            slot.refreshToken = refresh
        }
        if slot.last == 3 && previous != nil { slot.loggedOut = true }
        if slot.last == 2 && previous != nil { slot.loggedOut = false }

        var kind = draw(&slot.random)
        if slot.loggedOut { kind = 2 }
        slot.last = kind
        _ = sent[kind].next()
        switch kind {
        case 0:
            let user = pool[Int(draw64(&slot.random) % UInt64(pool.count))]
            return LoadRequest(
                path: "/api/v1/oauth/provider/introspect",
                body: Array("token=\(user.accessToken)&token_type_hint=access_token".utf8),
                headers: introspectHeaders)
        case 1:
            return LoadRequest(
                path: "/api/v1/auth/refresh", body: Array(#"{"refresh_token":"\#(slot.refreshToken)"}"#.utf8))
        case 2:
            return LoadRequest(
                path: "/api/v1/auth/login",
                body: Array(#"{"email":"\#(slot.user.email)","password":"\#(DataSet.password)"}"#.utf8))
        default:
            return LoadRequest(
                path: "/api/v1/auth/logout", body: Array(#"{"refresh_token":"\#(slot.refreshToken)"}"#.utf8),
                headers: [("content-type", "application/json"), ("authorization", "Bearer \(slot.accessToken)")])
        }
    }

    private func draw(_ state: inout UInt64) -> Int {
        let roll = Int(draw64(&state) % UInt64(thresholds.last!))
        return thresholds.firstIndex { roll < $0 }!
    }

    /// splitmix64: a cheap deterministic sequence per connection.
    private func draw64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
