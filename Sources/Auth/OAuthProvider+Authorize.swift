import Bytes
package import Engine
package import FoundationEssentials

/// The parameters of `GET /oauth/provider/authorize` (and of the consent form, which repeats them).
package struct AuthorizationRequest: Sendable, Hashable {
    package var responseType: String?
    package var clientID: String?
    package var redirectURI: String?
    package var scope: String?
    package var state: String?
    package var codeChallenge: String?
    package var codeChallengeMethod: String?
    /// RFC 8707: the resources the token is for, space-separated (the parameter may repeat).
    package var resource: String?
    /// OpenID Connect: echoed in the ID token.
    package var nonce: String?
    /// OpenID Connect: `none`, `login`, `consent` (space-separated).
    package var prompt: String?
    /// OpenID Connect: the most seconds since the user signed in.
    package var maxAge: String?
    /// OpenID Connect: who the client thinks will sign in (the sign-in page's email).
    package var loginHint: String?
    /// OpenID Connect: accepted; the pages speak English.
    package var uiLocales: String?
    /// Parameters Tessera does not support, refused by name rather than ignored: `claims`, `request`,
    /// `request_uri`, `registration`.
    package var unsupported: [String]

    package init(parameters: [String: String]) {
        resource = parameters["resource"]
        nonce = parameters["nonce"]
        prompt = parameters["prompt"]
        maxAge = parameters["max_age"]
        loginHint = parameters["login_hint"]
        uiLocales = parameters["ui_locales"]
        unsupported = ["claims", "request", "request_uri", "registration"].filter { parameters[$0] != nil }
        responseType = parameters["response_type"]
        clientID = parameters["client_id"]
        redirectURI = parameters["redirect_uri"]
        scope = parameters["scope"]
        state = parameters["state"]
        codeChallenge = parameters["code_challenge"]
        codeChallengeMethod = parameters["code_challenge_method"]
    }

    package var parameters: [(String, String)] {
        [
            ("response_type", responseType), ("client_id", clientID), ("redirect_uri", redirectURI), ("scope", scope),
            ("state", state), ("code_challenge", codeChallenge), ("code_challenge_method", codeChallengeMethod),
            ("nonce", nonce), ("prompt", prompt), ("max_age", maxAge), ("login_hint", loginHint),
            ("ui_locales", uiLocales),
        ]
        .compactMap { name, value in value.map { (name, $0) } }
            + (resource ?? "").split(separator: " ").map { ("resource", String($0)) }
    }
}

/// What the authorization endpoint answers.
package enum AuthorizationAnswer: Sendable, Hashable {
    /// 302 to this URL: the client's redirect URI (with a code or an error) or the consent page.
    case redirect(String)
    /// 400: the client or its redirect URI cannot be trusted, so nothing is redirected (RFC 6749 §4.1.2.1).
    case refused(OAuthError)
    /// The user has to be asked, on Tessera's own consent page (no `--consent-url`).
    case consent(ConsentPrompt)
    /// The user has to sign in (again) on Tessera's sign-in page, then come back with `SignInRequest.next`.
    case signIn(SignInRequest)
}

/// Who is authorizing: the signed-in user, the session they signed in with, and since when.
package struct SignedInUser: Sendable, Hashable {
    package let userID: UUID
    /// Tessera's session (the browser's, or the API caller's): the ID token's `sid`.
    package let sessionID: UUID?
    /// When they signed in: the ID token's `auth_time`, what `max_age` is measured against.
    package let authTimeMilliseconds: Int64
    /// A browser can be sent to the sign-in page again; an API caller (a Bearer token) cannot.
    package let canSignInAgain: Bool

    package init(userID: UUID, sessionID: UUID?, authTimeMilliseconds: Int64, canSignInAgain: Bool) {
        self.userID = userID
        self.sessionID = sessionID
        self.authTimeMilliseconds = authTimeMilliseconds
        self.canSignInAgain = canSignInAgain
    }
}

