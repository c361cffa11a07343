import NIOHTTP1

/// What a route does with a request. It throws whatever its layer throws; `ErrorBoundary` answers it.
public typealias RouteHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// A route answered without suspending, on the event loop that read the request: no task is created and no
/// thread is crossed. For hot paths whose work is a few locks and some hashing (introspection).
package typealias ImmediateRouteHandler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse

/// One entry of the route table: where it is, what guards it, how its errors are written, what answers it.
struct Route: Sendable {
    enum Segment: Sendable, Equatable {
        case fixed(String)
        case parameter(name: String)
    }

    enum Handler: Sendable {
        case suspending(RouteHandler)
        case immediate(ImmediateRouteHandler, guards: [any ImmediateRequestGuard])
    }

    let method: HTTPMethod
    let path: String
    let segments: [Segment]
    /// How many segments are fixed: where several routes fit a path, the one with the most wins.
    let fixedCount: Int
    /// Taken before anything else: a client over its budget is refused before any work is done for it.
    let rateLimit: RateLimit?
    /// Run in order before the handler (outer groups first).
    let guards: [any RequestGuard]
    let errorStyle: ErrorStyle
    /// Answered even after the log failed (health, metrics).
    let servedWhenOutOfService: Bool
    let handler: Handler

    init(
        method: HTTPMethod, path: String, rateLimit: RateLimit?, guards: [any RequestGuard], errorStyle: ErrorStyle,
        servedWhenOutOfService: Bool, handler: Handler
    ) {
        self.method = method
        self.path = path
        segments = path.split(separator: "/").map { part in
            part.first == "{" && part.last == "}"
                ? .parameter(name: String(part.dropFirst().dropLast())) : .fixed(String(part))
        }
        fixedCount = segments.count { if case .fixed = $0 { true } else { false } }
        self.rateLimit = rateLimit
        self.guards = guards
        self.errorStyle = errorStyle
        self.servedWhenOutOfService = servedWhenOutOfService
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
