import ArgumentParser
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `Bench wal`: many producers appending to the real log against a raw `pwrite`+`fdatasync` loop with the
/// same records per commit, one batch size after the other, in one run.
struct WalBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "WAL group commit against a raw pwrite+fdatasync loop, per batch size.",
        discussion: """
            For batch size B, B producer tasks each append a record and await its durability, in a closed \
            loop, so that group commit can put up to B records in one write. The raw loop writes B records \
            as one block and syncs, in one thread. Ratio = log records/s ÷ raw records/s.
            """
    )

    @Option(help: "Directory for the log and the raw file; kept afterwards. Default: a temporary directory, removed.")
    var dir: String?

    @Option(help: "Comma-separated batch sizes (producers for the log, records per commit for the raw loop).")
    var batch: String = "1,8,64,512"

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5

    @Option(help: "Payload bytes per record.")
    var recordSize: Int = 4096

    @Option(help: "Log device: automatic, uring or pwrite.")
    var backend: String = LogBackend.fromEnvironment().rawValue

    @Option(help: "Segment size in MiB.")
    var segmentMiB: Int = 64

    @Option(help: "fdatasync calls the log may run at once beside its writes (1 to 8).")
    var syncs: Int = 2

    @Flag(help: "Write the log through the page cache instead of with O_DIRECT.")
    var buffered = false

    @Flag(help: "Measure the log only, without the raw loop (for profiling).")
    var logOnly = false

    @Flag(help: "Print the table as JSON.")
    var json = false

    func run() async throws {
        let batches = try batch.split(separator: ",").map { text -> Int in
            guard let value = Int(text.filter { $0 != " " }), value > 0, value <= 4096 else {
                throw ValidationError("batch sizes are whole numbers from 1 to 4096")
            }
            return value
        }
        guard let device = LogBackend(rawValue: backend) else {
            throw ValidationError("backend: automatic, uring or pwrite")
        }
        let root =
            try dir.map { path -> String in
                _ = mkdir(path, 0o755)
                return path
            } ?? makeTemporaryDirectory()
        defer { if dir == nil { removeTree(root) } }

        var rows: [Row] = []
        for size in batches {
            let raw = RawDiskLoop(
                path: root + "/raw-\(size).bin", fileSizeBytes: 256 << 20, recordSizeBytes: recordSize)
            var rawResult = RawDiskLoop.Result()
            if !logOnly {
                try raw.prepare()
                rawResult = try raw.run(batch: size, seconds: seconds)
            }
            if dir == nil { unlink(raw.path) }
            let logResult = try await runLog(directory: root + "/log-\(size)", producers: size, device: device)
            if dir == nil { removeTree(root + "/log-\(size)") }
            let row = Row(batch: size, log: logResult, raw: rawResult)
            rows.append(row)
            if !json {
                print(row.progressLine)
                let statistics = logResult.statistics
                print(
                    "  log threads: laying out \(statistics.stagingNanoseconds / 1_000_000) ms, writing "
                        + "\(statistics.deviceNanoseconds / 1_000_000) ms, syncing \(statistics.syncNanoseconds / 1_000_000) ms "
                        + "in \(Int(logResult.seconds * 1000)) ms; \(statistics.commits) commits, \(statistics.syncs) syncs"
                )
            }
        }
        if json {
            print(Row.json(rows, recordSize: recordSize))
        } else {
            print(Row.table(rows, recordSize: recordSize))
        }
    }

    private func runLog(directory: String, producers: Int, device: LogBackend) async throws -> LogResult {
        var configuration = WALConfiguration(directory: directory)
        configuration.backend = device
        configuration.segmentSizeBytes = segmentMiB << 20
        configuration.directIO = !buffered
        configuration.syncsInFlight = syncs
        let log = try WriteAheadLog.open(configuration)
        let payload = [UInt8](repeating: 0x5A, count: recordSize)
        let start = monotonicNanoseconds()
        let end = start + UInt64(seconds * 1e9)
        let histograms = try await withThrowingTaskGroup(of: LatencyHistogram.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    var latency = LatencyHistogram()
                    var now = monotonicNanoseconds()
                    while now < end {
                        try await log.append(type: 1, payload: payload)
                        let finished = monotonicNanoseconds()
                        latency.record(nanoseconds: finished - now)
                        now = finished
                    }
                    return latency
                }
            }
            return try await group.reduce(into: [LatencyHistogram]()) { $0.append($1) }
        }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let statistics = log.statistics
        await log.close()
        var merged = LatencyHistogram()
        for histogram in histograms { merged.merge(histogram) }
        return LogResult(records: Int(merged.count), seconds: elapsed, latency: merged, statistics: statistics)
    }
}

struct LogResult {
    var records: Int
    var seconds: Double
    var latency: LatencyHistogram
    var statistics: WALStatistics
}

/// One batch size's figures, and how they are printed.
struct Row {
    let batch: Int
    let log: LogResult
    let raw: RawDiskLoop.Result

    var logRate: Double { Double(log.records) / log.seconds }
    var rawRate: Double { raw.seconds == 0 ? 0 : Double(raw.records) / raw.seconds }
    var ratio: Double { rawRate == 0 ? 0 : logRate / rawRate }
    var recordsPerCommit: Double {
        log.statistics.syncs == 0 ? 0 : Double(log.statistics.records) / Double(log.statistics.syncs)
    }

    var progressLine: String {
        "batch \(batch): log \(Int(logRate)) records/s, raw \(Int(rawRate)) records/s, ratio \(format(ratio))"
    }

    static func table(_ rows: [Row], recordSize: Int) -> String {
        var lines = [
            "record size \(recordSize) B",
            "| batch | log records/s | log p50 ms | log p99 ms | records/commit | raw records/s | raw p50 ms | raw p99 ms | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append(
                "| \(row.batch) | \(Int(row.logRate)) | \(format(row.log.latency.milliseconds(at: 50))) | "
                    + "\(format(row.log.latency.milliseconds(at: 99))) | \(format(row.recordsPerCommit)) | "
                    + "\(Int(row.rawRate)) | \(format(row.raw.latency.milliseconds(at: 50))) | "
                    + "\(format(row.raw.latency.milliseconds(at: 99))) | \(format(row.ratio)) |")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [Row], recordSize: Int) -> String {
        let items = rows.map { row in
            #"{"batch":\#(row.batch),"record_size":\#(recordSize),"log_records_per_second":\#(Int(row.logRate)),"#
                + #""log_p50_ms":\#(format(row.log.latency.milliseconds(at: 50))),"#
                + #""log_p99_ms":\#(format(row.log.latency.milliseconds(at: 99))),"#
                + #""records_per_commit":\#(format(row.recordsPerCommit)),"#
                + #""raw_records_per_second":\#(Int(row.rawRate)),"#
                + #""raw_p50_ms":\#(format(row.raw.latency.milliseconds(at: 50))),"#
                + #""raw_p99_ms":\#(format(row.raw.latency.milliseconds(at: 99))),"ratio":\#(format(row.ratio))}"#
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return String(scaled)
}

func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/tessera-bench-XXXXXX".utf8CString)
    return try template.withUnsafeMutableBufferPointer { buffer in
        guard let created = mkdtemp(buffer.baseAddress!) else { throw BenchError("mkdtemp failed: errno \(errno)") }
        return String(cString: created)
    }
}

func removeTree(_ path: String) {
    guard let directory = opendir(path) else {
        unlink(path)
        return
    }
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
    }
    closedir(directory)
    rmdir(path)
}
