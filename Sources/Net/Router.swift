public import NIOHTTP1

/// What a route does with a request.
public typealias RouteHandler = @Sendable (HTTPRequest) async throws(APIError) -> HTTPResponse

/// A route that answers without suspending, on the event loop that read the request: no task is created and no
/// thread is crossed. For hot paths whose work is a few locks and some hashing (introspection).
public typealias ImmediateRouteHandler = @Sendable (HTTPRequest) throws(APIError) -> HTTPResponse

/// Maps method and path to a handler. Paths are fixed segments and `{name}` parameters. An unknown path is
/// 404 SYS_002; a known path with another method is 405 SYS_003 with `Allow`. Where a path fits several
/// patterns, the one with the most fixed segments wins.
public struct Router: Sendable {
    struct Route: Sendable {
        enum Segment: Sendable {
            case fixed(String)
            case parameter(name: String)
        }

        let method: HTTPMethod
        let path: String
        let segments: [Segment]
        /// How many segments are fixed: the route with the most wins.
        let fixedCount: Int
        let handler: RouteHandler

        init(method: HTTPMethod, path: String, handler: @escaping RouteHandler) {
            self.method = method
            self.path = path
            segments = path.split(separator: "/").map { part in
                part.first == "{" && part.last == "}" ? .parameter(name: String(part.dropFirst().dropLast())) : .fixed(String(part))
            }
            fixedCount = segments.count { if case .fixed = $0 { true } else { false } }
            self.handler = handler
        }

        /// Whether every fixed segment is the request's (the segment counts are equal).
        func fits(_ parts: [Substring]) -> Bool {
            for (segment, part) in zip(segments, parts) {
                if case .fixed(let text) = segment, part != text { return false }
            }
            return true
        }

        func parameters(_ parts: [Substring]) -> [String: String] {
            var parameters: [String: String] = [:]
            for (segment, part) in zip(segments, parts) {
                if case .parameter(let name) = segment { parameters[name] = String(part) }
            }
            return parameters
        }
    }

