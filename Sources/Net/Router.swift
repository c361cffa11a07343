import Engine
package import Logging
public import NIOHTTP1
import Synchronization

/// The route table, built once, and the way every request goes through it: resolve the route (404 SYS_002 for
/// an unknown path; 405 SYS_003 with `Allow` for a known path and another method; where several patterns fit,
/// the one with the most fixed segments wins), take its rate limit, run its guards, run its handler, and turn
/// whatever was thrown into an answer at `ErrorBoundary` — the only place errors become answers.
public struct Router: Sendable {
    /// What the deployment decides about every answer.
    public struct Options: Sendable {
        /// Nil when rate limiting is off (`--rate-limit off`, for benchmarks).
        package var rateLimiter: RateLimiter?
        /// Proxies whose `X-Forwarded-For` is believed (by their socket address); none by default.
        package var trustedProxies: Set<String> = []
        /// Where request lines (at `debug`) and unexpected errors go.
        package var logger = Logger(label: "tessera.http")
        /// Counts every answer, when set.
        package var metrics: ServiceMetrics?
        /// While this says so, every route but those served out of service answers 503: the log has failed, and
        /// memory may hold changes that were never acknowledged and are lost at the restart.
        package var isOutOfService: (@Sendable () -> Bool)?
        /// Browser origins allowed to call from scripts; nil: none (no CORS header is ever sent).
        package var cors: CORSPolicy?
        /// The `Strict-Transport-Security` value every answer carries, when configured (HTTPS in production).
        package var strictTransportSecurity: String?
        /// A cluster node's membership: changes that reach a follower are forwarded to the leader.
        package var cluster: (any ClusterMembership)?

        public init(rateLimiter: RateLimiter? = nil) { self.rateLimiter = rateLimiter }
    }

    let options: Options
    /// Every route, in the order added.
    private let routes: [Route]
    /// The same routes by their number of segments: a request is only compared with routes of its length.
    private let routesBySegmentCount: [Int: [Route]]
    /// Immediate routes by fixed path.
    private let immediateRoutes: [String: [Route]]
    private let requestNumbers = RequestNumbers()

    /// A router whose routes `build` adds to the root group it is given.
    public init(_ options: Options = Options(), build: (RouteGroup) -> Void) {
        let root = RouteGroup(table: RouteGroup.Table())
        build(root)
        self.options = options
        routes = root.table.routes
        routesBySegmentCount = Dictionary(grouping: routes) { $0.segments.count }
        var immediate: [String: [Route]] = [:]
        for route in routes {
            if case .immediate = route.handler { immediate[route.path, default: []].append(route) }
        }
        immediateRoutes = immediate
    }

