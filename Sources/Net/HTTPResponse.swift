public import NIOCore
public import NIOHTTP1

/// An answer: status, headers and body. The server adds the security headers and the length.
public struct HTTPResponse: Sendable {
    package var status: HTTPResponseStatus
    package var headers: HTTPHeaders
    package var body: ByteBuffer
    /// A page's own Content-Security-Policy, in place of `defaultPolicy` (the consent page lets its form's answer
    /// redirect to the client). Nil for every other answer: the server adds the default without a search.
    package var contentSecurityPolicy: String?

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with these bytes.
    package static func json(_ status: HTTPResponseStatus, _ bytes: [UInt8], noStore: Bool = false) -> HTTPResponse {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if noStore { headers.add(name: "cache-control", value: "no-store") }
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// Headers every answer carries, but its Content-Security-Policy.
    static let securityHeaders: [(String, String)] = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
    ]

    /// The policy of every answer without one of its own: no script anywhere; the pages' own stylesheet and
    /// images only; forms post to this server only.
    static let defaultPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

}
