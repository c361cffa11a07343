import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to 127.0.0.1 driven byte by byte: what the connection-limit tests need to be a slow, idle
/// or stalled client. Every read is bounded; blocking calls run on a thread of their own, never on the
/// cooperative pool the server's routes need.
final class RawConnection: @unchecked Sendable {
    // @unchecked Sendable: the descriptor is used by one test at a time, one call after another.
    let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int) throws {
        fd = try Self.connect(port: port)
    }

    /// A socket connected to 127.0.0.1:`port`.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let failure = errno
            Glibc.close(fd)
            throw Failure(description: "connect: errno \(failure)")
        }
        return fd
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `text`; false when the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Everything the server sends until it closes the connection, waiting at most `seconds`; nil when it is
    /// still open then.
    func readUntilClosed(seconds: Int = 30) async -> String? {
        let fd = fd
        return await withCheckedContinuation { continuation in
            Thread {
                var received = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 16 << 10)
                let deadline = Date().addingTimeInterval(Double(seconds))
                while Date() < deadline {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&poller, 1, 100) > 0 else { continue }
                    let count = recv(fd, &buffer, buffer.count, 0)
                    if count > 0 {
                        received += buffer[0..<count]
                        continue
                    }
                    // 0: closed; a reset after an answer that arrived counts as closed too.
                    continuation.resume(returning: String(decoding: received, as: UTF8.self))
                    return
                }
                continuation.resume(returning: nil)
            }.start()
        }
    }

    /// Whether the server has closed the connection by now (no wait).
    var isClosedByServer: Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK)) <= 0
    }
}

/// Waits, polling, until `condition` holds or `seconds` pass; whether it came to hold. For progress the
/// server makes on its own (a connection closed, a budget given back), never for timing.
func eventually(seconds: Int = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(Double(seconds))
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
