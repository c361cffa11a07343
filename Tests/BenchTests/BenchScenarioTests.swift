import Foundation
import Testing

/// Runs the real `Bench` binary, built next to this test binary, on tiny loads: every scenario must run to
/// completion and its `--json` report must parse and say what was measured. Speed is not checked here
/// (benchmarks are run by hand, see docs/BENCHMARKS.md); that the tool works is.
@Suite("Bench scenarios run to completion and report JSON")
struct BenchScenarioTests {
    struct Report: Decodable {
        struct Run: Decodable {
            let name: String
            let requests: Int
            let errors: Int
            let rate: Double
            let p50_ms: Double
            let p99_ms: Double
            let max_ms: Double
        }
        struct Figure: Decodable {
            let name: String
            let value: Double
        }
        struct Target: Decodable {
            let name: String
            let met: Bool
        }
        let scenario: String
        let runs: [Run]
        let figures: [Figure]
        let targets: [Target]
    }

    /// Runs `Bench <arguments> --json` and decodes its report.
    static func bench(_ arguments: [String]) throws -> Report {
        let process = Process()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        process.executableURL = URL(fileURLWithPath: (executable as NSString).deletingLastPathComponent + "/Bench")
        process.arguments = arguments + ["--json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "Bench \(arguments.joined(separator: " ")) failed")
        return try JSONDecoder().decode(Report.self, from: data)
    }

    static let short = ["--seconds", "0.5", "--connections", "4"]

    @Test(
        "the HTTP scenarios answer every request without an error",
        arguments: [
            ["ceiling"], ["introspect", "--users", "20"], ["refresh"], ["login", "--bcrypt-cost", "4"],
            ["mixed", "--users", "20"],
        ])
    func httpScenarios(arguments: [String]) throws {
        let report = try Self.bench(arguments + Self.short)
        #expect(report.scenario == arguments[0])
        #expect(!report.runs.isEmpty)
        for run in report.runs {
            #expect(run.requests > 0, "\(run.name) answered nothing")
            #expect(run.errors == 0, "\(run.name) had errors")
            #expect(run.p50_ms <= run.p99_ms && run.p99_ms <= run.max_ms)
        }
    }

    @Test("an open-loop run sends at the rate asked, and a plot is an SVG naming each run")
    func openLoopAndPlot() throws {
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID()).svg").path
        defer { try? FileManager.default.removeItem(atPath: plot) }
        let report = try Self.bench([
            "ceiling", "--seconds", "1", "--connections", "4", "--rate", "400", "--plot", plot,
        ])
        let run = try #require(report.runs.first)
        // 400 requests scheduled over one second; the last ones may fall just past the deadline.
        #expect((380...401).contains(run.requests), "sent \(run.requests)")
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains(run.name))
    }

    @Test("recovery builds users, sessions and a log tail, replays the tail and serves after a cold start")
    func recovery() throws {
        let report = try Self.bench(["recovery", "--users", "300", "--tail", "450"])
        let figures = Dictionary(uniqueKeysWithValues: report.figures.map { ($0.name, $0.value) })
        #expect(figures["users"] == 300)
        #expect(figures["sessions"].map { $0 >= 300 } == true)
        #expect(figures["log records replayed"].map { $0 >= 450 } == true)
        #expect(figures["first request answered"].map { $0 > 0 } == true)
    }

    @Test("memory reports a size per user and per session")
    func memory() throws {
        let report = try Self.bench(["memory", "--users", "2000"])
        #expect(Set(report.targets.map(\.name)) == ["per user", "per session"])
    }
}
