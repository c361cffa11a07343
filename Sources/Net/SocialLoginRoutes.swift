import Auth
import Engine
import Foundation
import NIOHTTP1
import Social

/// Social login (API.md): `/api/v1/oauth/providers`, `authorize/{provider}`, `callback/{provider}`,
/// `link/{provider}`, `accounts`. The browser that starts a flow gets a cookie whose digest the state keeps;
/// the callback must come with it, so a state lifted from one browser cannot finish in another.
extension Endpoints {
    /// The cookie that binds a flow to its browser. Scoped to these routes, never readable by scripts.
    static let bindingCookie = "tessera_social_binding"

    func addSocialLoginRoutes(public group: RouteGroup, signedIn: RouteGroup) {
        group.get("/providers") { _, _ in
            let entries = (social?.providers ?? []).map { ProviderResponse(configuration: $0.configuration) }
            return .json(.ok, JSONBody.encode(["providers": entries]))
        }
        // With a Bearer token the flow links an account to its user instead of signing in.
        group.group(guards: [Authenticated(auth: auth, optional: true)])
            .get("/authorize/{provider}", limit: .socialAuthorize) { request, context in
                try await startFlow(
                    try socialLogin(), request, redirectURI: request.query["redirect_uri"],
                    linkingUserID: context.identity?.userID)
            }
        group.post("/callback/{provider}", limit: .socialCallback) { request, context in
            let social = try socialLogin()
            let provider = try providerName(request)
            let body = try JSONBody.decode(SocialCallbackBody.self, from: request)
            // A linking's state finishes the linking (as the original backend's callback did), for the user
            // who started it, in the browser it started in.
            if let userID = await social.linkingUser(ofState: body.state) {
                return try await finishLinking(social, request, userID: userID, provider: provider, body: body)
            }
            let signIn = try await social.finishSignIn(
                provider: provider, code: body.code, state: body.state,
                browserBinding: Self.bindingCookie(of: request),
                device: device(of: request, context))
            return .json(
                .ok,
                TokenResponse(signIn.tokens).json(isNewUser: signIn.isNewUser), noStore: true)
        }
        signedIn.post("/link/{provider}", limit: .socialCallback) { request, context in
            let userID = try context.requireIdentity().userID
            let social = try socialLogin()
            let provider = try providerName(request)
            // Without a code, the original backend's shape: this starts a linking (as GET authorize with a
            // Bearer token does), and the callback — or this route with the code — finishes it.
            let body =
                request.body.readableBytes == 0
                ? SocialLinkBody() : try JSONBody.decode(SocialLinkBody.self, from: request)
            guard let code = body.code, let state = body.state else {
                return try await startFlow(
                    social, request, redirectURI: body.redirectURI ?? request.query["redirect_uri"],
                    linkingUserID: userID)
            }
            return try await finishLinking(
                social, request, userID: userID, provider: provider,
                body: SocialCallbackBody(code: code, state: state))
        }
        signedIn.get("/accounts") { _, context in
            let userID = try context.requireIdentity().userID
            guard let user = await engine.user(id: userID) else {
                throw APIError(.notFound, "USER_001", "user not found")
            }
            let accounts = await engine.externalAccounts(of: userID)
            return .json(
                .ok,
                JSONBody.encode(
                    ExternalAccountList(
                        accounts: accounts.map(ExternalAccountResponse.init),
                        hasPassword: user.hasPassword)))
        }
        signedIn.delete("/accounts/{provider}") { request, context in
            let provider = try providerName(request)
            try await SocialLogin.unlink(
                userID: try context.requireIdentity().userID, provider: provider, engine: engine)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "the \(provider) account is unlinked")))
        }
    }

    /// Starts a sign-in (or, with `linkingUserID`, a linking): `{authorization_url, state}` and the browser's
    /// binding cookie.
    private func startFlow(
        _ social: SocialLogin, _ request: HTTPRequest, redirectURI: String?, linkingUserID: UUID?
    )
        async throws -> HTTPResponse
    {
        guard let redirectURI, !redirectURI.isEmpty else {
            throw APIError(.unprocessableEntity, "VAL_001", "redirect_uri is required", field: "redirect_uri")
        }
        // A browser keeps its binding across flows, so that two tabs signing in at once both finish.
        let binding =
            Self.bindingCookie(of: request).flatMap { SocialLogin.isBrowserBinding($0) ? $0 : nil }
            ?? SocialLogin.newBrowserBinding()
        let provider = try providerName(request)
        let started = try await social.start(
            provider: provider, redirectURI: redirectURI, browserBinding: binding,
            linkingUserID: linkingUserID)
        var response = HTTPResponse.json(
            .ok,
            JSONBody.encode([
                "authorization_url": started.authorizationURL, "state": started.state,
            ]), noStore: true)
        response.headers.add(
            name: "set-cookie",
            value: "\(Self.bindingCookie)=\(binding); Path=/api/v1/oauth; "
                + "Max-Age=600; HttpOnly; Secure; SameSite=Lax")
        return response
    }

    /// Finishes `userID`'s linking with the code and state: the linked account.
    private func finishLinking(
        _ social: SocialLogin, _ request: HTTPRequest, userID: UUID, provider: String,
        body: SocialCallbackBody
    ) async throws -> HTTPResponse {
        let account = try await social.finishLinking(
            userID: userID, provider: provider, code: body.code,
            state: body.state, browserBinding: Self.bindingCookie(of: request))
        return .json(.ok, JSONBody.encode(ExternalAccountResponse(account: account)))
    }

    private func socialLogin() throws(APIError) -> SocialLogin {
        guard let social else { throw APIError(.notFound, "SYS_002", "social login is not configured") }
        return social
    }

    private func providerName(_ request: HTTPRequest) throws(APIError) -> String {
        guard let name = request.parameters["provider"], !name.isEmpty, name.utf8.count <= 64 else {
            throw APIError(.notFound, "SYS_002", "no such provider")
        }
        return name
    }

    /// The binding cookie the request carries, if any.
    static func bindingCookie(of request: HTTPRequest) -> String? {
        for header in request.headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces() == bindingCookie { return parts[1].trimmingSpaces() }
            }
        }
        return nil
    }
}
