import Auth
import Bytes
package import NIOCore
package import NIOHTTP1

/// A whole HTTP request as a route sees it: head and body read, body within the limit.
public struct HTTPRequest: Sendable {
    package let method: HTTPMethod
    /// The path without the query string, percent-decoding not applied (ids and fixed words only).
    package let path: String
    package let query: [String: String]
    /// The request target as it came: path and query (for a page to come back to after signing in).
    package let uri: String
    package let headers: HTTPHeaders
    package let body: ByteBuffer
    /// The peer's address, from the socket.
    let remoteAddress: SocketAddress?

    /// Values the router took from the path (`{session_id}` → `session_id`).
    package internal(set) var parameters: [String: String] = [:]

    init(head: HTTPRequestHead, body: ByteBuffer, remoteAddress: SocketAddress?) {
        method = head.method
        let uri = head.uri
        self.uri = uri
        // Searched as bytes: a search by `Character` would run grapheme breaking over the whole URI.
        if let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(uri[..<mark])
            query = Self.parseQuery(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = [:]
        }
        headers = head.headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// `a=1&b=2` into a dictionary (the first value of a repeated key wins; `+` is a space).
    static func parseQuery(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first.map({ percentDecoded($0) }), !key.isEmpty else { continue }
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            if let earlier = result[key] {
                // The first value of a repeated parameter wins, but for those that may repeat.
                if repeatable.contains(key) { result[key] = earlier + " " + value }
                continue
            }
            result[key] = value
        }
        return result
    }

    /// Parameters that may be given several times, kept as one space-separated value: RFC 8707's `resource`
    /// (a resource URI never holds a space; one that decodes to one is refused whole).
    static let repeatable: Set<String> = ["resource"]

    static func percentDecoded(_ text: Substring) -> String {
        FormEncoding.decoded(text, strict: false) ?? ""
    }

    /// Form decoding of bytes, lenient: a stray `%` stays, bad UTF-8 is repaired.
    static func percentDecoded(bytes text: UnsafeRawBufferPointer) -> String {
        FormEncoding.decoded(text, strict: false) ?? ""
    }

    /// The bearer token of the `Authorization` header.
    package var bearerToken: String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        guard value.utf8.count > 7, value.hasPrefixIgnoringASCIICase("bearer ") else { return nil }
        return String(value.utf8.dropFirst(7))?.trimmingSpaces()
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces.
    func trimmingSpaces() -> String {
        String(String(self).drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
