import Engine
import Prometheus
import WAL

/// What `GET /metrics` exposes, in the Prometheus text format (swift-prometheus): answers by status class,
/// and, read at each scrape, the log's counters and the numbers of users and sessions.
package final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let answers: [Int: Counter]
    private let logCommits: Gauge
    private let logSyncs: Gauge
    private let logRecords: Gauge
    private let logBytes: Gauge
    private let logDurableLSN: Gauge
    private let logFailed: Gauge
    private let users: Gauge
    private let sessions: Gauge

    package init() {
        let registry = registry
        func gauge(_ subsystem: String?, _ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "tessera", subsystem: subsystem,
                    metricName: name, unitName: unit, helpText: help))
        }
        let responses = MetricNameDescriptor(
            namespace: "tessera", subsystem: "http", metricName: "responses",
            unitName: "total", helpText: "HTTP answers by status class")
        answers = Dictionary(
            uniqueKeysWithValues: (1...5).map { digit in
                (digit, registry.makeCounter(descriptor: responses, labels: [("status", "\(digit)xx")]))
            })
        logCommits = gauge("wal", "commits", "total", "Log writes since start")
        logSyncs = gauge("wal", "syncs", "total", "Log fdatasync calls since start")
        logRecords = gauge("wal", "records", "total", "Log records written since start")
        logBytes = gauge("wal", "written", "bytes", "Log bytes written since start")
        logDurableLSN = gauge("wal", "durable", "lsn", "Every record up to this LSN is durable")
        logFailed = gauge("wal", "failed", "bool", "1 once a log write or sync has failed")
        users = gauge(nil, "users", "count", "Users that are not deleted")
        sessions = gauge(nil, "sessions", "count", "Sessions kept in memory")
    }

    /// Counts an answer.
    func answered(status: UInt) {
        answers[Int(status / 100)]?.increment()
    }

    /// The exposition, with the gauges read from `engine` now.
    func scrape(_ engine: Engine) async -> [UInt8] {
        let statistics = engine.log.statistics
        logCommits.set(Double(statistics.commits))
        logSyncs.set(Double(statistics.syncs))
        logRecords.set(Double(statistics.records))
        logBytes.set(Double(statistics.bytes))
        logDurableLSN.set(Double(engine.log.durableLSN))
        logFailed.set(engine.log.failure == nil ? 0.0 : 1.0)
        let counts = await engine.counts()
        users.set(Double(counts.users))
        sessions.set(Double(counts.sessions))
        return registry.emitToBuffer()
    }
}
