public import NIOCore
public import NIOHTTP1

/// A whole HTTP request as a route sees it: head and body read, body within the limit.
public struct HTTPRequest: Sendable {
    public let method: HTTPMethod
    /// The path without the query string, percent-decoding not applied (ids and fixed words only).
    public let path: String
    public let query: [String: String]
    public let headers: HTTPHeaders
    public let body: ByteBuffer
    /// The peer's IP address, from the socket.
    public let clientIP: String?
    /// Values the router took from the path (`{session_id}` → `session_id`).
    public internal(set) var parameters: [String: String] = [:]

    init(head: HTTPRequestHead, body: ByteBuffer, clientIP: String?) {
        method = head.method
        let uri = head.uri
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = Self.parseQuery(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = [:]
        }
        headers = head.headers
        self.body = body
        self.clientIP = clientIP
    }

    /// `a=1&b=2` into a dictionary (the first value of a repeated key wins; `+` is a space).
    static func parseQuery(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first.map({ percentDecoded($0) }), !key.isEmpty, result[key] == nil else { continue }
            result[key] = parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        return result
    }

    static func percentDecoded(_ text: Substring) -> String {
        percentDecoded(bytes: text.utf8)
    }

    /// Form decoding of bytes: `+` is a space, `%XX` a byte (kept as it is when not two hex digits); a text
    /// with neither is taken as it is.
    static func percentDecoded(bytes text: some Collection<UInt8>) -> String {
        guard text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return String(decoding: text, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            index = text.index(after: index)
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index != text.endIndex, let high = hexValue(text[index]),
                      text.index(after: index) != text.endIndex, let low = hexValue(text[text.index(after: index)]) {
                bytes.append(high << 4 | low)
                index = text.index(index, offsetBy: 2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// The bearer token of the `Authorization` header.
    public var bearerToken: String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let prefix = "bearer "
        guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
        return String(value.dropFirst(prefix.count)).trimmingSpaces()
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces.
    func trimmingSpaces() -> String {
        String(String(self).drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
