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
        let method: HTTPMethod
        let segments: [Substring]
        let handler: RouteHandler
    }

    private var routes: [Route] = []
    /// Immediate routes by fixed path, with their methods.
    private var immediateRoutes: [String: [(method: HTTPMethod, handler: ImmediateRouteHandler)]] = [:]
    /// Counts every answer, when set.
    var metrics: ServiceMetrics?

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        routes.append(Route(method: method, segments: path.split(separator: "/"), handler: handler))
    }

    /// Adds a route answered on the event loop, without suspending (see `ImmediateRouteHandler`); `path` has no
    /// parameters.
    public mutating func addImmediate(_ method: HTTPMethod, _ path: String, _ handler: @escaping ImmediateRouteHandler) {
        precondition(!path.contains("{"), "immediate routes have fixed paths")
        immediateRoutes[path, default: []].append((method, handler))
        routes.append(Route(method: method, segments: path.split(separator: "/"), handler: { request throws(APIError) in
            try handler(request)
        }))
    }

    /// The answer of an immediate route for this request, or nil when its route suspends (or there is none).
    func handleNow(_ request: HTTPRequest) -> HTTPResponse? {
        guard let handler = immediateRoutes[request.path]?.first(where: { $0.method == request.method })?.handler else {
            return nil
        }
        let response: HTTPResponse
        do { response = try handler(request) } catch { response = error.response }
        metrics?.answered(status: response.status.code)
        return response
    }

    /// The paths and methods served, for documentation and tests.
    public var operations: [(method: HTTPMethod, path: String)] {
        routes.map { ($0.method, "/" + $0.segments.joined(separator: "/")) }
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let response = await route(request)
        metrics?.answered(status: response.status.code)
        return response
    }

    private func route(_ request: HTTPRequest) async -> HTTPResponse {
        let segments = request.path.split(separator: "/")
        // A fixed segment beats a parameter: `/users/me` is never `/users/{user_id}` with "me" as the id.
        var candidates: [(route: Route, parameters: [String: String])] = []
        var mostFixed = -1
        for route in routes {
            guard let parameters = match(route.segments, segments) else { continue }
            let fixed = route.segments.count - parameters.count
            if fixed > mostFixed { (candidates, mostFixed) = ([], fixed) }
            if fixed == mostFixed { candidates.append((route, parameters)) }
        }
        guard !candidates.isEmpty else { return APIError.notFound.response }
        guard let chosen = candidates.first(where: { $0.route.method == request.method }) else {
            // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
            var error = APIError.methodNotAllowed
            var allowed: [String] = []
            for candidate in candidates where !allowed.contains(candidate.route.method.rawValue) {
                allowed.append(candidate.route.method.rawValue)
            }
            error.headers.add(name: "allow", value: allowed.joined(separator: ", "))
            return error.response
        }
        var request = request
        request.parameters = chosen.parameters
        do {
            return try await chosen.route.handler(request)
        } catch {
            return error.response
        }
    }

    private func match(_ pattern: [Substring], _ segments: [Substring]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if expected.first == "{" && expected.last == "}" {
                parameters[String(expected.dropFirst().dropLast())] = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
