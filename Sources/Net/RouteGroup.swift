public import NIOHTTP1

/// Routes under one path prefix that share guards and an error style. Groups nest: a group made from another
/// adds its prefix and its guards after the outer group's, and may change the style.
///
/// ```swift
/// let signedIn = root.group("/api/v1", guards: [Authenticated(auth: auth)])
/// signedIn.get("/users/me") { request, context in … try context.requireIdentity() … }
/// ```
public struct RouteGroup {
    /// The routes being collected; `Router` takes them once every group has added its own.
    final class Table {
        var routes: [Route] = []
    }

    let table: Table
    let prefix: String
    let guards: [any RequestGuard]
    let errorStyle: ErrorStyle

    init(table: Table, prefix: String = "", guards: [any RequestGuard] = [], errorStyle: ErrorStyle = .envelope) {
        self.table = table
        self.prefix = prefix
        self.guards = guards
        self.errorStyle = errorStyle
    }

    /// A group below this one: `prefix` is appended to this group's, `guards` run after this group's.
    func group(_ prefix: String = "", guards: [any RequestGuard] = [], errorStyle: ErrorStyle? = nil) -> RouteGroup {
        RouteGroup(
            table: table, prefix: self.prefix + prefix, guards: self.guards + guards,
            errorStyle: errorStyle ?? self.errorStyle)
    }

    /// Adds a route. `path` may have `{name}` segments, whose values the request's `parameters` hold.
    public func on(
        _ method: HTTPMethod, _ path: String, limit: RateLimit? = nil, servedWhenOutOfService: Bool = false,
        _ handler: @escaping RouteHandler
    ) {
        table.routes.append(
            Route(
                method: method, path: prefix + path, rateLimit: limit, guards: guards,
                errorStyle: errorStyle, servedWhenOutOfService: servedWhenOutOfService,
                handler: .suspending(handler)))
    }

    package func get(_ path: String, limit: RateLimit? = nil, _ handler: @escaping RouteHandler) {
        on(.GET, path, limit: limit, handler)
    }

    package func post(_ path: String, limit: RateLimit? = nil, _ handler: @escaping RouteHandler) {
        on(.POST, path, limit: limit, handler)
    }

    package func put(_ path: String, limit: RateLimit? = nil, _ handler: @escaping RouteHandler) {
        on(.PUT, path, limit: limit, handler)
    }

    package func patch(_ path: String, limit: RateLimit? = nil, _ handler: @escaping RouteHandler) {
        on(.PATCH, path, limit: limit, handler)
    }

    package func delete(_ path: String, limit: RateLimit? = nil, _ handler: @escaping RouteHandler) {
        on(.DELETE, path, limit: limit, handler)
    }

    /// Adds a route answered on the event loop, without suspending (see `ImmediateRouteHandler`): its path has
    /// no parameters, it has no rate limit, and every guard of its group must be an `ImmediateRequestGuard`.
    func immediate(_ method: HTTPMethod, _ path: String, _ handler: @escaping ImmediateRouteHandler) {
        precondition(!path.contains("{"), "immediate routes have fixed paths")
        let immediateGuards = guards.compactMap { $0 as? any ImmediateRequestGuard }
        precondition(immediateGuards.count == guards.count, "an immediate route's guards never suspend")
        table.routes.append(
            Route(
                method: method, path: prefix + path, rateLimit: nil, guards: guards,
                errorStyle: errorStyle, servedWhenOutOfService: false,
                handler: .immediate(handler, guards: immediateGuards)))
    }
}
