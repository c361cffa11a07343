public import Auth
import Engine
public import Social
import Foundation
import NIOCore
import NIOHTTP1

/// The routes of the contract that exist so far, wired to the auth service.
public struct API: Sendable {
    let auth: AuthService
    let version: String
    /// Nil when rate limiting is off (`--rate-limit off`, for benchmarks).
    let rateLimiter: RateLimiter?
    let passwordReset: PasswordResetService
    /// Proxies whose `X-Forwarded-For` is believed (by their socket address); empty by default.
    let trustedProxies: Set<String>
    /// Nil when `/metrics` is off.
    let metrics: ServiceMetrics?
    /// The OAuth 2.0 provider.
    let provider: OAuthProvider
    /// Sign-in with Google, GitHub and OpenID Connect providers; nil when none is configured.
    let social: SocialLogin?
    /// Browser origins allowed to call from scripts; nil: none.
    let cors: CORSPolicy?
    /// `Strict-Transport-Security` max-age in seconds; nil: no HSTS header (plain HTTP, or TLS ends elsewhere and
    /// sets it).
    let hstsMaxAgeSeconds: Int?

    /// `provider` defaults to one whose consent page is `<frontend URL>/oauth/consent`.
    public init(auth: AuthService, passwordReset: PasswordResetService, version: String = "0.1.0",
                rateLimiter: RateLimiter? = RateLimiter(), trustedProxies: Set<String> = [],
                metrics: ServiceMetrics? = ServiceMetrics(), provider: OAuthProvider? = nil, social: SocialLogin? = nil,
                cors: CORSPolicy? = nil, hstsMaxAgeSeconds: Int? = nil) {
        self.social = social
        self.cors = cors
        self.hstsMaxAgeSeconds = hstsMaxAgeSeconds
        self.provider = provider ?? OAuthProvider(auth: auth, consentURL: passwordReset.frontendURL + "/oauth/consent")
        self.metrics = metrics
        self.auth = auth
        self.passwordReset = passwordReset
        self.version = version
        self.rateLimiter = rateLimiter
        self.trustedProxies = trustedProxies
    }

    /// The client's address: the socket's, or — when the socket is a trusted proxy — the right-most address of
    /// `X-Forwarded-For` that is not itself a trusted proxy.
    func clientIP(_ request: HTTPRequest) -> String {
        let socket = request.clientIP ?? "unknown"
        guard trustedProxies.contains(socket), let header = request.headers.first(name: "x-forwarded-for") else { return socket }
        let hops = header.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? socket
    }

    /// Refuses the request with 429 SYS_004 and `Retry-After` when its client has used up the route's limit.
    func limit(_ route: String, _ request: HTTPRequest) throws(APIError) {
        guard let rateLimiter, let wait = rateLimiter.take(route: route, client: clientIP(request)) else { return }
        throw APIError.retryLater("too many requests; retry in \(wait) s", seconds: wait)
    }

