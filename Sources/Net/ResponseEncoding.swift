import NIOCore
import NIOHTTP1

/// A header the server will not send: a name that is not an HTTP token, or a value holding CR, LF or NUL
/// (which would let whoever chose it split the answer). Routes never make one from a client's input, so it is
/// the server's mistake; the answer becomes a 500.
struct InvalidResponseHeader: Error {
    let name: String
}

/// Writes an answer as HTTP/1.1 bytes — status line, the route's headers, the security headers, the length,
/// then the body — into one buffer, written with one `writeAndFlush`. This replaces NIO's response encoder on
/// Tessera's connections (NIO's parser still reads every request): the constant part of every head is encoded
/// once per process, and nothing is built per answer but the buffer.
///
/// Framing follows RFC 9110/9112 as NIO's encoder does: no `Content-Length` and no body for 1xx, 204 and 304;
/// for `HEAD` the length an equivalent `GET` would have, and no body.
enum ResponseEncoding {
    /// The security headers without the policy, encoded once, for answers with a policy of their own.
    static let securityBlockWithoutPolicy: [UInt8] = Array(
        HTTPResponse.securityHeaders.map { "\($0.0): \($0.1)\r\n" }.joined().utf8)
    /// The security headers and the default policy, encoded once.
    static let defaultSecurityBlock: [UInt8] =
        securityBlockWithoutPolicy + Array("content-security-policy: \(HTTPResponse.defaultPolicy)\r\n".utf8)

    private static let statusLine200: StaticString = "HTTP/1.1 200 OK\r\n"

    /// `response` as the bytes of one answer to a request with `version` and `method`; `keepAlive: false` adds
    /// `Connection: close`.
    static func encode(
        _ response: HTTPResponse, version: HTTPVersion = .http1_1, method: HTTPMethod = .GET, keepAlive: Bool,
        allocator: ByteBufferAllocator
    ) throws(InvalidResponseHeader) -> ByteBuffer {
        let status = response.status
        let framed = status.mayHaveResponseBody
        let sendsBody = framed && method != .HEAD
        let bodyCount = response.body.readableBytes
        var buffer = allocator.buffer(capacity: 384 + (sendsBody ? bodyCount : 0))
        writeStatusLine(status, version: version, into: &buffer)
        for (name, value) in response.headers {
            guard isToken(name), isFieldValue(value) else { throw InvalidResponseHeader(name: name) }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if let policy = response.contentSecurityPolicy {
            guard isFieldValue(policy) else { throw InvalidResponseHeader(name: "content-security-policy") }
            buffer.writeBytes(securityBlockWithoutPolicy)
            buffer.writeStaticString("content-security-policy: ")
            buffer.writeString(policy)
            buffer.writeStaticString("\r\n")
        } else {
            buffer.writeBytes(defaultSecurityBlock)
        }
        if framed {
            buffer.writeStaticString("content-length: ")
            writeDecimal(bodyCount, into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if !keepAlive { buffer.writeStaticString("connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        if sendsBody && bodyCount > 0 { buffer.writeImmutableBuffer(response.body) }
        return buffer
    }

    /// `response` closing the connection, for answers written where no request could be read (a connection
    /// over the cap, a request too slow to arrive, bytes that are not HTTP). These answers are the server's
    /// own, with valid headers.
    static func closing(_ response: HTTPResponse) -> ByteBuffer {
        (try? encode(response, keepAlive: false, allocator: ByteBufferAllocator())) ?? ByteBuffer()
    }

    private static func writeStatusLine(
        _ status: HTTPResponseStatus, version: HTTPVersion, into buffer: inout ByteBuffer
    ) {
        if status.code == 200 && version == .http1_1 {
            buffer.writeStaticString(statusLine200)
            return
        }
        buffer.writeStaticString("HTTP/")
        writeDecimal(Int(version.major), into: &buffer)
        buffer.writeInteger(UInt8(ascii: "."))
        writeDecimal(Int(version.minor), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        writeDecimal(Int(status.code), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    /// A non-negative integer in decimal, without making a string.
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var remaining = value
        repeat {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        } while divisor > 0
    }

    /// RFC 9110 §5.6.2: a token is one or more of the visible characters but delimiters.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenByte)
    }

    /// RFC 9110 §5.5: a field value holds no CR, LF or NUL.
    static func isFieldValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// Computed rather than looked up: a table would be a lazily made global, checked on every use.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}