    /// Every route, in the order added.
    private var routes: [Route] = []
    /// The same routes by their number of segments: a request is only compared with routes of its length.
    private var routesBySegmentCount: [Int: [Route]] = [:]
    /// Immediate routes by fixed path, with their methods.
    private var immediateRoutes: [String: [(method: HTTPMethod, handler: ImmediateRouteHandler)]] = [:]
    /// Counts every answer, when set.
    var metrics: ServiceMetrics?
    /// While this says so, every route but the `alwaysServed` paths answers 503 (the log has failed: the
    /// state in memory may hold changes that were never acknowledged, and are lost at the restart).
    var isOutOfService: (@Sendable () -> Bool)?
    /// The paths answered even out of service (health, metrics).
    var alwaysServed: Set<String> = []
    /// Browser origins allowed to call from scripts; nil: none (no CORS header is ever sent).
    var cors: CORSPolicy?
    /// The `Strict-Transport-Security` value every answer carries, when configured (HTTPS in production).
    var strictTransportSecurity: String?

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        let route = Route(method: method, path: path, handler: handler)
        routes.append(route)
        routesBySegmentCount[route.segments.count, default: []].append(route)
    }

    /// Adds a route answered on the event loop, without suspending (see `ImmediateRouteHandler`); `path` has no
    /// parameters.
    public mutating func addImmediate(_ method: HTTPMethod, _ path: String, _ handler: @escaping ImmediateRouteHandler) {
        precondition(!path.contains("{"), "immediate routes have fixed paths")
        immediateRoutes[path, default: []].append((method, handler))
        add(method, path) { request throws(APIError) in try handler(request) }
    }

    /// The answer of an immediate route for this request, or nil when its route suspends (or there is none).
    func handleNow(_ request: HTTPRequest) -> HTTPResponse? {
        guard let handler = immediateRoutes[request.path]?.first(where: { $0.method == request.method })?.handler else {
            return nil
        }
        var response: HTTPResponse
        if let refusal = outOfServiceAnswer(request) {
            response = refusal
        } else {
            do { response = try handler(request) } catch { response = error.response }
        }
        decorate(&response, for: request)
        metrics?.answered(status: response.status.code)
        return response
    }

    /// The paths and methods served, for documentation and tests.
    public var operations: [(method: HTTPMethod, path: String)] {
        routes.map { ($0.method, $0.path) }
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response: HTTPResponse
        if let preflight = cors?.preflightAnswer(request) {
            response = preflight
        } else if let refusal = outOfServiceAnswer(request) {
            response = refusal
        } else {
            response = await route(request)
        }
        decorate(&response, for: request)
        metrics?.answered(status: response.status.code)
        return response
    }

    /// The 503 every request but the always-served ones gets while the service is out of service: in RFC 6749
    /// form on the OAuth provider's protocol endpoints, in the contract's envelope elsewhere.
    private func outOfServiceAnswer(_ request: HTTPRequest) -> HTTPResponse? {
        guard let isOutOfService, isOutOfService(), !alwaysServed.contains(request.path) else { return nil }
        if Self.oauthProtocolPaths.contains(request.path) {
            return APIError(oauth: .unavailable("the service cannot store changes and answers nothing until it restarts"))
                .response
        }
        return APIError(.serviceUnavailable, "SYS_007", "the service cannot store changes and answers nothing until it restarts")
            .response
    }

    /// The headers of the deployment's policy: CORS for allowed origins, HSTS when configured.
    private func decorate(_ response: inout HTTPResponse, for request: HTTPRequest) {
        cors?.decorate(&response, for: request)
        if let strictTransportSecurity { response.headers.add(name: "strict-transport-security", value: strictTransportSecurity) }
    }

    /// The OAuth provider's endpoints that answer errors in RFC 6749 form.
    static let oauthProtocolPaths: Set<String> = [
        "/api/v1/oauth/provider/token", "/api/v1/oauth/provider/revoke", "/api/v1/oauth/provider/introspect",
    ]

    /// What a method and path reach.
    public enum Match: Sendable, Equatable {
        /// A route, with the values of its `{name}` segments.
        case found(parameters: [String: String])
        case notFound
        /// The path is served, with these methods only.
        case methodNotAllowed(allowed: [String])
    }

    /// Which route answers `method` on `path` (what every request pays before its handler runs).
    public func match(_ method: HTTPMethod, path: String) -> Match {
        switch resolve(method, path: path) {
        case .route(_, let parameters): .found(parameters: parameters)
        case .notFound: .notFound
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed: allowed)
        }
    }

    private enum Resolution {
        case route(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed([String])
    }

    private func resolve(_ method: HTTPMethod, path: String) -> Resolution {
        let parts = Self.segments(of: path)
        // A fixed segment beats a parameter: `/users/me` is never `/users/{user_id}` with "me" as the id.
        var candidates: [Route] = []
        var mostFixed = -1
        for route in routesBySegmentCount[parts.count] ?? [] where route.fixedCount >= mostFixed && route.fits(parts) {
            if route.fixedCount > mostFixed { (candidates, mostFixed) = ([], route.fixedCount) }
            candidates.append(route)
        }
        guard !candidates.isEmpty else { return .notFound }
        guard let chosen = candidates.first(where: { $0.method == method }) else {
            var allowed: [String] = []
            for candidate in candidates where !allowed.contains(candidate.method.rawValue) {
                allowed.append(candidate.method.rawValue)
            }
            return .methodNotAllowed(allowed)
        }
        return .route(chosen, parameters: chosen.parameters(parts))
    }

    /// The non-empty parts of `path` between slashes, found as bytes (splitting by `Character` would run
    /// grapheme breaking over the path).
    static func segments(of path: String) -> [Substring] {
        var parts: [Substring] = []
        var start = path.utf8.startIndex
        var index = start
        while index != path.utf8.endIndex {
            if path.utf8[index] == UInt8(ascii: "/") {
                if start != index { parts.append(path[start..<index]) }
                start = path.utf8.index(after: index)
            }
            index = path.utf8.index(after: index)
        }
        if start != index { parts.append(path[start..<index]) }
        return parts
    }

    private func route(_ request: HTTPRequest) async -> HTTPResponse {
        switch resolve(request.method, path: request.path) {
        case .notFound:
            return APIError.notFound.response
        case .methodNotAllowed(let allowed):
            // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
            var error = APIError.methodNotAllowed
            error.headers.add(name: "allow", value: allowed.joined(separator: ", "))
            return error.response
        case .route(let route, let parameters):
            var request = request
            request.parameters = parameters
            do {
                return try await route.handler(request)
            } catch {
                return error.response
            }
        }
    }
}
