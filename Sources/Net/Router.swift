public import NIOHTTP1

/// What a route does with a request.
public typealias RouteHandler = @Sendable (HTTPRequest) async throws(APIError) -> HTTPResponse

/// Maps method and path to a handler. Paths are fixed segments and `{name}` parameters. An unknown path is
/// 404 SYS_002; a known path with another method is 405 SYS_003.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let segments: [Substring]
        let handler: RouteHandler
    }

    private var routes: [Route] = []
    /// Counts every answer, when set.
    var metrics: ServiceMetrics?

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        routes.append(Route(method: method, segments: path.split(separator: "/"), handler: handler))
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
        var pathMatched = false
        for route in routes {
            guard let parameters = match(route.segments, segments) else { continue }
            pathMatched = true
            guard route.method == request.method else { continue }
            var request = request
            request.parameters = parameters
            do {
                return try await route.handler(request)
            } catch {
                return error.response
            }
        }
        return (pathMatched ? APIError.methodNotAllowed : APIError.notFound).response
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
