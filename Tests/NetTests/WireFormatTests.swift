import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import Net

/// What Tessera writes on a connection, now that it encodes answers itself behind NIO's parser: answers in the
/// order requests came, framing as RFC 9112 asks, and no header that could split an answer.
@Suite("Answers on the wire: pipelined requests in order, framing, valid headers only")
struct WireFormatTests {
    /// The status codes of the answers in `text`, in order.
    static func statuses(_ text: String) -> [Int] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }

    static let login =
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 33\r\n\r\n"
        + #"{"email":"a@b.co","password":"x"}"#

    @Test("pipelined requests are answered in the order they were sent, one answered by a task among them")
    func pipelinedInOrder() async throws {
        let harness = try await HTTPHarness()
        let connection = try RawConnection(port: harness.server.port)
        // The login is answered by a task (the engine is asked); health and the unknown path on the event loop.
        connection.send(
            Self.login + "GET /health HTTP/1.1\r\nHost: t\r\n\r\n" + Self.login
                + "GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let answer = try #require(await connection.readUntilClosed(), "the last request asked to close")
        #expect(Self.statuses(answer) == [401, 200, 401, 404], "\(answer)")
        #expect(answer.hasSuffix("}"), "the connection closes after the whole last answer")
        await harness.close()
    }

    @Test(
        "bytes that are not HTTP behind a request being answered: that request's answer first, then 400 VAL_006, then the end"
    )
    func malformedAfterPending() async throws {
        let harness = try await HTTPHarness()
        let connection = try RawConnection(port: harness.server.port)
        connection.send(Self.login + "NOT HTTP AT ALL\r\n\r\n")
        let answer = try #require(await connection.readUntilClosed(), "bytes that are not HTTP end the connection")
        #expect(Self.statuses(answer) == [401, 400], "\(answer)")
        #expect(answer.contains(#""code":"VAL_006""#))
        #expect(answer.contains("connection: close"))

        let alone = try RawConnection(port: harness.server.port)
        alone.send("\u{1}\u{2}\r\n\r\n")
        let refused = try #require(await alone.readUntilClosed())
        #expect(Self.statuses(refused) == [400] && refused.contains(#""code":"VAL_006""#), "\(refused)")
        await harness.close()
    }

    @Test("HEAD gets the length GET would have and no body, and the connection goes on to the next answer")
    func headHasNoBody() async throws {
        let harness = try await HTTPHarness()
        let connection = try RawConnection(port: harness.server.port)
        connection.send(
            "HEAD /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let answer = try #require(await connection.readUntilClosed())
        let parts = answer.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 3, "two heads and one body: \(answer)")
        #expect(parts[1].hasPrefix("HTTP/1.1 "), "the HEAD answer carried a body: \(answer)")
        let lengths = answer.components(separatedBy: "content-length: ").dropFirst().map { $0.prefix { $0.isNumber } }
        #expect(lengths.count == 2 && lengths[0] == lengths[1], "HEAD's length is GET's: \(answer)")
        #expect(parts[2].utf8.count == Int(lengths.last ?? "") ?? -1)
        await harness.close()
    }

    @Test("the encoder frames by status and method, closes when told, and writes the security headers")
    func encoderFraming() throws {
        let allocator = ByteBufferAllocator()
        func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }
        let ok = HTTPResponse.json(.ok, Array(#"{"a":1}"#.utf8))
        let plain = text(try ResponseEncoding.encode(ok, keepAlive: true, allocator: allocator))
        #expect(plain.hasPrefix("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"))
        #expect(plain.hasSuffix("content-length: 7\r\n\r\n{\"a\":1}"))
        #expect(
            plain.contains("x-frame-options: DENY\r\n") && plain.contains("content-security-policy: default-src 'none'")
        )
        #expect(!plain.contains("connection:"))

        let closing = text(try ResponseEncoding.encode(ok, version: .http1_0, keepAlive: false, allocator: allocator))
        #expect(closing.hasPrefix("HTTP/1.0 200 OK\r\n") && closing.contains("connection: close\r\n"))

        let head = text(try ResponseEncoding.encode(ok, method: .HEAD, keepAlive: true, allocator: allocator))
        #expect(head.hasSuffix("content-length: 7\r\n\r\n"))

        var empty = HTTPResponse(status: .noContent)
        empty.body = ByteBuffer(string: "ignored")
        let noContent = text(try ResponseEncoding.encode(empty, keepAlive: true, allocator: allocator))
        #expect(noContent.hasPrefix("HTTP/1.1 204 No Content\r\n") && noContent.hasSuffix("\r\n\r\n"))
        #expect(!noContent.contains("content-length") && !noContent.contains("ignored"))

        var page = HTTPResponse(status: .seeOther, headers: ["location": "/next"])
        page.contentSecurityPolicy = "form-action https://app.example"
        let redirect = text(try ResponseEncoding.encode(page, keepAlive: true, allocator: allocator))
        #expect(redirect.contains("content-security-policy: form-action https://app.example\r\n"))
        #expect(redirect.components(separatedBy: "content-security-policy").count == 2, "one policy only")
        #expect(redirect.contains("content-length: 0\r\n"))

        for value in [12_345, 0, 9, 10, 1_000_000] {
            var digits = ByteBuffer()
            ResponseEncoding.writeDecimal(value, into: &digits)
            #expect(String(buffer: digits) == String(value))
        }
    }

    @Test("a header that could split the answer is never written: its answer is refused")
    func invalidHeaders() {
        let allocator = ByteBufferAllocator()
        for (name, value) in [("location", "/a\r\nset-cookie: x=1"), ("x-a", "b\nc"), ("bad name", "v"), ("", "v")] {
            let response = HTTPResponse(status: .found, headers: HTTPHeaders([(name, value)]))
            #expect(throws: InvalidResponseHeader.self, "\(name): \(value)") {
                try ResponseEncoding.encode(response, keepAlive: true, allocator: allocator)
            }
        }
        var policy = HTTPResponse(status: .ok)
        policy.contentSecurityPolicy = "default-src 'none'\r\nx: y"
        #expect(throws: InvalidResponseHeader.self) {
            try ResponseEncoding.encode(policy, keepAlive: true, allocator: allocator)
        }
    }

    @Test(
        "through the server: a route whose header would split the answer gets 500 SYS_001 and the connection ends, the header never sent"
    )
    func invalidHeaderOverTheWire() async throws {
        let router = Router { root in
            root.get("/split") { _, _ in
                HTTPResponse(status: .found, headers: ["location": "/a\r\nset-cookie: stolen=1"])
            }
        }
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, router: router, limits: HTTPHarness.limits, threads: 1)
        let connection = try RawConnection(port: server.port)
        connection.send("GET /split HTTP/1.1\r\nHost: t\r\n\r\n")
        let answer = try #require(await connection.readUntilClosed(), "the server ends the connection")
        #expect(Self.statuses(answer) == [500] && answer.contains(#""code":"SYS_001""#), "\(answer)")
        #expect(!answer.contains("stolen") && !answer.contains("location"))
        await server.stop()
    }
}
