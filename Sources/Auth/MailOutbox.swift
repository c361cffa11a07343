import Foundation
import WAL

/// A message for a user.
package struct Mail: Sendable, Codable, Hashable {
    package let to: String
    package let subject: String
    package let body: String
    package let createdAt: String

    enum CodingKeys: String, CodingKey { case to, subject, body, createdAt = "created_at" }
}

/// Where mail goes. The default writes JSON lines to a file in the data directory; an SMTP or HTTP transport
/// implements the same protocol.
package protocol MailOutbox: Sendable {
    func send(_ mail: Mail) throws
}

/// Appends each message as one JSON line (one `write(2)` with `O_APPEND`, then `fsync`; the file's entry is
/// made durable when it is created), so that lines from concurrent senders never interleave and a sent message
/// survives a crash or a power loss.
package struct JSONLinesOutbox: MailOutbox {
    package let path: String

    package init(path: String) { self.path = path }

    package func send(_ mail: Mail) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var line = try encoder.encode(mail)
        line.append(UInt8(ascii: "\n"))
        let fd: Int32
        do { fd = try Durable.openCreating(path, flags: O_WRONLY | O_APPEND) } catch {
            throw MailError("cannot open \(path): \(error.message)")
        }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw MailError("cannot write \(path)") }
    }
}

package struct MailError: Error, Sendable, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
