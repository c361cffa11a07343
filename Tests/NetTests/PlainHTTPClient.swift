import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 over a plain socket to 127.0.0.1, one connection per request (`Connection: close`): what the tests
/// send when they must see an answer exactly as the server wrote it. corelibs Foundation's URLSession follows
/// redirects, and on a 401 with `WWW-Authenticate: Basic` waits for credentials that never come.
enum PlainHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func send(
        port: Int, method: String, path: String, headers: [(String, String)], body: Data?
    ) async throws
        -> (status: Int, headers: [String: String], body: Data)
    {
        // A thread of its own per request: blocking calls on GCD's width-limited global queue could starve the
        // work the server itself needs.
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        try exchange(
                            port: port, method: method, path: path, headers: headers,
                            body: body)
                    })
            }.start()
        }
    }

    private static func exchange(
        port: Int, method: String, path: String, headers: [(String, String)], body: Data?
    ) throws
        -> (status: Int, headers: [String: String], body: Data)
    {
        let fd = try RawConnection.connect(port: port)
        defer { close(fd) }
        // A bound for a server that hangs, not a speed requirement: `make test` runs browsers, relying parties and
        // servers side by side on two cores, and one answer once took over 30 s to be scheduled there.
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body?.count ?? 0)\r\n\r\n"
        var request = Data(head.utf8)
        if let body { request.append(body) }
        try request.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
                offset += sent
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            // A server that answers before reading the whole body (413) and closes may reset the connection
            // after its answer arrived: what was read is the answer.
            if count < 0, errno == ECONNRESET, !response.isEmpty { break }
            guard count > 0 else { throw Failure(description: "recv: errno \(errno)") }
            response.append(contentsOf: buffer[0..<count])
        }
        guard let end = response.range(of: Data("\r\n\r\n".utf8)) else { throw Failure(description: "no header end") }
        let lines = String(decoding: response[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else {
            throw Failure(description: "bad status line")
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            // A repeated field (Set-Cookie, say) keeps every value, one per line.
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + "\n" + value } ?? value
        }
        return (status, fields, Data(response[end.upperBound...]))
    }
}
