import ArgumentParser
import Auth
import Engine
import Foundation
import NIOCore
import NIOPosix
import WAL

/// Load options shared by the HTTP scenarios.
struct LoadOptions: ParsableArguments {
    @Option(help: "Keep-alive connections.") var connections = 64
    @Option(help: "Seconds of load.") var seconds: Double = 10
    @Option(
        help:
            "Open loop: requests per second over all connections, each sent at its scheduled time (latency counts from then). Default: closed loop."
    )
    var rate: Double?
    @Option(
        help:
            "Load a running Tessera at this URL (http://host:port) instead of starting one; users are registered through its API."
    )
    var url: String?

    func validate() throws {
        guard connections > 0, seconds > 0 else {
            throw ValidationError("--connections and --seconds must be positive")
        }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let url, BenchTarget.hostAndPort(url) == nil { throw ValidationError("--url: http://host:port") }
    }

    func target(port: Int, host: String = "127.0.0.1") -> LoadTarget {
        LoadTarget(host: host, port: port, connections: connections, seconds: seconds, rate: rate)
    }

    var shape: String {
        "\(connections) connections, " + (rate.map { "open loop at \(Int($0))/s" } ?? "closed loop")
    }
}

/// A user the load logs in as, with the tokens of one session.
struct SeededUser: Sendable {
    let email: String
    let accessToken: String
    let refreshToken: String
}

/// The server a load scenario measures: a Tessera started in this process on a fresh data directory, or a
/// running one (`--url`). Users are seeded through the HTTP API either way.
struct BenchTarget {
    let host: String
    let port: Int
    /// Set when this process runs the server.
    let local: BenchServer?
    private let seeding: MultiThreadedEventLoopGroup

    static func start(
        url: String?, bcryptCost: UInt8 = 4, durability: Durability = .sync,
        threads: Int = System.coreCount, eddsa: Bool = false
    ) async throws -> BenchTarget {
        let seeding = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        if let url {
            guard let (host, port) = hostAndPort(url) else { throw ValidationError("--url: http://host:port") }
            return BenchTarget(host: host, port: port, local: nil, seeding: seeding)
        }
        let server = try await BenchServer.start(
            bcryptCost: bcryptCost, durability: durability, keep: nil,
            threads: threads, eddsa: eddsa)
        return BenchTarget(host: "127.0.0.1", port: server.server.port, local: server, seeding: seeding)
    }

    /// A server already started in this process.
    static func serving(_ server: BenchServer) async throws -> BenchTarget {
        BenchTarget(
            host: "127.0.0.1", port: server.server.port, local: server,
            seeding: MultiThreadedEventLoopGroup(numberOfThreads: 1))
    }

    static func hostAndPort(_ url: String) -> (String, Int)? {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else { return nil }
        return (host, parsed.port ?? 80)
    }

    /// Registers `count` users (`<prefix><n>@bench.example`) and logs each in once, 16 at a time.
    func seedUsers(_ count: Int, progress: Progress) async throws -> [SeededUser] {
        let prefix = "bench-\(UInt32.random(in: 0...UInt32.max))-"
        progress.start("seeding users through the API", total: count)
        var users = [SeededUser?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: [(Int, SeededUser)].self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var seeded: [(Int, SeededUser)] = []
                    for index in stride(from: worker, to: count, by: 16) {
                        seeded.append((index, try await seedUser(email: "\(prefix)\(index)@bench.example")))
                        progress.advance()
                    }
                    return seeded
                }
            }
            for try await part in group { for (index, user) in part { users[index] = user } }
        }
        progress.finish()
        return users.map { $0! }
    }

    private func seedUser(email: String) async throws -> SeededUser {
        let credentials = #"{"email":"\#(email)","password":"\#(DataSet.password)"}"#
        let registered = try await send(
            LoadRequest(
                path: "/api/v1/auth/register",
                body: Array(#"{"email":"\#(email)","password":"\#(DataSet.password)","first_name":"Bench"}"#.utf8)))
        guard registered.status == 201 else { throw BenchError("registering \(email): status \(registered.status)") }
        let login = try await send(LoadRequest(path: "/api/v1/auth/login", body: Array(credentials.utf8)))
        guard login.status == 200, let access = jsonString("access_token", in: login.body),
            let refresh = jsonString("refresh_token", in: login.body)
        else { throw BenchError("logging in \(email): status \(login.status)") }
        return SeededUser(email: email, accessToken: access, refreshToken: refresh)
    }

    /// The `Authorization` header of a confidential client allowed to introspect: registered here for a local
    /// server; for `--url`, the one given.
    func introspectionAuthorization(clientID: String?, clientSecret: String?) async throws -> String {
        if let clientID, let clientSecret {
            return "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        }
        guard let local else {
            throw ValidationError("with --url, introspection needs --client-id and --client-secret")
        }
        let provider = OAuthProvider(auth: local.auth, consentURL: "http://localhost:3000/oauth/consent")
        let registered = try await provider.registerClient(
            name: "resource server", kind: .confidential,
            redirectURIs: ["https://rs.example/cb"], scopes: ["read:users"])
        return "Basic "
            + Data("\(registered.client.id.uuidString.lowercased()):\(registered.secret!)".utf8)
            .base64EncodedString()
    }

    func send(_ request: LoadRequest) async throws -> (status: Int, body: [UInt8]) {
        try await HTTPLoad.once(request, host: host, port: port, group: seeding)
    }

    func stop() async {
        try? await seeding.shutdownGracefully()
        await local?.stop(keep: false)
    }
}

/// The value of `"name":"…"` in a flat JSON answer (no escapes in the values looked for: tokens).
func jsonString(_ name: String, in body: [UInt8]) -> String? {
    let key = Array("\"\(name)\":\"".utf8)
    guard let start = body.indices.first(where: { body[$0...].starts(with: key) }) else { return nil }
    let valueStart = start + key.count
    guard let end = body[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
    return String(decoding: body[valueStart..<end], as: UTF8.self)
}
