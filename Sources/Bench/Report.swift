import ArgumentParser
import Foundation

/// How a scenario hands over its results: a table on standard output (default), or JSON; and optionally an SVG
/// of the latency distributions. Progress goes to standard error either way.
struct ReportOptions: ParsableArguments {
    @Flag(help: "Print the report as JSON instead of a table.") var json = false
    @Option(help: "Draw the latency distribution of each load run side by side into this SVG file.") var plot: String?
}

/// A scenario's results: its load runs (throughput and latency), other figures, and the targets checked.
struct Report: Encodable {
    struct Run: Encodable {
        let name: String
        let detail: String
        let requests: Int
        let errors: Int
        let seconds: Double
        let rate: Double
        /// Milliseconds at p50, p90, p99, p99.9 and the maximum.
        let p50: Double, p90: Double, p99: Double, p999: Double, max: Double

        enum CodingKeys: String, CodingKey {
            case name, detail, requests, errors, seconds, rate
            case p50 = "p50_ms", p90 = "p90_ms", p99 = "p99_ms", p999 = "p99_9_ms", max = "max_ms"
        }
    }

    struct Figure: Encodable {
        let name: String
        let value: Double
        let unit: String
    }

    struct Target: Encodable {
        let name: String
        let value: Double
        let unit: String
        /// `≥ 0.8` or `≤ 2`.
        let target: String
        let met: Bool
    }

    let scenario: String
    private(set) var runs: [Run] = []
    private(set) var figures: [Figure] = []
    private(set) var targets: [Target] = []
    /// The histograms of the runs, for the plot (not in the JSON: the percentiles are).
    private var histograms: [(name: String, latency: LatencyHistogram)] = []

    enum CodingKeys: String, CodingKey { case scenario, runs, figures, targets }

    init(scenario: String) { self.scenario = scenario }

    mutating func run(_ name: String, _ result: LoadResult, detail: String = "") {
        let latency = result.latency
        runs.append(
            Run(
                name: name, detail: detail, requests: result.requests, errors: result.errors,
                seconds: result.seconds, rate: result.rate, p50: latency.milliseconds(at: 50),
                p90: latency.milliseconds(at: 90), p99: latency.milliseconds(at: 99),
                p999: latency.milliseconds(at: 99.9), max: latency.maxMilliseconds))
        histograms.append((name, latency))
    }

    mutating func figure(_ name: String, _ value: Double, unit: String) {
        figures.append(Figure(name: name, value: value, unit: unit))
    }

    mutating func target(_ name: String, value: Double, atLeast bound: Double, unit: String = "") {
        targets.append(
            Target(name: name, value: value, unit: unit, target: "≥ \(Self.readable(bound))", met: value >= bound))
    }

    mutating func target(_ name: String, value: Double, atMost bound: Double, unit: String = "") {
        targets.append(
            Target(name: name, value: value, unit: unit, target: "≤ \(Self.readable(bound))", met: value <= bound))
    }

    /// Prints the report as `options` ask and draws the plot when one is asked for.
    func emit(_ options: ReportOptions) throws {
        if let path = options.plot {
            try LatencyPlot(title: "Bench \(scenario)", series: histograms).svg().write(
                toFile: path, atomically: true,
                encoding: .utf8)
        }
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(self), as: UTF8.self))
        } else {
            print(table())
        }
    }

    /// The human-readable form.
    func table() -> String {
        var lines: [String] = []
        if !runs.isEmpty {
            var rows = [["run", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "requests", "errors", ""]]
            for run in runs {
                rows.append([
                    run.name, String(Int(run.rate)), format(run.p50), format(run.p90), format(run.p99),
                    format(run.p999), format(run.max), String(run.requests), String(run.errors), run.detail,
                ])
            }
            lines += aligned(rows)
        }
        for figure in figures {
            lines.append(
                "\(figure.name): \(Self.readable(figure.value)) \(figure.unit)".trimmingCharacters(in: .whitespaces))
        }
        for target in targets {
            lines.append(
                "\(target.name): \(Self.readable(target.value)) \(target.unit) (target \(target.target)) → "
                    + (target.met ? "met" : "not met"))
        }
        return lines.joined(separator: "\n")
    }

    private func aligned(_ rows: [[String]]) -> [String] {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                // Numbers right-aligned, names left-aligned.
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 || column == row.count - 1 ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    private static func readable(_ value: Double) -> String {
        value.rounded() == value || abs(value) >= 1000 ? String(Int(value.rounded())) : format(value)
    }
}
