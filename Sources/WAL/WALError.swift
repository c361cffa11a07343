/// An error of the write-ahead log.
///
/// A struct over a hidden code, so that new kinds of failure do not break callers that switch on `code`.
/// The description names files, offsets and operating-system errors, never record contents: payloads hold
/// secrets' digests and must not reach logs.
package struct WALError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable, comparable value.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case writeFailed, diskFull, damaged, closed, recordTooLarge, queueFull
            case invalidConfiguration, io, snapshotDamaged, noUsableSnapshot, replicationUnavailable, fenced
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A write or fsync failed. The log stops: nothing further is acknowledged until a restart recovers.
        package static let writeFailed = Code(.writeFailed)
        /// The disk is full (ENOSPC). Like `writeFailed`, the log stops.
        package static let diskFull = Code(.diskFull)
        /// Recovery found a bad checksum, an LSN gap or a truncated record before the end of the log.
        package static let damaged = Code(.damaged)
        /// The log was closed; no more appends are taken.
        package static let closed = Code(.closed)
        /// A record larger than the log accepts.
        package static let recordTooLarge = Code(.recordTooLarge)
        /// More bytes are queued for the writer than the configured bound.
        package static let queueFull = Code(.queueFull)
        /// A configuration value is out of range.
        package static let invalidConfiguration = Code(.invalidConfiguration)
        /// Opening, reading, listing or renaming a file failed.
        package static let io = Code(.io)
        /// A snapshot file failed its checksum or is malformed.
        package static let snapshotDamaged = Code(.snapshotDamaged)
        /// No snapshot can be used together with the log that is on disk.
        package static let noUsableSnapshot = Code(.noUsableSnapshot)

        /// The record is durable here but not replicated (the cluster's database failed or did not answer): it
        /// is not acknowledged, and is replicated later. The log goes on.
        package static let replicationUnavailable = Code(.replicationUnavailable)
        /// Another node took the cluster's lease over: this log may replicate, and acknowledge, nothing more.
        package static let fenced = Code(.fenced)

        package var description: String { base.rawValue }
    }

    /// The kind of failure.
    package let code: Code
    /// A sentence for operators: what failed, where, and what happens now.
    package let message: String
    /// The file concerned, when there is one.
    package let file: String?
    /// The byte offset inside `file`, when the failure is at a known place.
    package let offset: Int?
    /// The operating system's error number, when the failure came from a system call.
    package let errno: Int32?

    package init(_ code: Code, _ message: String, file: String? = nil, offset: Int? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.errno = errno
    }

    package var description: String {
        var text = "WAL \(code): \(message)"
        if let file { text += " [file \(file)" + (offset.map { " offset \($0)" } ?? "") + "]" }
        return text
    }
}
