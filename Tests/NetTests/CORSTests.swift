import Foundation
import Net
import Testing

/// The browser-facing policy a deployment configures: CORS origins and HSTS.
@Suite("CORS for configured origins only, and HSTS when configured")
struct CORSTests {
    @Test(
        "an allowed origin's preflight is 204 with methods and headers; its answers name it; other origins get nothing")
    func corsForAllowedOrigins() async throws {
        let harness = try await HTTPHarness(cors: CORSPolicy(allowedOrigins: ["https://app.example"]))
        let preflight = try await harness.send(
            "OPTIONS", "/api/v1/auth/login",
            headers: [
                "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            ])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == "https://app.example")
        #expect(preflight.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        #expect(preflight.headers["access-control-allow-credentials"] == "true")
        #expect(preflight.headers["vary"] == "Origin", "each header once: a browser refuses an origin named twice")

        let answer = try await harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"a@b.co","password":"x"}"#,
            headers: ["Origin": "https://app.example"])
        #expect(answer.status == 401)
        #expect(answer.headers["access-control-allow-origin"] == "https://app.example")
        #expect(answer.headers["vary"] == "Origin")

        let foreign = try await harness.send(
            "OPTIONS", "/api/v1/auth/login",
            headers: [
                "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            ])
        #expect(foreign.headers["access-control-allow-origin"] == nil)
        #expect(foreign.status != 204)
        let foreignAnswer = try await harness.send("GET", "/health", headers: ["Origin": "https://evil.example"])
        #expect(foreignAnswer.headers["access-control-allow-origin"] == nil)
        await harness.close()
    }

    @Test("without configuration no CORS header is sent; with an HSTS max-age every answer carries it")
    func defaultsAndHSTS() async throws {
        let plain = try await HTTPHarness()
        let answer = try await plain.send("GET", "/health", headers: ["Origin": "https://app.example"])
        #expect(answer.headers["access-control-allow-origin"] == nil)
        #expect(answer.headers["strict-transport-security"] == nil)
        await plain.close()

        let hsts = try await HTTPHarness(hstsMaxAgeSeconds: 31_536_000)
        #expect(
            try await hsts.send("GET", "/health").headers["strict-transport-security"]
                == "max-age=31536000; includeSubDomains")
        #expect(
            try await hsts.sendForm("/api/v1/oauth/provider/introspect", [("token", "x")])
                .headers["strict-transport-security"] != nil, "the immediate routes carry it too")
        await hsts.close()
    }
}
