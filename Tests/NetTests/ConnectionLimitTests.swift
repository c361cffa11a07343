import Foundation
import Net
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Connection limits tried with real sockets, as a slow, idle or greedy client would.
@Suite("Connection limits: deadlines for idle connections, slow heads and stalled bodies; a cap; bounded bodies")
struct ConnectionLimitTests {
    /// Short deadlines, so that the tests wait little; whatever the machine's speed, each is far shorter than
    /// the bounded waits for the server to act on it.
    static var shortDeadlines: ConnectionLimits {
        var limits = HTTPHarness.limits
        limits.idleTimeoutSeconds = 0.3
        limits.headTimeoutSeconds = 0.3
        limits.bodyTimeoutSeconds = 0.3
        return limits
    }

    @Test("an idle connection is closed; a head that never ends is 408 and closed, however slowly it drips")
    func idleAndSlowHead() async throws {
        let harness = try await HTTPHarness(limits: Self.shortDeadlines)
        let idle = try RawConnection(port: harness.server.port)
        #expect(await idle.readUntilClosed() == "", "an idle connection is closed without an answer")

        let partial = try RawConnection(port: harness.server.port)
        partial.send("GET /health HTTP/1.1\r\nHost: tessera\r\n")
        let answer = try #require(await partial.readUntilClosed(), "a head that never ends keeps its connection")
        #expect(answer.hasPrefix("HTTP/1.1 408"))
        #expect(answer.contains(#""code":"VAL_006""#))

        // Slowloris: a byte every 50 ms never completes the head; it must not keep the connection alive.
        let slow = try RawConnection(port: harness.server.port)
        slow.send("GET /health HTTP/1.1\r\nHost: tessera\r\nX-Slow: ")
        var dripped = 0
        while dripped < 600, !slow.isClosedByServer, slow.send("a") {
            dripped += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(dripped < 600, "30 s of dripping bytes kept the connection open")
        await harness.close()
    }

    @Test("a stalled body is 408 and closed, and the bytes it held are given back; a prompt request is served")
    func stalledBody() async throws {
        let harness = try await HTTPHarness(limits: Self.shortDeadlines)
        let stalled = try RawConnection(port: harness.server.port)
        stalled.send(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n{\"email\":")
        let answer = try #require(await stalled.readUntilClosed(), "a stalled body keeps its connection")
        #expect(answer.hasPrefix("HTTP/1.1 408"))
        #expect(await eventually { harness.server.bufferedBodyBytes == 0 })
        // The same deadlines do not hurt a client that sends its request at once.
        let prompt = try await harness.send("POST", "/api/v1/auth/login", json: #"{"email":"a@b.co","password":"x"}"#)
        #expect(prompt.status == 401)
        await harness.close()
    }

    @Test(
        "past the connection cap a new connection is answered 503 SYS_007 and closed; once one closes, new ones are served"
    )
    func connectionCap() async throws {
        var limits = HTTPHarness.limits
        limits.maxConnections = 3
        let harness = try await HTTPHarness(limits: limits)
        var held = try (0..<3).map { _ in try RawConnection(port: harness.server.port) }
        #expect(await eventually { harness.server.openConnections == 3 })
        let refused = try RawConnection(port: harness.server.port)
        refused.send("GET /health HTTP/1.1\r\nHost: tessera\r\n\r\n")
        let answer = try #require(await refused.readUntilClosed(), "the connection over the cap stayed open")
        #expect(answer.hasPrefix("HTTP/1.1 503"))
        #expect(answer.contains(#""code":"SYS_007""#))
        held.removeFirst()
        #expect(
            await eventually { (try? await harness.send("GET", "/health"))?.status == 200 },
            "a connection closed, yet new ones are still refused")
        _ = held
        await harness.close()
    }

    @Test("request bodies are bounded in total: with room for two, a third is 503 SYS_007 at once; the room comes back")
    func bodiesBoundedInTotal() async throws {
        var limits = HTTPHarness.limits
        limits.bufferedBodyLimitBytes = 80_000
        let harness = try await HTTPHarness(limits: limits)
        let head =
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\nContent-Length: 40000\r\n\r\n"
        var stalled = try (0..<2).map { _ in try RawConnection(port: harness.server.port) }
        for connection in stalled { connection.send(head + "{") }
        #expect(await eventually { harness.server.bufferedBodyBytes == 80_000 })
        let third = try RawConnection(port: harness.server.port)
        third.send(head + "{")
        let answer = try #require(await third.readUntilClosed(), "the third body was held")
        #expect(answer.hasPrefix("HTTP/1.1 503"))
        #expect(answer.contains(#""code":"SYS_007""#))
        stalled.removeAll()
        #expect(
            await eventually { harness.server.bufferedBodyBytes == 0 }, "closed connections kept their bodies' room")
        let whole = try await harness.send(
            "POST", "/api/v1/auth/login", body: Data(repeating: UInt8(ascii: " "), count: 40_000),
            headers: ["Content-Type": "application/json"])
        #expect(whole.status == 422, "a body that fits is read again")
        await harness.close()
    }
}
