import Auth
import Engine

/// A check a request passes before its route runs: it refuses the request by throwing, or adds what it learnt
/// to the context. A group's guards run in the order they were given, outer groups first.
protocol RequestGuard: Sendable {
    func check(_ request: HTTPRequest, _ context: inout RequestContext) async throws
}

/// A guard that never suspends, so that immediate routes (answered on the event loop) may have it.
protocol ImmediateRequestGuard: RequestGuard {
    func checkNow(_ request: HTTPRequest, _ context: inout RequestContext) throws
}

extension ImmediateRequestGuard {
    func check(_ request: HTTPRequest, _ context: inout RequestContext) async throws {
        try checkNow(request, &context)
    }
}

/// A valid access token of an active session (401 otherwise); its claims become the context's identity.
/// With `optional`, a request without `Authorization` passes unidentified, but one with it must authenticate.
struct Authenticated: RequestGuard {
    let auth: AuthService
    var optional = false

    func check(_ request: HTTPRequest, _ context: inout RequestContext) async throws {
        guard let token = request.bearerToken else {
            if optional && !request.headers.contains(name: "authorization") { return }
            throw APIError.authenticationRequired
        }
        context.identity = try await auth.authenticate(token)
    }
}

/// The caller is a superuser now — the token's claim and the user as stored, which may have changed since the
/// token was issued (403 AUTH_004 otherwise). Needs `Authenticated` before it.
struct SuperuserOnly: RequestGuard {
    let engine: Engine

    func check(_ request: HTTPRequest, _ context: inout RequestContext) async throws {
        let claims = try context.requireIdentity()
        guard claims.isSuperuser, await engine.user(id: claims.userID)?.isSuperuser == true else {
            throw APIError.forbidden
        }
    }
}

/// An OAuth client authenticated by `client_secret_basic`, `client_secret_post` or, for public clients, its id
/// alone (RFC 6749 §2.3), from a form body (`application/x-www-form-urlencoded`, no parameter twice).
struct OAuthClientAuthenticated: ImmediateRequestGuard {
    let provider: OAuthProvider

    func checkNow(_ request: HTTPRequest, _ context: inout RequestContext) throws {
        let form = try OAuthForm.parse(request)
        context.client = AuthenticatedClient(
            form: form,
            client: try provider.authenticate(authorization: request.headers.first(name: "authorization"), form: form))
    }
}