    /// The paths and methods served, for documentation and tests.
    package var operations: [(method: HTTPMethod, path: String)] {
        routes.map { ($0.method, $0.path) }
    }

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
        switch resolve(Self.routingMethod(method), path: path) {
        case .route(_, let parameters): .found(parameters: parameters)
        case .notFound: .notFound
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed: allowed)
        }
    }

    /// The answer of an immediate route for this request, or nil when its route suspends (or there is none).
    func handleNow(_ request: HTTPRequest) -> HTTPResponse? {
        let method = Self.routingMethod(request.method)
        guard let route = immediateRoutes[request.path]?.first(where: { $0.method == method }),
            case .immediate(let handler, let guards) = route.handler
        else { return nil }
        var context = makeContext(request)
        var response: HTTPResponse
        if isOutOfService {
            response = ErrorBoundary.outOfService(style: route.errorStyle).response
        } else {
            do {
                for guardian in guards { try guardian.checkNow(request, &context) }
                response = try handler(request, context)
            } catch {
                response = ErrorBoundary.answer(for: error, style: route.errorStyle, context: context).response
            }
        }
        finish(&response, for: request, context: context)
        return response
    }

    /// The answer for a request of a suspending route, or of no route.
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var context = makeContext(request)
        var response: HTTPResponse
        if let preflight = options.cors?.preflightAnswer(request) {
            response = preflight
        } else {
            response = await route(request, &context)
        }
        finish(&response, for: request, context: context)
        return response
    }

    private func route(_ request: HTTPRequest, _ context: inout RequestContext) async -> HTTPResponse {
        let resolution = resolve(Self.routingMethod(request.method), path: request.path)
        if isOutOfService {
            guard case .route(let route, _) = resolution, route.servedWhenOutOfService else {
                return ErrorBoundary.outOfService(style: resolution.errorStyle).response
            }
        }
        switch resolution {
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
            if let cluster = options.cluster, Self.changesState(route) {
                switch cluster.changes {
                case .here: break
                case .leader(let leader): return await forwarded(request, to: leader, route: route, context: context)
                case .nowhere: return Self.noLeader(route: route, context: context)
                }
            }
            guard let cluster = options.cluster else { return await answer(request, route: route, context: &context) }
            if request.headers.contains(name: ChangeForwarder.forwardedMark) {
                // Answering for a follower: say where the log ends now, for it to apply before it answers.
                var response = await answer(request, route: route, context: &context)
                response.headers.replaceOrAdd(name: ChangeForwarder.changeLSN, value: String(cluster.health.appliedLSN))
                return response
            }
            // A read that turns out to change something (a GET that signs out, or issues a code) is made at the
            // leader: whatever the layers made of the engine's refusal, the leader answers instead.
            let refused = RefusedChanges()
            let response = await RefusedChanges.$current.withValue(refused) {
                await answer(request, route: route, context: &context)
            }
            guard refused.any, case .leader(let leader) = options.cluster?.changes else { return response }
            return await forwarded(request, to: leader, route: route, context: context)
        }
    }

    /// The route's own answer: its rate limit, its guards, its handler, errors turned into answers.
    private func answer(_ request: HTTPRequest, route: Route, context: inout RequestContext) async -> HTTPResponse {
        do {
            if let limit = route.rateLimit, let limiter = options.rateLimiter,
                let wait = limiter.take(limit, client: context.clientAddress)
            {
                throw APIError.retryLater("too many requests; retry in \(wait) s", seconds: wait)
            }
            for guardian in route.guards { try await guardian.check(request, &context) }
            switch route.handler {
            case .suspending(let handler): return try await handler(request, context)
            case .immediate(let handler, _): return try handler(request, context)
            }
        } catch {
            return ErrorBoundary.answer(for: error, style: route.errorStyle, context: context).response
        }
    }

    /// Whether a route's requests are changes a follower forwards before anything else: every method but
    /// GET, HEAD and OPTIONS, except the immediate routes (introspection), which only read.
    private static func changesState(_ route: Route) -> Bool {
        if case .immediate = route.handler { return false }
        return ![.GET, .HEAD, .OPTIONS].contains(route.method)
    }

    /// The leader's answer — unless the request was forwarded here already: then this node, which the other
    /// took for the leader, answers 503 (the lease is changing hands) rather than pass it on again.
    private func forwarded(
        _ request: HTTPRequest, to leader: String, route: Route, context: RequestContext
    ) async -> HTTPResponse {
        guard !request.headers.contains(name: ChangeForwarder.forwardedMark) else {
            return Self.noLeader(route: route, context: context)
        }
        guard let cluster = options.cluster else { return Self.noLeader(route: route, context: context) }
        return await ChangeForwarder().forward(
            request, from: context.clientAddress, to: leader, style: route.errorStyle, cluster: cluster)
    }

    private static func noLeader(route: Route, context: RequestContext) -> HTTPResponse {
        let error = EngineError(.notLeader, "no node of the cluster leads right now; retry shortly")
        return ErrorBoundary.answer(for: error, style: route.errorStyle, context: context).response
    }

    private var isOutOfService: Bool { options.isOutOfService?() == true }

    private func makeContext(_ request: HTTPRequest) -> RequestContext {
        RequestContext(
            request: request, requestID: requestNumbers.next(), logger: options.logger,
            trustedProxies: options.trustedProxies,
            vouchedClient: options.cluster.flatMap { ChangeForwarder.vouchedClient(request, cluster: $0) })
    }

    /// The headers of the deployment's policy (CORS for allowed origins, HSTS when configured), the count, and
    /// the request line at `debug`.
    private func finish(_ response: inout HTTPResponse, for request: HTTPRequest, context: RequestContext) {
        options.cors?.decorate(&response, for: request)
        if let value = options.strictTransportSecurity {
            response.headers.add(name: "strict-transport-security", value: value)
        }
        options.metrics?.answered(status: response.status.code)
        // The path only: a query string may hold a code or a state.
        context.logger.debug(
            "\(request.method.rawValue) \(request.path) \(response.status.code)", metadata: context.metadata)
    }

    private enum Resolution {
        case route(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed([String])

        /// How an error about this request is written: in its route's style, in the envelope without one.
        var errorStyle: ErrorStyle {
            if case .route(let route, _) = self { route.errorStyle } else { .envelope }
        }
    }

    /// RFC 9110 §9.3.2: HEAD is answered as GET is, without the body (which the encoder leaves out).
    static func routingMethod(_ method: HTTPMethod) -> HTTPMethod { method == .HEAD ? .GET : method }

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
}

/// Numbers requests in the order they arrive, for the logs.
private final class RequestNumbers: Sendable {
    private let last = Atomic<UInt64>(0)

    func next() -> UInt64 { last.wrappingAdd(1, ordering: .relaxed).newValue }
}
