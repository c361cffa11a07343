/// An error of the write-ahead log.
///
/// A struct over a hidden code, so that new kinds of failure do not break callers that switch on `code`.
/// The description names files, offsets and operating-system errors, never record contents: payloads hold
/// secrets' digests and must not reach logs.
public struct WALError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable, comparable value.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case writeFailed, diskFull, damaged, closed, recordTooLarge, queueFull
            case invalidConfiguration, io, snapshotDamaged, noUsableSnapshot
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A write or fsync failed. The log stops: nothing further is acknowledged until a restart recovers.
        public static let writeFailed = Code(.writeFailed)
        /// The disk is full (ENOSPC). Like `writeFailed`, the log stops.
        public static let diskFull = Code(.diskFull)
        /// Recovery found a bad checksum, an LSN gap or a truncated record before the end of the log.
        public static let damaged = Code(.damaged)
        /// The log was closed; no more appends are taken.
        public static let closed = Code(.closed)
        /// A record larger than the log accepts.
        public static let recordTooLarge = Code(.recordTooLarge)
        /// More bytes are queued for the writer than the configured bound.
        public static let queueFull = Code(.queueFull)
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Opening, reading, listing or renaming a file failed.
        public static let io = Code(.io)
        /// A snapshot file failed its checksum or is malformed.
        public static let snapshotDamaged = Code(.snapshotDamaged)
        /// No snapshot can be used together with the log that is on disk.
        public static let noUsableSnapshot = Code(.noUsableSnapshot)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A sentence for operators: what failed, where, and what happens now.
    public let message: String
    /// The file concerned, when there is one.
    public let file: String?
    /// The byte offset inside `file`, when the failure is at a known place.
    public let offset: Int?
    /// The operating system's error number, when the failure came from a system call.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, file: String? = nil, offset: Int? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.errno = errno
    }

    public var description: String {
        var text = "WAL \(code): \(message)"
        if let file { text += " [file \(file)" + (offset.map { " offset \($0)" } ?? "") + "]" }
        return text
    }
}