    public var router: Router {
        var router = Router()
        // After the log failed, memory may hold changes that were answered 503 and are gone at the restart:
        // nothing is read from it any more (docs/engine.md).
        let log = auth.engine.log
        router.isOutOfService = { log.hasFailed }
        router.alwaysServed = ["/health", "/metrics"]
        router.cors = cors
        router.strictTransportSecurity = hstsMaxAgeSeconds.map { "max-age=\($0); includeSubDomains" }
        router.add(.GET, "/health") { _ throws(APIError) in health() }
        let document = OpenAPIDocument.json(version: version)
        router.add(.GET, "/api/v1/openapi.json") { _ throws(APIError) in .json(.ok, document) }
        if let metrics {
            router.metrics = metrics
            router.add(.GET, "/metrics") { _ throws(APIError) in
                HTTPResponse(status: .ok, headers: ["content-type": "text/plain; version=0.0.4"],
                             body: ByteBuffer(bytes: await metrics.scrape(auth.engine)))
            }
        }
        router.add(.POST, "/api/v1/auth/register") { request throws(APIError) in
            try limit("register", request)
            return try await register(request)
        }
        router.add(.POST, "/api/v1/auth/login") { request throws(APIError) in
            try limit("login", request)
            let body = try JSONBody.decode(LoginBody.self, from: request)
            return try await login(email: body.email, password: body.password, request: request)
        }
        router.add(.POST, "/api/v1/auth/login/oauth") { request throws(APIError) in
            try limit("login", request)
            let form = HTTPRequest.parseQuery(Substring(String(buffer: request.body)))
            guard let username = form["username"] else {
                throw APIError(.unprocessableEntity, "VAL_001", "field required", field: "username")
            }
            guard let password = form["password"] else {
                throw APIError(.unprocessableEntity, "VAL_001", "field required", field: "password")
            }
            return try await login(email: username, password: password, request: request)
        }
        router.add(.POST, "/api/v1/auth/refresh") { request throws(APIError) in
            try limit("refresh", request)
            let body = try JSONBody.decode(RefreshBody.self, from: request)
            do throws(AuthError) {
                let pair = try await auth.refresh(body.refreshToken)
                return tokenAnswer(pair)
            } catch {
                throw error.apiError
            }
        }
        router.add(.POST, "/api/v1/auth/logout") { request throws(APIError) in
            try limit("logout", request)
            let claims = try await authenticate(request)
            let body = try JSONBody.decode(RefreshBody.self, from: request)
            do throws(AuthError) { try await auth.logout(userID: claims.userID, refreshToken: body.refreshToken) } catch {
                throw error.apiError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "logged out")))
        }
        router.add(.POST, "/api/v1/auth/logout-all") { request throws(APIError) in
            try limit("logout-all", request)
            let claims = try await authenticate(request)
            let count: Int
            do throws(AuthError) { count = try await auth.logoutEverywhere(userID: claims.userID) } catch {
                throw error.apiError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "logged out of \(count) sessions", count: count)))
        }
        router.add(.GET, "/api/v1/users/me") { request throws(APIError) in
            let claims = try await authenticate(request)
            guard let user = await auth.engine.user(id: claims.userID) else { throw APIError(.notFound, "USER_001", "user not found") }
            return .json(.ok, JSONBody.encode(UserResponse(user: user)))
        }
        router.add(.PATCH, "/api/v1/users/me") { request throws(APIError) in
            let claims = try await authenticate(request)
            let body = try JSONBody.decode(ProfileBody.self, from: request)
            let user = try await body.apply(to: claims.userID, engine: auth.engine)
            return .json(.ok, JSONBody.encode(UserResponse(user: user)))
        }
        router.add(.PATCH, "/api/v1/users/me/password") { request throws(APIError) in
            try limit("password-change", request)
            let claims = try await authenticate(request)
            let body = try JSONBody.decode(PasswordChangeBody.self, from: request)
            do throws(AuthError) {
                try await auth.changePassword(userID: claims.userID, sessionID: claims.sessionID,
                                              current: body.currentPassword, new: body.newPassword)
            } catch {
                throw error.apiError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "password changed; other sessions ended")))
        }
        router.add(.DELETE, "/api/v1/sessions/me/expired") { request throws(APIError) in
            let claims = try await authenticate(request)
            let count: Int
            do { count = try await auth.engine.purgeInactiveSessions(of: claims.userID) } catch {
                throw APIError(.serviceUnavailable, "SYS_007", "the sessions could not be removed")
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "removed \(count) sessions", count: count)))
        }
        router.add(.GET, "/api/v1/sessions/me") { request throws(APIError) in
            let claims = try await authenticate(request)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let sessions = await auth.engine.sessions(of: claims.userID).filter { $0.isActive(at: now) }
            struct Answer: Encodable {
                let sessions: [SessionResponse]
                let total: Int
            }
            let entries = sessions.map { SessionResponse(session: $0, isCurrent: $0.id == claims.sessionID) }
            return .json(.ok, JSONBody.encode(Answer(sessions: entries, total: entries.count)))
        }
        router.add(.DELETE, "/api/v1/sessions/{session_id}") { request throws(APIError) in
            let claims = try await authenticate(request)
            guard let text = request.parameters["session_id"], let id = UUID(uuidString: text) else {
                throw APIError(.unprocessableEntity, "VAL_005", "invalid session id", field: "session_id")
            }
            guard let session = await auth.engine.session(id: id) else { throw APIError(.notFound, "SYS_002", "session not found") }
            guard session.userID == claims.userID else { throw APIError(.forbidden, "AUTH_004", "not your session") }
            do { try await auth.engine.revokeSession(id, of: claims.userID) } catch {
                throw APIError(.serviceUnavailable, "SYS_007", "the session could not be revoked")
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "session revoked")))
        }
        router.add(.POST, "/api/v1/auth/password-reset/request") { request throws(APIError) in
            try limit("password-reset-request", request)
            struct Body: Decodable { let email: String }
            let body = try JSONBody.decode(Body.self, from: request)
            // The answer goes out at once, the same for every email: waiting for the reset to be logged would
            // make a known address answer one fsync later than an unknown one. The reset's own work starts only
            // after a pause, at low priority, so that it does not compete with this answer on its way out (it
            // did: known addresses answered 0.01–0.05 ms later). The mail is sent only once the reset is
            // durable; a failure is reported on standard error (and the log's in `/health`).
            Task(priority: .background) { [passwordReset] in
                try? await Task.sleep(for: .milliseconds(20))
                do throws(AuthError) { try await passwordReset.request(email: body.email) } catch {
                    FileHandle.standardError.write(Data("tessera: a password reset failed: \(error.message)\n".utf8))
                }
            }
            return .json(.ok, JSONBody.encode(MessageResponse(
                message: "if an account with this email exists, a reset link has been sent")))
        }
        router.add(.POST, "/api/v1/auth/password-reset/confirm") { request throws(APIError) in
            try limit("password-reset-confirm", request)
            struct Body: Decodable {
                let token: String
                let newPassword: String
                enum CodingKeys: String, CodingKey { case token, newPassword = "new_password" }
            }
            let body = try JSONBody.decode(Body.self, from: request)
            do throws(AuthError) { try await passwordReset.confirm(token: body.token, newPassword: body.newPassword) } catch {
                if error.code == .tokenInvalid { throw APIError(.badRequest, "AUTH_003", error.message, field: "token") }
                throw error.apiError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "password changed; every session has ended")))
        }
        addUserRoutes(to: &router)
        addAdminUserRoutes(to: &router)
        addAdminSessionRoutes(to: &router)
        addOrganizationRoutes(to: &router)
        addAdminOrganizationRoutes(to: &router)
        addAdminStatsRoute(to: &router)
        addOAuthProviderRoutes(to: &router)
        addOAuthManagementRoutes(to: &router)
        addSocialLoginRoutes(to: &router)
        return router
    }

    private func health() -> HTTPResponse {
        struct Answer: Encodable {
            let status: String
            let timestamp: String
            let version: String
            let durability: String
            let checks: [String: String]
        }
        let failure = auth.engine.log.failure
        let answer = Answer(status: failure == nil ? "ok" : "unavailable",
                            timestamp: iso8601(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)),
                            version: version, durability: auth.engine.configuration.durability.description,
                            checks: ["wal": failure.map { "failed: \($0.code)" } ?? "ok",
                                     "snapshot": auth.engine.snapshotStatus.summary])
        return .json(failure == nil ? .ok : .serviceUnavailable, JSONBody.encode(answer))
    }

    private func register(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let body = try JSONBody.decode(RegisterBody.self, from: request)
        if body.isSuperuser == true {
            throw APIError(.forbidden, "AUTH_004", "registration cannot create a superuser", field: "is_superuser")
        }
        guard Validation.isEmail(body.email) else { throw APIError(.unprocessableEntity, "VAL_003", "invalid email", field: "email") }
        if let phone = body.phoneNumber, !Validation.isPhoneNumber(phone) {
            throw APIError(.unprocessableEntity, "VAL_004", "invalid phone number", field: "phone_number")
        }
        try Validation.checkName(body.firstName, field: "first_name", required: true)
        if let lastName = body.lastName { try Validation.checkName(lastName, field: "last_name", required: false) }
        do {
            let user = try await auth.register(email: body.email, password: body.password, firstName: body.firstName,
                                               lastName: body.lastName, phoneNumber: body.phoneNumber)
            return .json(.created, JSONBody.encode(UserResponse(user: user)))
        } catch {
            throw error.apiError
        }
    }

    /// The device a new session records: `User-Agent`, `X-Device-Id` and the client's address.
    func device(of request: HTTPRequest) -> DeviceInfo {
        DeviceInfo(deviceName: request.headers.first(name: "user-agent").map { Self.truncated($0, toBytes: 200) },
                   deviceID: request.headers.first(name: "x-device-id").map { Self.truncated($0, toBytes: 200) },
                   ipAddress: clientIP(request))
    }

    /// The longest prefix of `text`, in whole characters, of at most `bytes` bytes of UTF-8.
    static func truncated(_ text: String, toBytes bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            let next = text.index(after: index)
            used += text.utf8.distance(from: index, to: next)
            guard used <= bytes else { break }
            end = next
        }
        return String(text[..<end])
    }

    private func login(email: String, password: String, request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        do {
            return tokenAnswer(try await auth.login(email: email, password: password, device: device(of: request)))
        } catch {
            throw error.apiError
        }
    }

    private func tokenAnswer(_ pair: TokenPair) -> HTTPResponse {
        .json(.ok, JSONBody.encode(TokenResponse(accessToken: pair.accessToken, refreshToken: pair.refreshToken,
                                                 expiresIn: pair.expiresIn, user: UserResponse(user: pair.user))),
              noStore: true)
    }

    /// The caller's claims: a valid access token whose session is active, or 401.
    func authenticate(_ request: HTTPRequest) async throws(APIError) -> AccessClaims {
        guard let token = request.bearerToken else { throw APIError.authenticationRequired }
        do { return try await auth.authenticate(token) } catch { throw error.apiError }
    }
}

struct RegisterBody: Decodable {
    let email: String
    let password: String
    let firstName: String
    let lastName: String?
    let phoneNumber: String?
    let isSuperuser: Bool?

    enum CodingKeys: String, CodingKey {
        case email, password, firstName = "first_name", lastName = "last_name", phoneNumber = "phone_number"
        case isSuperuser = "is_superuser"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        email = try container.decode(String.self, forKey: .email)
        password = try container.decode(String.self, forKey: .password)
        firstName = try container.decode(String.self, forKey: .firstName)
        lastName = try container.decodeIfPresent(String.self, forKey: .lastName)
        phoneNumber = try container.decodeIfPresent(String.self, forKey: .phoneNumber)
        isSuperuser = try container.decodeUnlessAbsent(Bool.self, forKey: .isSuperuser)
    }
}

struct LoginBody: Decodable {
    let email: String
    let password: String
}

struct RefreshBody: Decodable {
    let refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
}
