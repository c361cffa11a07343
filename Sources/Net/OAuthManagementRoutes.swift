import Auth
import Bytes
import Engine
import Foundation
import NIOHTTP1

/// The OAuth provider's user-facing and administrative endpoints: authorization and consent (a signed-in user),
/// consents (the user's own), clients (superusers). Errors use the contract's envelope.
extension Endpoints {
    /// `authorize` and its consent: for an API caller with its Bearer token, or for a browser signed in on
    /// Tessera's page (its session cookie; a form also needs its CSRF token). A browser that is not signed in
    /// goes to the sign-in page first, and comes back.
    func addOAuthManagementRoutes(public group: RouteGroup, signedIn: RouteGroup, superusers: RouteGroup) {
        group.get("/authorize") { request, context in
            let user = try await authorizingUser(request, form: nil)
            return consentPageOrAnswer(
                await provider.authorize(AuthorizationRequest(parameters: request.query), user: user), request)
        }
        group.post("/authorize/consent") { request, context in
            let form = try OAuthForm.parse(request)
            guard let user = try await authorizingUser(request, form: form) else {
                throw APIError.authenticationRequired
            }
            guard let approved = form["approved"].flatMap(Bool.init) else {
                throw APIError(.unprocessableEntity, "VAL_001", "approved is true or false", field: "approved")
            }
            return consentPageOrAnswer(
                await provider.decide(AuthorizationRequest(parameters: form), user: user, approved: approved),
                request)
        }
        signedIn.get("/consents") { _, context in
            let consents = await engine.consents(of: try context.requireIdentity().userID).compactMap { consent in
                engine.liveClient(consent.clientID).map { ConsentResponse(consent: consent, client: $0) }
            }
            return .json(.ok, JSONBody.encode(consents))
        }
        signedIn.delete("/consents/{client_id}") { request, context in
            try await engine.revokeConsent(
                userID: try context.requireIdentity().userID, clientID: try request.clientID(in: engine))
            return .json(
                .ok, JSONBody.encode(MessageResponse(message: "consent revoked; the client's tokens are revoked")))
        }
        superusers.post("/clients") { request, _ in
            let body = try ClientRegistrationBody.read(from: request)
            let kind = try body.validated(supportedScopes: provider.scopesSupported)
            let (client, secret) = try await provider.registerClient(
                name: body.clientName, kind: kind,
                redirectURIs: body.redirectURIs, scopes: body.scopes, openID: try body.openIDSettings())
            return .json(.created, JSONBody.encode(ClientResponse(client: client, secret: secret)), noStore: true)
        }
        superusers.get("/clients") { _, _ in
            .json(.ok, JSONBody.encode(engine.liveClients().map { ClientResponse(client: $0, secret: nil) }))
        }
        superusers.delete("/clients/{client_id}") { request, _ in
            try await engine.deleteClient(try request.clientID(in: engine))
            return .json(.ok, JSONBody.encode(MessageResponse(message: "client deleted; its tokens are revoked")))
        }
    }

    /// The user on whose behalf `authorize` runs, with the session they signed in with and when: the Bearer
    /// token's (an API caller), else the browser session's — with, for a form, its CSRF token (403 without).
    /// Nil: nobody is signed in.
    private func authorizingUser(_ request: HTTPRequest, form: [String: String]?) async throws -> SignedInUser? {
        if request.headers.contains(name: "authorization") {
            guard let token = request.bearerToken else { throw APIError.authenticationRequired }
            let claims = try await auth.authenticate(token)
            return SignedInUser(
                userID: claims.userID, sessionID: claims.sessionID,
                authTimeMilliseconds: engine.activeSession(claims.sessionID)?.session.createdAtMilliseconds
                    ?? claims.issuedAt * 1000,
                canSignInAgain: false)
        }
        guard let browser = BrowserSession(auth: auth).user(of: request),
            let session = engine.activeSession(browser.sessionID)
        else { return nil }
        if let form, !CSRF.isValid(form: form, request: request) {
            throw APIError(.forbidden, "AUTH_004", "the form expired; open the page again")
        }
        return SignedInUser(
            userID: browser.userID, sessionID: browser.sessionID,
            authTimeMilliseconds: session.session.createdAtMilliseconds, canSignInAgain: true)
    }

