import ArgumentParser
import NIOCore
import NIOPosix

/// `Bench ceiling`: the bare SwiftNIO HTTP/1.1 server alone — what this machine's HTTP stack can do with the
/// same load generator, and the yardstick the other scenarios are measured against.
struct CeilingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling",
        abstract: "A bare SwiftNIO HTTP/1.1 server answering a fixed body (the machine's ceiling).")

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: ReportOptions
    @Option(help: "Server event loops.") var threads = System.coreCount
    @Option(help: "Bytes of the fixed answer.") var bodyBytes = 64

    func validate() throws {
        guard load.url == nil else { throw ValidationError("the ceiling is a server of its own; --url does not apply") }
    }

    func run() async throws {
        let body = "{\"ok\":\"" + String(repeating: "x", count: max(0, bodyBytes - 9)) + "\"}"
        let server = try await CeilingServer.start(threads: threads, body: body)
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let progress = Progress()
        progress.start("ceiling", total: 0)
        let request = LoadRequest(path: "/", body: Array(#"{"ping":true}"#.utf8))
        let result = try await HTTPLoad.run(load.target(port: server.port), group: client, progress: progress) { _, _ in
            request
        }
        progress.finish()
        try await client.shutdownGracefully()
        await server.stop()
        var report = Report(scenario: "ceiling")
        report.run(
            "ceiling (bare NIO)", result,
            detail: "\(threads) event loops, \(body.utf8.count)-byte answer, \(load.shape)")
        try report.emit(output)
    }
}

extension CeilingServer {
    /// The ceiling of a scenario, measured in its run: a bare server with `threads` event loops answering
    /// `answer` to every request, under the scenario's own load shape and client.
    static func measure(
        _ load: LoadOptions, threads: Int = System.coreCount, answer: [UInt8], request: LoadRequest,
        group: any EventLoopGroup, progress: Progress
    ) async throws -> LoadResult {
        let server = try await CeilingServer.start(threads: threads, body: String(decoding: answer, as: UTF8.self))
        progress.start("ceiling", total: 0)
        let result = try await HTTPLoad.run(load.target(port: server.port), group: group, progress: progress) { _, _ in
            request
        }
        progress.finish()
        await server.stop()
        return result
    }
}
