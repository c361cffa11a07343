import Auth
import Engine
import Foundation
import Net
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A running server on an ephemeral port over a fresh data directory, and a client for it.
final class HTTPHarness: Sendable {
    let directory: String
    let server: HTTPServer
    let auth: AuthService

    init(rateLimiter: RateLimiter? = nil, refreshGraceMilliseconds: Int64 = 10_000,
         trustedProxies: Set<String> = [], configure: (inout EngineConfiguration) -> Void = { _ in }) async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-http-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.shardCount = 4
        configuration.segmentSizeBytes = 1 << 20
        configuration.refreshGraceMilliseconds = refreshGraceMilliseconds
        configure(&configuration)
        let engine = try Engine.open(configuration)
        auth = AuthService(engine: engine, keys: try ServerKeys.loadOrCreate(directory: directory + "/data/keys"),
                           hasher: PasswordHasher(cost: 4, threads: 2))
        server = try await HTTPServer.start(host: "127.0.0.1", port: 0, router: API(auth: auth, passwordReset: PasswordResetService(
            auth: auth, outbox: JSONLinesOutbox(path: directory + "/data/outbox.jsonl"), frontendURL: "https://app.example"),
            rateLimiter: rateLimiter, trustedProxies: trustedProxies).router,
                                            bodyLimitBytes: 64 << 10, threads: 1)
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
        var errorField: String? { ((json["errors"] as? [[String: Any]])?.first)?["field"] as? String }
    }

    func send(_ method: String, _ path: String, json: String? = nil, body: Data? = nil, token: String? = nil,
              headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var lowered: [String: String] = [:]
        for (name, value) in http.allHeaderFields { lowered[String(describing: name).lowercased()] = String(describing: value) }
        return Answer(status: http.statusCode, headers: lowered, body: data)
    }

    static let password = "Correct-Horse-42"

    /// Registers and logs in; returns the login answer.
    func signUp(_ email: String) async throws -> Answer {
        let registered = try await send("POST", "/api/v1/auth/register",
                                        json: #"{"email":"\#(email)","password":"\#(Self.password)","first_name":"A"}"#)
        #expect(registered.status == 201)
        return try await send("POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"\#(Self.password)"}"#)
    }
}