    private func consentPageOrAnswer(_ answer: AuthorizationAnswer, _ request: HTTPRequest) -> HTTPResponse {
        switch answer {
        case .consent(let prompt): return consentPage(prompt, for: request)
        case .refused(let error) where Self.isBrowser(request):
            // A person, not a program, reads this: a page saying what is wrong, and that the application must fix it.
            var response = HTML.page(
                title: "This request cannot be completed",
                body: """
                    <h1>This request cannot be completed</h1>
                    <p class="lead">The application that sent you here asked for something Tessera cannot give. \
                    Tell its makers what this says:</p>
                    <p class="error" role="alert">\(HTML.escaped(error.description))</p>
                    """)
            response.status = .badRequest
            response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
            return response
        default: return Self.answer(answer)
        }
    }

    /// A browser navigating (it asks for HTML and sends no API credentials), rather than an API caller.
    static func isBrowser(_ request: HTTPRequest) -> Bool {
        !request.headers.contains(name: "authorization")
            && request.headers[canonicalForm: "accept"].contains { $0.lowercased().hasPrefix("text/html") }
    }

    /// 302 with `Location`, or 400 in the envelope when nothing may be redirected.
    static func answer(_ answer: AuthorizationAnswer) -> HTTPResponse {
        switch answer {
        case .redirect(let location):
            return HTTPResponse(status: .found, headers: ["location": location, "cache-control": "no-store"])
        case .refused(let error):
            return APIError(.badRequest, "VAL_006", error.description).response
        case .consent:
            preconditionFailure("the consent page is rendered by consentPageOrAnswer")
        case .signIn(let signIn):
            // To the sign-in page, and back to the authorization request (as the sign-in needs it) afterwards.
            let next = OAuthProvider.url(
                "/api/v1/oauth/provider/authorize", adding: signIn.next.map { ($0.name, $0.value) })
            let hint = signIn.loginHint.map { "&login_hint=" + FormEncoding.percentEncoded($0) } ?? ""
            return HTTPResponse(
                status: .seeOther,
                headers: [
                    "location": "/signin?next=" + FormEncoding.percentEncoded(next) + hint,
                    "cache-control": "no-store",
                ])
        }
    }
}

/// `{client_name, redirect_uris, client_type, scopes}` as JSON — `redirect_uris` an array, `scopes` an array or a
/// space-separated string — or, as the original backend took them, form fields: `redirect_uris`
/// comma-separated, `scopes` space-separated.
struct ClientRegistrationBody: Decodable {
    let clientName: String
    let redirectURIs: [String]
    let clientType: String
    let scopes: [String]
    /// OpenID Connect: RP-initiated and back-channel logout, the ID token's algorithm (optional).
    var postLogoutRedirectURIs: [String]?
    var backchannelLogoutURI: String?
    var idTokenSignedResponseAlgorithm: String?

    enum CodingKeys: String, CodingKey {
        case clientName = "client_name", redirectURIs = "redirect_uris", clientType = "client_type", scopes
        case postLogoutRedirectURIs = "post_logout_redirect_uris", backchannelLogoutURI = "backchannel_logout_uri"
        case idTokenSignedResponseAlgorithm = "id_token_signed_response_alg"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        postLogoutRedirectURIs = try container.decodeIfPresent([String].self, forKey: .postLogoutRedirectURIs)
        backchannelLogoutURI = try container.decodeIfPresent(String.self, forKey: .backchannelLogoutURI)
        idTokenSignedResponseAlgorithm = try container.decodeIfPresent(
            String.self, forKey: .idTokenSignedResponseAlgorithm)
        clientName = try container.decode(String.self, forKey: .clientName)
        redirectURIs = try container.decode([String].self, forKey: .redirectURIs)
        clientType = try container.decode(String.self, forKey: .clientType)
        if let text = try? container.decode(String.self, forKey: .scopes) {
            scopes = Self.words(text)
        } else {
            scopes = try container.decode([String].self, forKey: .scopes)
        }
    }

    private init(form: [String: String]) throws(APIError) {
        func field(_ name: String) throws(APIError) -> String {
            guard let value = form[name] else {
                throw APIError(.unprocessableEntity, "VAL_001", "field required", field: name)
            }
            return value
        }
        clientName = try field("client_name")
        redirectURIs = try field("redirect_uris").split(separator: ",").map { $0.trimmingSpaces() }.filter {
            !$0.isEmpty
        }
        clientType = try field("client_type")
        scopes = Self.words(try field("scopes"))
    }

    /// The body of a registration, JSON or form.
    static func read(from request: HTTPRequest) throws -> ClientRegistrationBody {
        let isForm =
            request.headers.first(name: "content-type")?
            .hasPrefixIgnoringASCIICase("application/x-www-form-urlencoded") == true
        guard isForm else { return try JSONBody.decode(ClientRegistrationBody.self, from: request) }
        return try ClientRegistrationBody(form: try OAuthForm.parse(request))
    }

