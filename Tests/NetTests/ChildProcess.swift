import Foundation

/// A program the tests run to its end: its exit status and everything it printed (standard output and error).
enum ChildProcess {
    static func run(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:]
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// A Python script of `Tests/Interop`, run with `python3`.
    static func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/" + script).path
        return try run("/usr/bin/env", ["python3", path] + arguments)
    }

    /// The `tessera` binary next to the test bundle.
    static var tessera: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (executable as NSString).deletingLastPathComponent + "/tessera"
    }
}
