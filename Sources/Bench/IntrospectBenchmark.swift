import ArgumentParser
import Auth
import Engine
import Foundation
import Net
import NIOCore
import NIOPosix
import Synchronization

/// `Bench introspect`: RFC 7662 introspection over HTTP, and in the same run the bare-NIO ceiling.
struct IntrospectBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "introspect",
        abstract: "POST /oauth/provider/introspect against a bare NIO server (target ≥ 0.8 × its rate, p99 ≤ 2 × its p99).")

    @Option(help: "Connections.") var connections = 64
    @Option(help: "Seconds of load per server.") var seconds: Double = 10
    @Option(help: "Users, each with a session whose access token is introspected.") var users = 1000
    @Option(help: "Server event loops (Tessera's and the ceiling's).") var threads = System.coreCount
    @Option(help: "Token signing: hs256 or eddsa.") var signing = "hs256"

    func run() async throws {
        guard ["hs256", "eddsa"].contains(signing) else { throw ValidationError("--signing: hs256 or eddsa") }
        let bench = try await BenchServer.start(bcryptCost: 4, durability: .none, keep: nil, threads: threads,
                                                eddsa: signing == "eddsa")
        let provider = OAuthProvider(auth: bench.auth, consentURL: "http://localhost:3000/oauth/consent")
        let registered = try await provider.registerClient(name: "resource server", kind: OAuthClient.Kind.confidential,
                                                           redirectURIs: ["https://rs.example/cb"], scopes: ["read"])
        let basic = "Basic " + Data("\(registered.client.id.uuidString.lowercased()):\(registered.secret!)".utf8)
            .base64EncodedString()
        var bodies: [[UInt8]] = []
        for index in 0..<users {
            let email = "bench\(index)@example.com"
            _ = try await bench.auth.register(email: email, password: "Bench-Password-1", firstName: "B")
            let pair = try await bench.auth.login(email: email, password: "Bench-Password-1", device: DeviceInfo())
            bodies.append(Array("token=\(pair.accessToken)&token_type_hint=access_token".utf8))
        }
        let headers = [("content-type", "application/x-www-form-urlencoded"), ("authorization", basic)]
        let tokens = bodies
        let counter = RequestCounter()
        let request: @Sendable (Int, [UInt8]?) -> LoadRequest = { _, _ in
            LoadRequest(path: "/api/v1/oauth/provider/introspect", body: tokens[counter.next() % tokens.count],
                        headers: headers)
        }

        // Check that the answers are what they should be, and keep one: the ceiling answers the same bytes, so
        // that the client's work per answer is the same in both runs.
        let sample = Mutex<[UInt8]?>(nil)
        let probe = try await HTTPLoad.run(port: bench.server.port, connections: 1, seconds: 0.2,
                                           group: MultiThreadedEventLoopGroup.singleton) { connection, body in
            if let body { sample.withLock { $0 = body } }
            return request(connection, body)
        }
        guard probe.errors == 0, probe.requests > 1, let answer = sample.withLock({ $0 }),
              answer.starts(with: Array(#"{"active":true"#.utf8))
        else { throw ValidationError("introspection did not answer active tokens") }

        let ceilingServer = try await CeilingServer.start(threads: threads, body: String(decoding: answer, as: UTF8.self))
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let ceiling = try await HTTPLoad.run(port: ceilingServer.port, connections: connections, seconds: seconds,
                                             group: client, next: request)
        await ceilingServer.stop()
        let introspection = try await HTTPLoad.run(port: bench.server.port, connections: connections, seconds: seconds,
                                                   group: client, next: request)
        try await client.shutdownGracefully()
        await bench.stop(keep: false)

        print(HTTPReport.line("ceiling (bare NIO, fixed body)", result: ceiling, extra: "\(threads) event loops"))
        print(HTTPReport.line("introspect", result: introspection,
                              extra: "\(signing), \(users) sessions, \(connections) connections"))
        let ratio = introspection.rate / max(1, ceiling.rate)
        let p99Ratio = introspection.latency.milliseconds(at: 99) / max(0.001, ceiling.latency.milliseconds(at: 99))
        let met = ratio >= 0.8 && p99Ratio <= 2
        print("ratio \(format(ratio)) of the ceiling's rate (target ≥ 0.8), p99 \(format(p99Ratio)) × the ceiling's "
              + "(target ≤ 2) → \(met ? "met" : "not met")")
    }
}

/// A shared round-robin counter for the load's request bodies.
final class RequestCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}
