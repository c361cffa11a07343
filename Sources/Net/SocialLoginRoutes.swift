import Auth
import Engine
import Foundation
import NIOHTTP1
import Social

/// Social login (API.md): `/api/v1/oauth/providers`, `authorize/{provider}`, `callback/{provider}`,
/// `link/{provider}`, `accounts`. The browser that starts a flow gets a cookie whose digest the state keeps;
/// the callback must come with it, so a state lifted from one browser cannot finish in another.
extension API {
    /// The cookie that binds a flow to its browser. Scoped to these routes, never readable by scripts.
    static let bindingCookie = "tessera_social_binding"

    func addSocialLoginRoutes(to router: inout Router) {
        router.add(.GET, "/api/v1/oauth/providers") { _ throws(APIError) in
            let entries = (social?.providers ?? []).map { ProviderResponse(configuration: $0.configuration) }
            return .json(.ok, JSONBody.encode(["providers": entries]))
        }
        router.add(.GET, "/api/v1/oauth/authorize/{provider}") { request throws(APIError) in
            try limit("social-authorize", request)
            let social = try socialLogin()
            // With a Bearer token the flow links an account to its user instead of signing in.
            let linkingUserID = request.headers.contains(name: "authorization") ? try await authenticate(request).userID : nil
            return try await startFlow(social, request, redirectURI: request.query["redirect_uri"],
                                       linkingUserID: linkingUserID)
        }
        router.add(.POST, "/api/v1/oauth/callback/{provider}") { request throws(APIError) in
            try limit("social-callback", request)
            let social = try socialLogin()
            let provider = try providerName(request)
            let body = try JSONBody.decode(SocialCallbackBody.self, from: request)
            // A linking's state finishes the linking (as the original backend's callback did), for the user
            // who started it, in the browser it started in.
            if let userID = await social.linkingUser(ofState: body.state) {
                return try await finishLinking(social, request, userID: userID, provider: provider, body: body)
            }
            do throws(SocialLoginError) {
                let signIn = try await social.finishSignIn(provider: provider, code: body.code,
                                                           state: body.state, browserBinding: Self.bindingCookie(of: request),
                                                           device: device(of: request))
                return .json(.ok, JSONBody.encode(SocialTokenResponse(
                    tokens: TokenResponse(accessToken: signIn.tokens.accessToken, refreshToken: signIn.tokens.refreshToken,
                                          expiresIn: signIn.tokens.expiresIn, user: UserResponse(user: signIn.tokens.user)),
                    isNewUser: signIn.isNewUser)), noStore: true)
            } catch {
                throw error.apiError
            }
        }
        router.add(.POST, "/api/v1/oauth/link/{provider}") { request throws(APIError) in
            try limit("social-callback", request)
            let claims = try await authenticate(request)
            let social = try socialLogin()
            let provider = try providerName(request)
            // Without a code, the original backend's shape: this starts a linking (as GET authorize with a
            // Bearer token does), and the callback — or this route with the code — finishes it.
            let body = request.body.readableBytes == 0 ? SocialLinkBody() : try JSONBody.decode(SocialLinkBody.self, from: request)
            guard let code = body.code, let state = body.state else {
                return try await startFlow(social, request, redirectURI: body.redirectURI ?? request.query["redirect_uri"],
                                           linkingUserID: claims.userID)
            }
            return try await finishLinking(social, request, userID: claims.userID, provider: provider,
                                           body: SocialCallbackBody(code: code, state: state))
        }
        router.add(.GET, "/api/v1/oauth/accounts") { request throws(APIError) in
            let claims = try await authenticate(request)
            guard let user = await auth.engine.user(id: claims.userID) else { throw APIError(.notFound, "USER_001", "user not found") }
            let accounts = await auth.engine.externalAccounts(of: claims.userID)
            return .json(.ok, JSONBody.encode(ExternalAccountList(accounts: accounts.map(ExternalAccountResponse.init),
                                                                  hasPassword: user.hasPassword)))
        }
        router.add(.DELETE, "/api/v1/oauth/accounts/{provider}") { request throws(APIError) in
            let claims = try await authenticate(request)
            let provider = try providerName(request)
            do throws(SocialLoginError) { try await SocialLogin.unlink(userID: claims.userID, provider: provider, engine: auth.engine) } catch {
                throw error.apiError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "the \(provider) account is unlinked")))
        }
    }

    /// Starts a sign-in (or, with `linkingUserID`, a linking): `{authorization_url, state}` and the browser's
    /// binding cookie.
    private func startFlow(_ social: SocialLogin, _ request: HTTPRequest, redirectURI: String?, linkingUserID: UUID?)
        async throws(APIError) -> HTTPResponse
    {
        guard let redirectURI, !redirectURI.isEmpty else {
            throw APIError(.unprocessableEntity, "VAL_001", "redirect_uri is required", field: "redirect_uri")
        }
        // A browser keeps its binding across flows, so that two tabs signing in at once both finish.
        let binding = Self.bindingCookie(of: request).flatMap { SocialLogin.isBrowserBinding($0) ? $0 : nil }
            ?? SocialLogin.newBrowserBinding()
        let provider = try providerName(request)
        let started: SocialAuthorization
        do throws(SocialLoginError) {
            started = try await social.start(provider: provider, redirectURI: redirectURI,
                                             browserBinding: binding, linkingUserID: linkingUserID)
        } catch {
            throw error.apiError
        }
        var response = HTTPResponse.json(.ok, JSONBody.encode([
            "authorization_url": started.authorizationURL, "state": started.state,
        ]), noStore: true)
        response.headers.add(name: "set-cookie", value: "\(Self.bindingCookie)=\(binding); Path=/api/v1/oauth; "
                             + "Max-Age=600; HttpOnly; Secure; SameSite=Lax")
        return response
    }

    /// Finishes `userID`'s linking with the code and state: the linked account.
    private func finishLinking(_ social: SocialLogin, _ request: HTTPRequest, userID: UUID, provider: String,
                               body: SocialCallbackBody) async throws(APIError) -> HTTPResponse {
        do throws(SocialLoginError) {
            let account = try await social.finishLinking(userID: userID, provider: provider, code: body.code,
                                                         state: body.state, browserBinding: Self.bindingCookie(of: request))
            return .json(.ok, JSONBody.encode(ExternalAccountResponse(account: account)))
        } catch {
            throw error.apiError
        }
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

extension SocialLoginError {
    /// The contract's answer for this refusal.
    var apiError: APIError {
        switch code {
        case .unknownProvider: APIError(.notFound, "SYS_002", message)
        case .invalidRequest: APIError(.unprocessableEntity, "VAL_001", message, field: field)
        case .stateInvalid, .codeRefused, .identityRejected: APIError(.badRequest, "AUTH_003", message, field: field)
        case .emailRequired: APIError(.badRequest, "VAL_003", message, field: "email")
        case .emailUnverified: APIError(.forbidden, "AUTH_007", message, field: "email")
        case .userInactive: APIError(.forbidden, "AUTH_005", message)
        case .alreadyLinked: APIError(.conflict, "USER_002", message)
        case .notLinked: APIError(.notFound, "SYS_002", message)
        case .lastSignInMethod: APIError(.forbidden, "AUTH_007", message)
        case .providerUnavailable: APIError(.serviceUnavailable, "SYS_007", message)
        case .unavailable: APIError(.serviceUnavailable, "SYS_007", message)
        }
    }
}