/// A sign-in the authorization request needs first: where to come back to, and whom to suggest.
package struct SignInRequest: Sendable, Hashable {
    /// The authorization request's parameters to come back with — without `prompt=login` and `max_age=0`, which
    /// the sign-in about to happen satisfies (kept, they would send the user to sign in forever).
    package let next: [ConsentPrompt.Parameter]
    /// `login_hint`: the email the sign-in page suggests.
    package let loginHint: String?

    init(request: AuthorizationRequest) {
        var request = request
        let prompts = (request.prompt ?? "").split(separator: " ").filter { $0 != "login" }
        request.prompt = prompts.isEmpty ? nil : prompts.joined(separator: " ")
        if request.maxAge.flatMap(Int64.init) == 0 { request.maxAge = nil }
        next = request.parameters.map { ConsentPrompt.Parameter(name: $0.0, value: $0.1) }
        loginHint = request.loginHint
    }
}

/// What Tessera's consent page shows and posts back.
package struct ConsentPrompt: Sendable, Hashable {
    package let client: OAuthClient
    package let redirectURI: String
    package let scope: [String]
    package let resources: [String]
    /// The request's parameters, for the form to repeat.
    package let parameters: [Parameter]

    package struct Parameter: Sendable, Hashable {
        package let name: String
        package let value: String
    }
}

extension OAuthProvider {
    /// A request that names a live client and one of its redirect URIs, with everything else checked.
    struct CheckedAuthorization {
        /// For a client known by its metadata document: as its document describes it now, with the id of its
        /// record if some user approved it before (a fresh id otherwise, which names nothing stored).
        var client: OAuthClient
        /// The client a metadata document describes, recorded once a user approves it.
        let described: NewOAuthClient?
        let redirectURI: String
        let scope: [String]
        let challenge: String?
        /// RFC 8707: what the code, and the grant it becomes, are for.
        let resources: [String]
        /// OpenID Connect's `prompt` values, checked.
        let prompts: Set<String>
    }

    /// Checks an authorization request for `user` (nil: nobody is signed in). The request is judged first (an
    /// unknown client or redirect URI is refused before anyone signs in); then OpenID Connect's `prompt` and
    /// `max_age` decide whether the user must sign in (again); then, with a consent covering the scope (and no
    /// `prompt=consent`), a code goes to the client at once, otherwise the user is asked.
    package func authorize(_ request: AuthorizationRequest, user: SignedInUser?) async -> AuthorizationAnswer {
        let checked: CheckedAuthorization
        switch await check(request) {
        case .failure(.refused(let error)): return .refused(error)
        case .failure(.redirect(let url)): return .redirect(url)
        case .success(let value): checked = value
        }
        func fail(_ error: String, _ description: String) -> AuthorizationAnswer {
            .redirect(errorRedirect(checked.redirectURI, error, description, state: request.state))
        }
        let prompts = checked.prompts
        let now = auth.clock.nowMilliseconds()
        let tooOld = request.maxAge.flatMap(Int64.init).map { maxAge in
            user.map { now - $0.authTimeMilliseconds > maxAge * 1000 } ?? true
        }
        guard let user, !prompts.contains("login"), tooOld != true else {
            // OpenID Connect §3.1.2.3: `none` never shows a page; an API caller cannot sign in again.
            if prompts.contains("none") || user?.canSignInAgain == false {
                return fail("login_required", "the user must sign in")
            }
            return .signIn(SignInRequest(request: request))
        }
        let consents = await engine.consents(of: user.userID)
        if !prompts.contains("consent"), let consent = consents.first(where: { $0.clientID == checked.client.id }),
            consent.covers(scope: checked.scope, resources: checked.resources)
        {
            return await issueCode(checked, request: request, user: user)
        }
        if prompts.contains("none") { return fail("consent_required", "the user has not consented to this") }
        if consentURL.isEmpty {
            return .consent(
                ConsentPrompt(
                    client: checked.client, redirectURI: checked.redirectURI, scope: checked.scope,
                    resources: checked.resources,
                    parameters: request.parameters.map { ConsentPrompt.Parameter(name: $0.0, value: $0.1) }))
        }
        var parameters = request.parameters
        parameters.append(("client_name", checked.client.name))
        return .redirect(Self.url(consentURL, adding: parameters))
    }

