import Auth
import Engine
import Foundation
import Net
import Social
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Lines a component reported, kept for a test to read.
final class ReportedLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}

/// A running server on an ephemeral port over a fresh data directory, and a client for it.
final class HTTPHarness: Sendable {
    let directory: String
    let server: HTTPServer
    let auth: AuthService
    /// What back-channel logout said, a line each (with `logoutDelivery`).
    let logoutReports = ReportedLines()

    init(
        rateLimiter: RateLimiter? = nil, refreshGraceMilliseconds: Int64 = 10_000,
        trustedProxies: Set<String> = [], eddsa: Bool = false, clock: (any EngineClock)? = nil,
        social: ((AuthService) -> SocialLogin)? = nil, bcryptCost: UInt8 = 4, throttle: LoginThrottle? = nil,
        limits: ConnectionLimits = HTTPHarness.limits, cors: CORSPolicy? = nil, hstsMaxAgeSeconds: Int? = nil,
        registration: RegistrationSettings = RegistrationSettings(), resourcePolicy: ResourcePolicy = ResourcePolicy(),
        ownConsentPage: Bool = false, documents: (any ClientDocumentFetcher)? = nil,
        issuer: String = "http://tessera.test", logoutDelivery: (any LogoutTokenDelivery)? = nil,
        cluster: (any ClusterMembership)? = nil, configure: (inout EngineConfiguration) -> Void = { _ in }
    ) async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-http-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.shardCount = 4
        configuration.segmentSizeBytes = 1 << 20
        configuration.refreshGraceMilliseconds = refreshGraceMilliseconds
        configure(&configuration)
        let engine = try clock.map { try Engine.open(configuration, clock: $0) } ?? Engine.open(configuration)
        let keys = try ServerKeys.loadOrCreate(directory: directory + "/data/keys")
        let ring =
            eddsa
            ? try SigningKeyRing(
                directory: directory + "/data/keys/ed25519",
                nowSeconds: Int64(Date().timeIntervalSince1970), rotationSeconds: nil,
                retentionSeconds: 900) : nil
        auth = AuthService(
            engine: engine, keys: keys,
            hasher: PasswordHasher(cost: bcryptCost, threads: 2), clock: clock ?? SystemClock(),
            issuer: issuer, throttle: throttle, signing: ring.map { .eddsa($0) })
        let provider = OAuthProvider(
            auth: auth, scopesSupported: Self.scopes,
            consentURL: ownConsentPage ? "" : "https://app.example/oauth/consent",
            resourcePolicy: resourcePolicy,
            documents: documents.map { ClientDocuments(fetcher: $0, clock: clock ?? SystemClock()) },
            idTokenKeys: IDTokenKeys(
                directory: directory + "/data/keys", rotationSeconds: nil, retentionSeconds: 3600,
                accessTokenRing: ring))
        if let logoutDelivery {
            let reports = logoutReports
            BackchannelLogout(
                provider: provider, delivery: logoutDelivery, attempts: 3, retryDelay: .zero,
                report: { line in reports.append(line) }
            ).start()
        }
        server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0,
            router: API(
                auth: auth,
                passwordReset: PasswordResetService(
                    auth: auth, outbox: JSONLinesOutbox(path: directory + "/data/outbox.jsonl"),
                    frontendURL: "https://app.example"),
                rateLimiter: rateLimiter, trustedProxies: trustedProxies,
                provider: provider,
                social: social?(auth), cors: cors, hstsMaxAgeSeconds: hstsMaxAgeSeconds, registration: registration,
                cluster: cluster
            ).router,
            limits: limits, threads: 1)
    }

    /// The scopes clients may have in tests: short ones, as the tests name them.
    static let scopes = ["read", "write", "profile", "email", "openid", "offline_access"]

    /// The server's limits in tests: a 64 KiB body limit, the rest as served.
    static var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.bodyLimitBytes = 64 << 10
        return limits
    }

    func close() async {
        await server.stop()
        await auth.engine.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }

        /// The first error code of an error envelope.
        var errorCode: String? { ((json["errors"] as? [[String: Any]])?.first)?["code"] as? String }
        var errorMessage: String? { ((json["errors"] as? [[String: Any]])?.first)?["message"] as? String }
        var errorField: String? { ((json["errors"] as? [[String: Any]])?.first)?["field"] as? String }
    }

    /// Sends a request over a fresh connection and returns the answer exactly as the server wrote it (a 302 is
    /// not followed, a 401 is not answered with credentials).
    func send(
        _ method: String, _ path: String, json: String? = nil, body: Data? = nil, token: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> Answer {
        try await Self.send(port: server.port, method, path, json: json, body: body, token: token, headers: headers)
    }

    /// `send` to any server on this machine (a `tessera serve` process).
    static func send(
        port: Int, _ method: String, _ path: String, json: String? = nil, body: Data? = nil,
        token: String? = nil, headers: [String: String] = [:]
    ) async throws -> Answer {
        var fields: [(String, String)] = []
        var payload = body
        if let json {
            payload = Data(json.utf8)
            fields.append(("Content-Type", "application/json"))
        }
        if let token { fields.append(("Authorization", "Bearer \(token)")) }
        for (name, value) in headers { fields.append((name, value)) }
        let answer = try await PlainHTTPClient.send(
            port: port, method: method, path: path, headers: fields,
            body: payload)
        return Answer(status: answer.status, headers: answer.headers, body: answer.body)
    }

    /// POSTs a form (`application/x-www-form-urlencoded`), with HTTP Basic credentials when given.
    func sendForm(
        _ path: String, _ fields: [(String, String)], basic: (String, String)? = nil, token: String? = nil
    )
        async throws -> Answer
    {
        func encoded(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
        }
        let body = fields.map { encoded($0.0) + "=" + encoded($0.1) }.joined(separator: "&")
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let (id, secret) = basic {
            headers["Authorization"] = "Basic " + Data("\(encoded(id)):\(encoded(secret))".utf8).base64EncodedString()
        }
        return try await send("POST", path, body: Data(body.utf8), token: token, headers: headers)
    }

    static let password = "Correct-Horse-42"

    /// Registers and logs in; returns the login answer.
    func signUp(_ email: String) async throws -> Answer {
        let registered = try await send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"\#(email)","password":"\#(Self.password)","first_name":"A"}"#)
        #expect(registered.status == 201)
        return try await send(
            "POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"\#(Self.password)"}"#)
    }
}
