import ArgumentParser
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `tessera wal …`: look into a log directory without starting the service.
struct WalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "Inspect, verify and summarize a write-ahead log.",
        subcommands: [WalInspect.self, WalVerify.self, WalStats.self]
    )
}

/// The log directory named on the command line: a data directory (its `wal/` folder) or the log folder itself.
struct LogDirectoryArgument: ParsableArguments {
    @Argument(help: "A data directory (its wal/ folder is used) or a log directory.")
    var directory: String

    var resolved: String {
        let nested = directory + "/wal"
        var isDirectory = stat()
        return stat(nested, &isDirectory) == 0 && (isDirectory.st_mode & S_IFMT) == S_IFDIR ? nested : directory
    }
}

struct WalInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print one line per record: LSN, type, length, checksum state.")

    @OptionGroup var log: LogDirectoryArgument
    @Flag(help: "One JSON object per line instead of text.") var json = false

    func run() throws {
        let stops = try LogInspector.inspect(directory: log.resolved) { frame in
            if json {
                print(
                    #"{"lsn":\#(frame.lsn),"type":\#(frame.type),"length":\#(frame.length),"#
                        + #""checksum":"\#(frame.checksum.rawValue)","in_sequence":\#(frame.inSequence),"#
                        + #""segment":"\#(frame.segment)","offset":\#(frame.offset)}"#)
            } else {
                print(
                    "lsn=\(frame.lsn) type=\(frame.type) length=\(frame.length) checksum=\(frame.checksum.rawValue)"
                        + (frame.inSequence ? "" : " out-of-sequence")
                        + " segment=\(frame.segment) offset=\(frame.offset)")
            }
        }
        for stop in stops {
            if json {
                print(#"{"stop":"\#(stop.reason)","segment":"\#(stop.segment)","offset":\#(stop.offset)}"#)
            } else {
                print("stop: \(stop.reason) segment=\(stop.segment) offset=\(stop.offset)")
            }
        }
    }
}

struct WalVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record. Exit 0 when intact or only a torn tail is found, 1 on damage.",
        discussion: "Read-only unless --recover=truncate is given, which keeps the valid prefix and sets "
            + "the segments after the damage aside as *.damaged-<n>.")

    @OptionGroup var log: LogDirectoryArgument
    @Option(help: "strict (report only) or truncate (keep the records before the damage).")
    var recover: RecoveryPolicy = .strict

    func run() async throws {
        let directory = log.resolved
        let report = try LogReader.read(directory: directory, after: 0) { _ in }
        print(summary(report))
        guard let damage = report.damage else { return }
        if recover == .truncateAfterDamage {
            var configuration = WALConfiguration(directory: directory)
            configuration.recovery = .truncateAfterDamage
            if let header = report.segments.first?.header {
                configuration.segmentSizeBytes = Int(header.segmentSizeBytes)
            }
            let opened = try WriteAheadLog.open(configuration)
            await opened.close()
            print(
                "truncated: kept LSN \(opened.recovery.firstLSN.map(String.init) ?? "-")…"
                    + "\(opened.recovery.lastLSN.map(String.init) ?? "-"); damage was \(damage)")
            return
        }
        printError("damaged: \(damage) (file \(directory)/\(damage.file), offset \(damage.offset))")
        throw ExitCode(1)
    }

    private func summary(_ report: LogScanReport) -> String {
        let state = report.damage != nil ? "damaged" : (report.tornBytes > 0 ? "intact (torn tail)" : "intact")
        return "\(state): segments=\(report.segments.count) records=\(report.recordCount) "
            + "first_lsn=\(report.firstLSN.map(String.init) ?? "-") last_lsn=\(report.lastLSN.map(String.init) ?? "-") "
            + "torn_bytes=\(report.tornBytes)"
    }
}

struct WalStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Segments, records, bytes, and records per type.")

    @OptionGroup var log: LogDirectoryArgument

    func run() throws {
        let statistics = try LogStatistics.gather(directory: log.resolved)
        print("segments:        \(statistics.segmentCount)")
        print("allocated bytes: \(statistics.allocatedBytes)")
        print("used bytes:      \(statistics.usedBytes)")
        print("records:         \(statistics.recordCount)")
        print("first LSN:       \(statistics.firstLSN.map(String.init) ?? "-")")
        print("last LSN:        \(statistics.lastLSN.map(String.init) ?? "-")")
        print("torn bytes:      \(statistics.tornBytes)")
        if let damage = statistics.damage { print("damage:          \(damage)") }
        for (type, figures) in statistics.types.sorted(by: { $0.key < $1.key }) {
            let average = figures.records == 0 ? 0 : figures.payloadBytes / figures.records
            print("type \(type): records=\(figures.records) payload_bytes=\(figures.payloadBytes) avg=\(average)")
        }
    }
}

extension RecoveryPolicy: ExpressibleByArgument {}

/// Writes a line to standard error.
func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        _ = string.utf8CString.withUnsafeBufferPointer { Glibc.write(2, $0.baseAddress, $0.count - 1) }
    }
}