    /// The user's answer on the consent page: approval records the consent and sends a code; refusal sends
    /// `access_denied`.
    package func decide(
        _ request: AuthorizationRequest, user: SignedInUser, approved: Bool
    ) async
        -> AuthorizationAnswer
    {
        var checked: CheckedAuthorization
        switch await check(request) {
        case .failure(.refused(let error)): return .refused(error)
        case .failure(.redirect(let url)): return .redirect(url)
        case .success(let value): checked = value
        }
        guard approved else {
            return .redirect(
                errorRedirect(checked.redirectURI, "access_denied", "the user refused", state: request.state))
        }
        do {
            checked.client = try await recorded(checked)
            try await engine.grantConsent(
                userID: user.userID, clientID: checked.client.id, scope: Scope.text(checked.scope),
                resources: checked.resources)
        } catch {
            return .redirect(
                errorRedirect(
                    checked.redirectURI, "server_error", "the consent could not be stored",
                    state: request.state))
        }
        return await issueCode(checked, request: request, user: user)
    }

    private enum CheckFailure: Error {
        case refused(OAuthError)
        case redirect(String)
    }

    /// The client of a checked request as stored: a metadata document's client is recorded (or brought up to
    /// date with its document) here, when a code or a consent is about to name it.
    private func recorded(_ checked: CheckedAuthorization) async throws(EngineError) -> OAuthClient {
        guard let described = checked.described else { return checked.client }
        return try await engine.recordDocumentClient(described)
    }

    /// The client a request names, as it stands now: a live client by its id, or the client the metadata
    /// document at the `client_id` URL describes.
    private func requestedClient(
        _ text: String?
    ) async -> Result<(client: OAuthClient, described: NewOAuthClient?), CheckFailure> {
        guard let text else { return .failure(.refused(.invalidRequest("client_id is required"))) }
        if let id = UUIDText.parse(text) {
            guard let client = engine.liveClient(id) else {
                return .failure(.refused(.invalidRequest("unknown client")))
            }
            return .success((client, nil))
        }
        guard let documents, ClientIDURL.looksLikeURL(text) else {
            return .failure(.refused(.invalidRequest("unknown client")))
        }
        if let problem = ClientIDURL.problem(with: text) {
            return .failure(
                .refused(.invalidRequest("a client_id that is a URL must be one a document lives at: it " + problem)))
        }
        let described: NewOAuthClient
        do {
            described = try await documents.client(at: text) { [self] fetched throws(OAuthError) in
                try describedClient(documentURL: text, fetched: fetched)
            }
        } catch {
            return .failure(.refused(error))
        }
        let existing = engine.liveClient(documentURL: text)
        var client = OAuthClient(
            id: existing?.id ?? UUID(), name: described.name, kind: .public, redirectURIs: described.redirectURIs,
            scopes: described.scopes, secretDigest: nil,
            createdAtMilliseconds: existing?.createdAtMilliseconds ?? auth.clock.nowMilliseconds())
        client.registration = described.registration
        return .success((client, described))
    }