    private static func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// The client's OpenID Connect settings, checked (422 naming the field).
    func openIDSettings() throws(APIError) -> OpenIDClientSettings {
        do {
            return try OpenIDClientSettings.checked(
                postLogoutRedirectURIs: postLogoutRedirectURIs, backchannelLogoutURI: backchannelLogoutURI,
                idTokenSignedResponseAlgorithm: idTokenSignedResponseAlgorithm)
        } catch {
            throw APIError(.unprocessableEntity, "VAL_001", error.message, field: error.field)
        }
    }

    func validated(supportedScopes: [String]) throws(APIError) -> OAuthClient.Kind {
        guard let kind = OAuthClient.Kind(name: clientType) else {
            throw APIError(
                .unprocessableEntity, "VAL_001", "client_type is public or confidential", field: "client_type")
        }
        try Validation.checkText(clientName.trimmingSpaces(), field: "client_name", required: true, maxCharacters: 255)
        guard (1...20).contains(redirectURIs.count), redirectURIs.allSatisfy(Self.isRedirectURI) else {
            throw APIError(
                .unprocessableEntity, "VAL_001",
                "1 to 20 absolute http(s) redirect URIs without a fragment", field: "redirect_uris")
        }
        guard !scopes.isEmpty, Set(scopes).isSubset(of: supportedScopes) else {
            throw APIError(
                .unprocessableEntity, "VAL_001", "scopes among: " + supportedScopes.joined(separator: " "),
                field: "scopes")
        }
        return kind
    }

    /// An absolute `https` URI, or `http` (loopback and development), or a private-use scheme (RFC 8252);
    /// never a fragment.
    static func isRedirectURI(_ text: String) -> Bool {
        guard text.utf8.count <= 2000, !text.contains("#"), !text.contains(where: \.isWhitespace),
            let url = URL(string: text), let scheme = url.scheme?.lowercased()
        else { return false }
        if scheme == "https" || scheme == "http" { return url.host?.isEmpty == false }
        return scheme.contains(".")
    }
}

/// A client as listed; the secret only in the registration's answer.
struct ClientResponse: Encodable {
    let client: OAuthClient
    let secret: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientSecret = "client_secret", clientName = "client_name"
        case clientType = "client_type", redirectURIs = "redirect_uris", scopes, createdAt = "created_at"
        case registeredBy = "registered_by"
        case postLogoutRedirectURIs = "post_logout_redirect_uris", backchannelLogoutURI = "backchannel_logout_uri"
        case idTokenSignedResponseAlgorithm = "id_token_signed_response_alg"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(client.clientIdentifier, forKey: .clientID)
        try container.encodeIfPresent(secret, forKey: .clientSecret)
        try container.encode(client.name, forKey: .clientName)
        try container.encode(client.kind.name, forKey: .clientType)
        try container.encode(client.redirectURIs, forKey: .redirectURIs)
        try container.encode(client.scopes, forKey: .scopes)
        try container.encode(iso8601(milliseconds: client.createdAtMilliseconds), forKey: .createdAt)
        // Who made it: a superuser, the client itself (RFC 7591) — anonymously or with an initial access token — or
        // nobody: a client known by its metadata document.
        try container.encode(client.registration?.origin.name ?? "superuser", forKey: .registeredBy)
        try container.encode(client.openID.postLogoutRedirectURIs, forKey: .postLogoutRedirectURIs)
        try container.encodeIfPresent(client.openID.backchannelLogoutURI, forKey: .backchannelLogoutURI)
        try container.encode(client.openID.idTokenSignedResponseAlgorithm, forKey: .idTokenSignedResponseAlgorithm)
    }
}

/// One of the user's consents.
struct ConsentResponse: Encodable {
    let consent: Consent
    let client: OAuthClient

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientName = "client_name", scope, grantedAt = "granted_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(client.clientIdentifier, forKey: .clientID)
        try container.encode(client.name, forKey: .clientName)
        try container.encode(consent.scope, forKey: .scope)
        try container.encode(iso8601(milliseconds: consent.grantedAtMilliseconds), forKey: .grantedAt)
    }
}

extension HTTPRequest {
    /// The `{client_id}` of the path: a client's id, or the percent-encoded URL of a metadata document whose
    /// client some user approved (404 when none did).
    func clientID(in engine: Engine) throws(APIError) -> UUID {
        if let text = parameters["client_id"]?.removingPercentEncoding, ClientIDURL.looksLikeURL(text) {
            guard let client = engine.liveClient(documentURL: text) else {
                throw APIError(.notFound, "SYS_002", "no such client")
            }
            return client.id
        }
        return try uuidParameter("client_id", what: "client")
    }
}
