package import FoundationEssentials
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// The data directory's identity: which Tessera instance made it, when, and in which layout. `IDENTITY`, a few
/// `key=value` lines, written durably on the first start before anything is acknowledged.
///
/// Its only job at start-up is to tell a new data directory from one that served and has since lost part of
/// its state (a power cut on a file system that dropped directory entries, a volume mounted without its
/// contents, a folder removed by hand): without it both look empty, and the second would start silently with
/// no users and new keys. A cluster can name its members by the same instance id.
package struct DataDirectoryIdentity: Sendable, Hashable {
    /// The layout of the data directory this identity describes.
    package let formatVersion: Int
    /// Random, made once, never changed.
    package let instanceID: UUID
    /// When the directory was first served (Unix milliseconds).
    package let createdAtMilliseconds: Int64

    static let fileName = "IDENTITY"
    /// Version 1: `wal/`, `snapshots/`, `keys/` and this file; the log always has a segment file once opened.
    static let currentFormatVersion = 1

    init(formatVersion: Int = currentFormatVersion, instanceID: UUID, createdAtMilliseconds: Int64) {
        self.formatVersion = formatVersion
        self.instanceID = instanceID
        self.createdAtMilliseconds = createdAtMilliseconds
    }

    /// The identity in `dataDirectory`, or nil when it has none. A file that does not parse is an error
    /// naming it: guessing would defeat its purpose.
    static func read(in dataDirectory: String) throws(EngineError) -> DataDirectoryIdentity? {
        let path = dataDirectory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            throw EngineError(.invalidArgument, "cannot read \(path)")
        }
        var fields: [Substring: Substring] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        guard let version = fields["format"].flatMap({ Int($0) }),
            let instance = fields["instance"].flatMap({ UUID(uuidString: String($0)) }),
            let created = fields["created_ms"].flatMap({ Int64($0) })
        else {
            throw EngineError(.invalidArgument, "\(path) is not a Tessera identity file (format, instance, created_ms)")
        }
        guard version <= currentFormatVersion else {
            throw EngineError(
                .invalidArgument,
                "\(path) is of format \(version); this Tessera reads up to "
                    + "\(currentFormatVersion): start a newer version")
        }
        return DataDirectoryIdentity(formatVersion: version, instanceID: instance, createdAtMilliseconds: created)
    }

    /// Writes this identity into `dataDirectory` and makes it durable (file and directory entry).
    func write(in dataDirectory: String) throws(EngineError) {
        let text =
            "# Tessera data directory: do not edit or copy into another data directory\n"
            + "format=\(formatVersion)\ninstance=\(instanceID.uuidString.lowercased())\n"
            + "created_ms=\(createdAtMilliseconds)\n"
        do { try Durable.replaceFile(dataDirectory + "/" + Self.fileName, with: Array(text.utf8)) } catch {
            throw EngineError(.invalidArgument, "cannot write the data directory's identity: \(error.message)")
        }
    }

    /// What a data directory that has served must still hold, before anything in it is opened or created: the
    /// log (its folder and at least one segment file). Returns what is missing, in words, or an empty list.
    /// Snapshots need no check here: without them the log alone must reach back to its first record, and
    /// opening it refuses a log that does not.
    static func missingState(logDirectory: String) -> [String] {
        if !isDirectory(logDirectory) { return ["the log folder \(logDirectory)"] }
        if (try? WriteAheadLog.oldestSegmentFirstLSN(directory: logDirectory)) == nil {
            return ["every log segment (\(logDirectory)/wal-*.log)"]
        }
        return []
    }

    private static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