    private func check(_ request: AuthorizationRequest) async -> Result<CheckedAuthorization, CheckFailure> {
        let client: OAuthClient
        let described: NewOAuthClient?
        switch await requestedClient(request.clientID) {
        case .failure(let failure): return .failure(failure)
        case .success(let found): (client, described) = found
        }
        let redirectURI: String
        if let given = request.redirectURI {
            guard client.redirectURIs.contains(where: { RedirectURI.matches(registered: $0, given: given) }) else {
                return .failure(.refused(.invalidRequest("the redirect URI is not registered for this client")))
            }
            redirectURI = given
        } else if client.redirectURIs.count == 1 {
            redirectURI = client.redirectURIs[0]
        } else {
            return .failure(.refused(.invalidRequest("redirect_uri is required")))
        }
        func fail(_ error: String, _ description: String) -> Result<CheckedAuthorization, CheckFailure> {
            .failure(.redirect(errorRedirect(redirectURI, error, description, state: request.state)))
        }
        guard request.responseType == "code" else {
            return fail("unsupported_response_type", "response_type must be code")
        }
        // OpenID Connect: what Tessera does not support is refused by name, never silently ignored.
        if let unsupported = request.unsupported.first {
            switch unsupported {
            case "request": return fail("request_not_supported", "request objects are not supported")
            case "request_uri": return fail("request_uri_not_supported", "request_uri is not supported")
            case "registration": return fail("registration_not_supported", "use the registration endpoint")
            default: return fail("invalid_request", "the \(unsupported) parameter is not supported")
            }
        }
        let prompts = Set((request.prompt ?? "").split(separator: " ").map(String.init))
        guard prompts.isSubset(of: ["none", "login", "consent", "select_account"]) else {
            return fail("invalid_request", "prompt is none, login, consent or select_account")
        }
        if prompts.contains("none") && prompts.count > 1 {
            return fail("invalid_request", "prompt=none stands alone")
        }
        if let maxAge = request.maxAge, Int64(maxAge).map({ $0 >= 0 }) != true {
            return fail("invalid_request", "max_age is a number of seconds")
        }
        if let nonce = request.nonce, nonce.isEmpty || nonce.utf8.count > 512 {
            return fail("invalid_request", "nonce is 1 to 512 characters")
        }
        if let challenge = request.codeChallenge {
            guard request.codeChallengeMethod == "S256" else {
                return fail("invalid_request", "code_challenge_method must be S256")
            }
            guard challenge.utf8.count == 43, Base64URL.decode(Substring(challenge))?.count == 32 else {
                return fail("invalid_request", "code_challenge is not a base64url SHA-256")
            }
        } else if client.kind == .public {
            return fail("invalid_request", "a public client must use PKCE (code_challenge with S256)")
        } else if request.codeChallengeMethod != nil {
            return fail("invalid_request", "code_challenge_method without code_challenge")
        }
        // A scope never granted to a client registered this way is ignored (RFC 6749 §3.3), not an error: the
        // token answer says which scope was granted.
        let scope = (request.scope.map(Scope.tokens) ?? client.scopes).filter {
            !Self.isRefused($0, origin: client.registration?.origin)
        }
        guard !scope.isEmpty, Scope.isSubset(scope, of: client.scopes) else {
            return fail("invalid_scope", "the client may ask for: " + client.scopes.joined(separator: " "))
        }
        let resources: [String]
        do { resources = try resourcePolicy.resources(request.resource) } catch {
            return fail(error.error, error.description)
        }
        return .success(
            CheckedAuthorization(
                client: client, described: described, redirectURI: redirectURI, scope: scope,
                challenge: request.codeChallenge, resources: resources, prompts: prompts))
    }

    private func issueCode(
        _ checked: CheckedAuthorization, request: AuthorizationRequest, user: SignedInUser
    ) async
        -> AuthorizationAnswer
    {
        let secret = auth.minter.randomSecret()
        do {
            let client = try await recorded(checked)
            let code = try await engine.issueAuthorizationCode(
                userID: user.userID, clientID: client.id, redirectURI: checked.redirectURI,
                scope: Scope.text(checked.scope), codeChallenge: checked.challenge,
                digest: SecretToken.digest(ofSecret: secret), lifetimeMilliseconds: codeLifetimeMilliseconds,
                resources: checked.resources,
                authentication: Authentication(
                    atMilliseconds: user.authTimeMilliseconds, sessionID: user.sessionID, nonce: request.nonce))
            var parameters = [("code", SecretToken(id: code.id, secret: secret).text)]
            if let state = request.state { parameters.append(("state", state)) }
            parameters.append(("iss", auth.signer.issuer))
            return .redirect(Self.url(checked.redirectURI, adding: parameters))
        } catch {
            let description = error.code == .userNotFound ? "the user cannot sign in" : "the code could not be stored"
            return .redirect(
                errorRedirect(
                    checked.redirectURI, error.code == .userNotFound ? "access_denied" : "server_error",
                    description, state: request.state))
        }
    }

    /// The client's redirect URI with an error (RFC 6749 §4.1.2.1).
    func errorRedirect(_ redirectURI: String, _ error: String, _ description: String, state: String?) -> String {
        var parameters = [("error", error), ("error_description", description)]
        if let state { parameters.append(("state", state)) }
        // RFC 9207: every authorization response names its issuer, so a client talking to several servers can
        // tell whose answer reached its redirect URI (the mix-up attack).
        parameters.append(("iss", auth.signer.issuer))
        return Self.url(redirectURI, adding: parameters)
    }

    /// `base` with `parameters` appended to its query, each name and value percent-encoded.
    package static func url(_ base: String, adding parameters: [(String, String)]) -> String {
        let query = FormEncoding.encoded(parameters)
        let fragmentStart = base.firstIndex(of: "#") ?? base.endIndex
        let head = base[..<fragmentStart]
        return head + (head.contains("?") ? "&" : "?") + query
    }
}
