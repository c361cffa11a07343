package import Auth
import Engine
package import Logging
package import Social

/// The HTTP API of the contract: its services, and the route table built from them once.
package struct API: Sendable {
    /// Every route, with the deployment's options.
    package let router: Router

    /// `provider` defaults to one whose consent page is `<frontend URL>/oauth/consent`.
    package init(
        auth: AuthService, passwordReset: PasswordResetService, version: String = "0.1.0",
        rateLimiter: RateLimiter? = RateLimiter(), trustedProxies: Set<String> = [],
        metrics: ServiceMetrics? = ServiceMetrics(), provider: OAuthProvider? = nil, social: SocialLogin? = nil,
        cors: CORSPolicy? = nil, hstsMaxAgeSeconds: Int? = nil,
        registration: RegistrationSettings = RegistrationSettings(), cluster: (any ClusterMembership)? = nil,
        logger: Logger = Logger(label: "tessera.http")
    ) {
        let endpoints = Endpoints(
            auth: auth, engine: auth.engine, passwordReset: passwordReset, version: version, metrics: metrics,
            provider: provider ?? OAuthProvider(auth: auth, consentURL: ""),
            social: social, registration: registration, cluster: cluster, logger: logger)
        var options = Router.Options(rateLimiter: rateLimiter)
        options.trustedProxies = trustedProxies
        options.logger = logger
        options.metrics = metrics
        options.cors = cors
        options.cluster = cluster
        options.strictTransportSecurity = hstsMaxAgeSeconds.map { "max-age=\($0); includeSubDomains" }
        // After the log failed, memory may hold changes that were answered 503 and are gone at the restart:
        // nothing is read from it any more (docs/engine.md).
        let log = auth.engine.log
        options.isOutOfService = { log.hasFailed }
        router = Router(options) { root in endpoints.add(to: root) }
    }
}

/// The services the routes call, and the groups they are added in. Each file `…Routes.swift` adds one part of
/// the contract to its group; guards decide who may call, routes just throw.
struct Endpoints: Sendable {
    let auth: AuthService
    let engine: Engine
    let passwordReset: PasswordResetService
    let version: String
    /// Nil when `/metrics` is off.
    let metrics: ServiceMetrics?
    /// The OAuth 2.0 provider.
    let provider: OAuthProvider
    /// Sign-in with Google, GitHub and OpenID Connect providers; nil when none is configured.
    let social: SocialLogin?
    /// Whether and how clients may register themselves (RFC 7591).
    let registration: RegistrationSettings
    /// A cluster node's membership (`/health` says its place); nil on a single node.
    let cluster: (any ClusterMembership)?
    let logger: Logger

    func add(to root: RouteGroup) {
        addSystemRoutes(to: root)
        addFrontDoorRoutes(to: root)
        addSignInRoutes(to: root)
        addSocialSignInRoutes(to: root)
        if provider.idTokenKeys != nil { addLogoutRoutes(to: root) }
        addSignOutRoute(to: root)
        let v1 = root.group("/api/v1")
        let signedIn = v1.group(guards: [Authenticated(auth: auth)])
        let superusers = signedIn.group(guards: [SuperuserOnly(engine: engine)])
        addAuthRoutes(public: v1.group("/auth"), signedIn: signedIn.group("/auth"))
        addPasswordResetRoutes(to: v1.group("/auth/password-reset"))
        addProfileRoutes(to: signedIn)
        addSessionRoutes(to: signedIn.group("/sessions"))
        addUserRoutes(signedIn: signedIn.group("/users"), superusers: superusers.group("/users"))
        addOrganizationRoutes(to: signedIn.group("/organizations"))
        let admin = superusers.group("/admin")
        addAdminUserRoutes(to: admin.group("/users"))
        addAdminSessionRoutes(to: admin.group("/sessions"))
        addAdminOrganizationRoutes(to: admin.group("/organizations"))
        addAdminStatsRoute(to: admin)
        let provider = v1.group("/oauth/provider")
        addOAuthProtocolRoutes(
            clients: provider.group(guards: [OAuthClientAuthenticated(provider: self.provider)], errorStyle: .oauth),
            root: root)
        addClientRegistrationRoutes(to: provider.group(errorStyle: .oauth))
        addInitialAccessTokenRoutes(to: superusers.group("/oauth/provider/initial-access-tokens"))
        addOAuthManagementRoutes(
            public: v1.group("/oauth/provider"), signedIn: signedIn.group("/oauth/provider"),
            superusers: superusers.group("/oauth/provider"))
        addSocialLoginRoutes(public: v1.group("/oauth"), signedIn: signedIn.group("/oauth"))
    }

    /// The device a new session records: `User-Agent`, `X-Device-Id` and the client's address.
    func device(of request: HTTPRequest, _ context: RequestContext) -> DeviceInfo {
        DeviceInfo(
            deviceName: request.headers.first(name: "user-agent").map { Self.truncated($0, toBytes: 200) },
            deviceID: request.headers.first(name: "x-device-id").map { Self.truncated($0, toBytes: 200) },
            ipAddress: context.clientAddress)
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

    /// The answer of a login, a refresh or a social sign-in: the pair and the user, never cached.
    static func tokenAnswer(_ pair: TokenPair) -> HTTPResponse {
        .json(.ok, TokenResponse(pair).json(), noStore: true)
    }
}
