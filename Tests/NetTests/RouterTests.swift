import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import Net

/// The router without a socket: requests are built in memory and handed to it, as the server does.
@Suite("The router resolves every request to one route, runs its guards in order, and answers what they throw")
struct RouterTests {
    static func request(
        _ method: HTTPMethod, _ uri: String, headers: HTTPHeaders = [:],
        from address: String = "192.0.2.7"
    ) -> HTTPRequest {
        HTTPRequest(
            head: HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers),
            body: ByteBuffer(), remoteAddress: try? SocketAddress(ipAddress: address, port: 40_000))
    }

    static func ok(_ text: String) -> HTTPResponse {
        HTTPResponse(status: .ok, body: ByteBuffer(string: text))
    }

    static func errorCode(_ response: HTTPResponse) -> String? {
        let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        return ((json?["errors"] as? [[String: Any]])?.first)?["code"] as? String
    }

    /// Records the order in which guards ran; the one named `refuse` throws.
    final class Trail: Sendable {
        let steps = Mutex<[String]>([])
        var recorded: [String] { steps.withLock { $0 } }
        func add(_ step: String) { steps.withLock { $0.append(step) } }
    }

    struct RecordingGuard: ImmediateRequestGuard {
        let name: String
        let trail: Trail
        var refuses = false

        func checkNow(_ request: HTTPRequest, _ context: inout RequestContext) throws {
            trail.add(name)
            if refuses { throw APIError.forbidden }
        }
    }

    @Test("an unknown path is 404 SYS_002; a known path with another method is 405 SYS_003 with Allow")
    func unknownPathAndMethod() async {
        let router = Router { root in
            root.get("/things/{id}") { _, _ in Self.ok("get") }
            root.delete("/things/{id}") { _, _ in Self.ok("delete") }
        }
        let missing = await router.handle(Self.request(.GET, "/nothing/here"))
        #expect(missing.status == .notFound)
        #expect(Self.errorCode(missing) == "SYS_002")
        let wrongMethod = await router.handle(Self.request(.POST, "/things/1"))
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(Self.errorCode(wrongMethod) == "SYS_003")
        #expect(wrongMethod.headers["allow"] == ["GET, DELETE"])
    }

    @Test("a fixed segment wins over a parameter, and a parameter's value reaches the route")
    func fixedBeatsParameter() async {
        let router = Router { root in
            root.get("/users/{user_id}") { request, _ in Self.ok("user " + (request.parameters["user_id"] ?? "?")) }
            root.get("/users/me") { _, _ in Self.ok("me") }
        }
        #expect(String(buffer: await router.handle(Self.request(.GET, "/users/me")).body) == "me")
        #expect(String(buffer: await router.handle(Self.request(.GET, "/users/42?x=1")).body) == "user 42")
        #expect(router.match(.GET, path: "/users/42") == .found(parameters: ["user_id": "42"]))
        #expect(router.match(.PUT, path: "/users/me") == .methodNotAllowed(allowed: ["GET"]))
    }

    @Test("a group's guards run outer group first, then inner, then the route; a refusal stops what follows")
    func guardOrder() async {
        let trail = Trail()
        let router = Router { root in
            let outer = root.group("/a", guards: [RecordingGuard(name: "outer", trail: trail)])
            let inner = outer.group("/b", guards: [RecordingGuard(name: "inner", trail: trail)])
            inner.get("/c") { _, _ in
                trail.add("route")
                return Self.ok("c")
            }
            let refusing = outer.group(
                "/no",
                guards: [
                    RecordingGuard(name: "refuse", trail: trail, refuses: true),
                    RecordingGuard(name: "after", trail: trail),
                ])
            refusing.get("/c") { _, _ in
                trail.add("refused route")
                return Self.ok("never")
            }
        }
        #expect(await router.handle(Self.request(.GET, "/a/b/c")).status == .ok)
        #expect(trail.recorded == ["outer", "inner", "route"])
        let refused = await router.handle(Self.request(.GET, "/a/no/c"))
        #expect(refused.status == .forbidden)
        #expect(Self.errorCode(refused) == "AUTH_004")
        #expect(trail.recorded == ["outer", "inner", "route", "outer", "refuse"])
    }

    @Test(
        "a route's rate limit is taken per client address before its guards run: past it, 429 SYS_004 with Retry-After")
    func rateLimitBeforeGuards() async {
        let trail = Trail()
        let frozenClock: @Sendable () -> UInt64 = { 1_000_000_000 }
        let router = Router(Router.Options(rateLimiter: RateLimiter(nowNanoseconds: frozenClock))) { root in
            root.group(guards: [RecordingGuard(name: "guard", trail: trail)])
                .post("/register", limit: .register) { _, _ in Self.ok("made") }
        }
        for _ in 0..<RateLimit.register.requestsPerMinute {
            #expect(await router.handle(Self.request(.POST, "/register")).status == .ok)
        }
        let limited = await router.handle(Self.request(.POST, "/register"))
        #expect(limited.status == .tooManyRequests)
        #expect(Self.errorCode(limited) == "SYS_004")
        #expect(limited.headers["retry-after"].first.flatMap(Int.init) ?? 0 >= 1)
        #expect(trail.recorded.count == RateLimit.register.requestsPerMinute)
        // Another address has its own budget.
        #expect(await router.handle(Self.request(.POST, "/register", from: "192.0.2.8")).status == .ok)
    }

    @Test("out of service, every route answers 503 in its own style except those served out of service")
    func outOfService() async {
        var options = Router.Options()
        options.isOutOfService = { true }
        let router = Router(options) { root in
            root.on(.GET, "/health", servedWhenOutOfService: true) { _, _ in Self.ok("alive") }
            root.get("/users") { _, _ in Self.ok("users") }
            root.group("/oauth", errorStyle: .oauth).post("/token") { _, _ in Self.ok("token") }
        }
        #expect(String(buffer: await router.handle(Self.request(.GET, "/health")).body) == "alive")
        let users = await router.handle(Self.request(.GET, "/users"))
        #expect(users.status == .serviceUnavailable)
        #expect(Self.errorCode(users) == "SYS_007")
        let token = await router.handle(Self.request(.POST, "/oauth/token"))
        #expect(token.status == .serviceUnavailable)
        #expect(String(buffer: token.body).contains("\"temporarily_unavailable\""))
        #expect(await router.handle(Self.request(.GET, "/unknown")).status == .serviceUnavailable)
    }

    @Test("an immediate route is answered on the spot with its guards run; a suspending one is not")
    func immediateRoutes() async {
        let trail = Trail()
        let router = Router { root in
            let group = root.group(guards: [RecordingGuard(name: "now", trail: trail)])
            group.immediate(.POST, "/introspect") { _, _ in Self.ok("now") }
            group.post("/later") { _, _ in Self.ok("later") }
        }
        #expect(router.handleNow(Self.request(.POST, "/introspect")).map { String(buffer: $0.body) } == "now")
        #expect(trail.recorded == ["now"])
        #expect(router.handleNow(Self.request(.POST, "/later")) == nil)
        #expect(router.handleNow(Self.request(.GET, "/introspect")) == nil)
        #expect(trail.recorded == ["now"])
        // Reached through the suspending path, an immediate route answers the same.
        #expect(String(buffer: await router.handle(Self.request(.POST, "/introspect")).body) == "now")
    }

    @Test("the client address is the socket's, or the right-most untrusted hop of X-Forwarded-For from a trusted proxy")
    func clientAddress() async {
        var options = Router.Options()
        options.trustedProxies = ["10.0.0.1"]
        let router = Router(options) { root in
            root.get("/whoami") { _, context in Self.ok(context.clientAddress) }
        }
        let forwarded: HTTPHeaders = ["x-forwarded-for": "203.0.113.9, 198.51.100.4, 10.0.0.1"]
        let viaProxy = await router.handle(Self.request(.GET, "/whoami", headers: forwarded, from: "10.0.0.1"))
        #expect(String(buffer: viaProxy.body) == "198.51.100.4")
        let direct = await router.handle(Self.request(.GET, "/whoami", headers: forwarded, from: "192.0.2.7"))
        #expect(String(buffer: direct.body) == "192.0.2.7")
    }

    @Test("at debug, each request is one line with its id, method, path and status, and no query, token or body")
    func requestLog() async {
        let lines = CapturedLines()
        var options = Router.Options()
        options.logger = Logger(label: "test") { _ in
            var handler = CapturingLogHandler(lines: lines)
            handler.logLevel = .debug
            return handler
        }
        let router = Router(options) { root in root.get("/oauth/callback") { _, _ in Self.ok("fine") } }
        let secret = "state-and-code-secret"
        _ = await router.handle(
            Self.request(
                .GET, "/oauth/callback?code=\(secret)",
                headers: ["authorization": "Bearer \(secret)"]))
        _ = await router.handle(Self.request(.GET, "/oauth/callback"))
        let logged = lines.all
        #expect(logged.count == 2)
        #expect(logged.first?.hasPrefix("GET /oauth/callback 200") == true)
        #expect(logged.first?.contains("request_id=") == true)
        #expect(logged.first != logged.last)
        #expect(!logged.joined().contains(secret))
    }
}
