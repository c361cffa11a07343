import ArgumentParser
import Engine
import Foundation
import NIOCore
import NIOPosix

/// What one cold start of a data directory measured, in a process of its own.
struct ColdStartResult: Codable, Sendable {
    var users = 0
    var sessions = 0
    var snapshotMilliseconds = 0
    var recordsReplayed = 0
    var replayMilliseconds = 0
    var openMilliseconds = 0
    /// From the start of `run` until the first answer over HTTP arrived.
    var firstAnswerMilliseconds = 0.0
    var firstAnswerSucceeded = false
    var residentBytesBefore = 0
    var residentBytesAfter = 0
}

/// `Bench cold-start --dir D` (hidden): opens D as `tessera serve` does — the engine (snapshot, then the log),
/// the keys, the HTTP server — sends it one request (a login of the first user, or `/health` when there are
/// no users), and prints a `ColdStartResult` as JSON. The recovery and memory scenarios run it as a child
/// process, so that nothing built before pollutes its timing or its resident memory.
struct ColdStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cold-start", shouldDisplay: false)

    @Option(help: "The data directory.") var dir: String
    @Option(help: "Engine shards (as the directory was built with).") var shards = 16

    func run() async throws {
        let started = monotonicNanoseconds()
        var result = ColdStartResult()
        result.residentBytesBefore = residentBytes()
        var configuration = EngineConfiguration(dataDirectory: dir)
        configuration.shardCount = shards
        let engine = try Engine.open(configuration)
        let startup = engine.startup
        let bench = try await BenchServer.start(engine: engine, directory: dir, bcryptCost: 4)
        let request =
            startup.users > 0
            ? LoadRequest(
                path: "/api/v1/auth/login",
                body: Array(#"{"email":"\#(DataSet.email(0))","password":"\#(DataSet.password)"}"#.utf8))
            : LoadRequest(method: .GET, path: "/health", body: [])
        let client = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let answer = try await HTTPLoad.run(
            port: bench.server.port, connections: 1, seconds: 0, group: client,
            next: { _, _ in request })
        result.firstAnswerMilliseconds = Double(monotonicNanoseconds() - started) / 1e6
        result.firstAnswerSucceeded = answer.requests == 1 && answer.errors == 0
        result.residentBytesAfter = residentBytes()
        result.users = startup.users
        result.sessions = startup.sessions
        result.snapshotMilliseconds = startup.snapshotMilliseconds
        result.recordsReplayed = startup.recordsReplayed
        result.replayMilliseconds = startup.replayMilliseconds
        result.openMilliseconds = startup.milliseconds
        try await client.shutdownGracefully()
        await bench.stop(keep: true)
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    /// Runs `Bench cold-start` on `directory` in a child process and reads its result.
    static func measure(directory: String, shards: Int) throws -> ColdStartResult {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try executablePath())
        child.arguments = ["cold-start", "--dir", directory, "--shards", String(shards)]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0,
            let line = String(decoding: data, as: UTF8.self)
                .split(separator: "\n").last(where: { $0.hasPrefix("{") })
        else { throw BenchError("the cold start of \(directory) failed (exit status \(child.terminationStatus))") }
        return try JSONDecoder().decode(ColdStartResult.self, from: Data(line.utf8))
    }
}

/// This process's resident memory, from `/proc/self/statm`.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The path of this executable, for running a scenario's child processes.
func executablePath() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { throw BenchError("cannot find this executable's path") }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
