import Bytes
package import Engine
package import FoundationEssentials

/// Client metadata as a client registering itself sends it (RFC 7591 §2), before any check.
package struct ClientMetadata: Sendable, Hashable {
    package var redirectURIs: [String]?
    package var tokenEndpointAuthMethod: String?
    package var grantTypes: [String]?
    package var responseTypes: [String]?
    package var clientName: String?
    package var clientURI: String?
    package var logoURI: String?
    package var scope: String?
    package var applicationType: String?
    package var softwareID: String?
    package var softwareVersion: String?
    /// OpenID Connect RP-Initiated Logout.
    package var postLogoutRedirectURIs: [String]?
    /// OpenID Connect Back-Channel Logout.
    package var backchannelLogoutURI: String?
    /// OpenID Connect Dynamic Client Registration.
    package var idTokenSignedResponseAlgorithm: String?

    package init() {}
}

/// A client that registered itself, with what it is told once: its secret (secret-based methods) and the token
/// that manages its registration (RFC 7592). Neither is stored; only their SHA-256.
package struct RegisteredClient: Sendable {
    package let client: OAuthClient
    package let secret: String?
    package let registrationAccessToken: String?
}

/// How clients may register themselves (`--client-registration`).
package enum ClientRegistrationPolicy: String, Sendable, CaseIterable {
    /// Anyone may: rate limited per address, capped in number, marked anonymous (with an initial access token,
    /// a registration is not anonymous).
    case open
    /// Only with an initial access token a superuser made.
    case token
    /// Nobody may: clients come from the superuser API or the command line only.
    case off
}

extension OAuthProvider {
    /// The grant types a client registering itself may ask for.
    static let registrableGrantTypes: Set<String> = ["authorization_code", "refresh_token", "client_credentials"]
    static let registrableAuthMethods: Set<String> = ["none", "client_secret_basic", "client_secret_post"]
    /// Scopes a client registering itself anonymously may not hold: whoever consents to it would hand over more
    /// than any unknown client should get.
    static let scopesRefusedToAnonymousClients: Set<String> = ["admin"]

    /// Whether a client registered this way may never hold `scope`.
    static func isRefused(_ scope: String, origin: ClientRegistration.Origin?) -> Bool {
        (origin == .anonymous || origin == .metadataDocument) && scopesRefusedToAnonymousClients.contains(scope)
    }

    /// Registers a client from the metadata it sent (RFC 7591 §3.1); errors are RFC 7591 §3.2.2 objects.
    package func register(
        _ metadata: ClientMetadata, initialAccessToken: String?, from address: String?
    ) async throws -> RegisteredClient {
        let origin: ClientRegistration.Origin = initialAccessToken == nil ? .anonymous : .initialAccessToken
        let checked = try check(metadata, origin: origin)
        // Spent only once the metadata is known to be good: a refused registration costs the token nothing.
        if let initialAccessToken { try await useInitialAccessToken(initialAccessToken) }
        let secret = checked.kind == .confidential ? Base64URL.encode(auth.minter.randomSecret()) : nil
        let token = Base64URL.encode(auth.minter.randomSecret())
        let registration = ClientRegistration(
            origin: origin, accessTokenDigest: Self.digest(ofSecret: token), applicationType: checked.applicationType,
            tokenEndpointAuthMethod: checked.authMethod, grantTypes: checked.grantTypes,
            responseTypes: checked.responseTypes, clientURI: metadata.clientURI, logoURI: metadata.logoURI,
            softwareID: metadata.softwareID, softwareVersion: metadata.softwareVersion,
            registeredFrom: origin == .anonymous ? address : nil, secretExpiresAtSeconds: 0)
        let client = try await engine.registerClient(
            NewOAuthClient(
                name: checked.name, kind: checked.kind, redirectURIs: checked.redirectURIs, scopes: checked.scopes,
                secretDigest: secret.map(Self.digest(ofSecret:)), registration: registration, openID: checked.openID))
        return RegisteredClient(client: client, secret: secret, registrationAccessToken: token)
    }

    /// Makes an initial access token for `uses` registrations within `lifetimeSeconds`; the text (`<id>.<secret>`)
    /// is returned once, only its digest is kept.
    package func issueInitialAccessToken(
        createdBy: UUID, lifetimeSeconds: Int64, uses: Int
    ) async throws
        -> (token: InitialAccessToken, text: String)
    {
        let secret = auth.minter.randomSecret()
        let token = try await engine.issueInitialAccessToken(
            digest: SecretToken.digest(ofSecret: secret), createdBy: createdBy,
            lifetimeMilliseconds: lifetimeSeconds * 1000, uses: uses)
        return (token, SecretToken(id: token.id, secret: secret).text)
    }

    private func useInitialAccessToken(_ text: String) async throws {
        let refused = OAuthError("invalid_token", "the initial access token is unknown, spent or revoked", status: 401)
        guard let token = SecretToken(parsing: text) else { throw refused }
        do { try await engine.useInitialAccessToken(id: token.id, digest: token.digest) } catch {
            if error.code == .initialAccessTokenInvalid { throw refused }
            throw OAuthError.unavailable("the service cannot store changes right now")
        }
    }

    /// The client a registration access token manages (RFC 7592 §2): 401 `invalid_token` for a token that does
    /// not match, an unknown client or one that did not register itself, alike.
    package func registeredClient(_ clientID: String, token: String?) throws(OAuthError) -> OAuthClient {
        let refused = OAuthError(
            "invalid_token", "the registration access token does not manage this client", status: 401)
        guard let token, let id = UUIDText.parse(clientID), let client = engine.liveClient(id),
            let registration = client.registration, registration.origin != .metadataDocument,
            registration.accessTokenDigest.constantTimeEquals(Self.digest(ofSecret: token))
        else { throw refused }
        return client
    }

    /// Replaces a registered client's metadata (RFC 7592 §2.2). Its kind (public or confidential) cannot change:
    /// the secret it holds would no longer fit.
    package func updateRegistration(of client: OAuthClient, with metadata: ClientMetadata) async throws -> OAuthClient {
        guard let registration = client.registration else {
            throw OAuthError("invalid_token", "not registered", status: 401)
        }
        let checked = try check(metadata, origin: registration.origin)
        guard checked.kind == client.kind else {
            throw OAuthError(
                "invalid_client_metadata", "token_endpoint_auth_method cannot change between none and a secret")
        }
        var updated = registration
        updated.applicationType = checked.applicationType
        updated.tokenEndpointAuthMethod = checked.authMethod
        updated.grantTypes = checked.grantTypes
        updated.responseTypes = checked.responseTypes
        updated.clientURI = metadata.clientURI
        updated.logoURI = metadata.logoURI
        updated.softwareID = metadata.softwareID
        updated.softwareVersion = metadata.softwareVersion
        return try await engine.updateClientMetadata(
            client.id, name: checked.name, redirectURIs: checked.redirectURIs, scopes: checked.scopes,
            registration: updated, openID: checked.openID)
    }

    /// The client a fetched client ID metadata document describes, held to the draft's rules — answered 200 as
    /// JSON, names its own URL as `client_id` exactly, holds no secret, authenticates with nothing
    /// (`token_endpoint_auth_method: none`) — and to the rules of clients that register themselves. Errors are
    /// `invalid_client` naming the document.
    package func describedClient(
        documentURL url: String, fetched: FetchedClientDocument
    ) throws(OAuthError)
        -> NewOAuthClient
    {
        func refused(_ reason: String) -> OAuthError { ClientDocuments.refusal(url, reason) }
        guard fetched.status == 200 else {
            throw refused(
                "answered HTTP \(fetched.status)"
                    + ((300..<400).contains(fetched.status) ? " (redirects are not followed)" : ""))
        }
        let mediaType = fetched.contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            .lowercased()
        guard let mediaType, mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw refused("is not application/json")
        }
        let body: ClientMetadataBody
        do { body = try ClientMetadataBody.decode(fetched.body) } catch { throw refused(error.description) }
        guard let named = body.clientID else { throw refused("has no client_id") }
        guard named == url else { throw refused("names another client_id (\(named.prefix(200)))") }
        guard body.clientSecret == nil, !body.hasSecretExpiry else {
            throw refused("holds a client secret; a client known by its document has none")
        }
        var metadata = body.metadata
        metadata.tokenEndpointAuthMethod = metadata.tokenEndpointAuthMethod ?? "none"
        guard metadata.tokenEndpointAuthMethod == "none" else {
            throw refused(
                "asks for token_endpoint_auth_method \(metadata.tokenEndpointAuthMethod!.prefix(40)); only none")
        }
        let checked: CheckedMetadata
        do {
            checked = try check(
                metadata, origin: .metadataDocument, defaultName: URLComponents(string: url)?.host)
        } catch { throw refused(error.description) }
        return NewOAuthClient(
            name: checked.name, kind: .public, redirectURIs: checked.redirectURIs, scopes: checked.scopes,
            secretDigest: nil,
            registration: ClientRegistration(
                origin: .metadataDocument, accessTokenDigest: SecretDigest(word0: 0, word1: 0, word2: 0, word3: 0),
                applicationType: checked.applicationType, tokenEndpointAuthMethod: "none",
                grantTypes: checked.grantTypes, responseTypes: checked.responseTypes, clientURI: metadata.clientURI,
                logoURI: metadata.logoURI, softwareID: metadata.softwareID, softwareVersion: metadata.softwareVersion,
                registeredFrom: nil, secretExpiresAtSeconds: 0, documentURL: url),
            openID: checked.openID)
    }

    private struct CheckedMetadata {
        let name: String
        let kind: OAuthClient.Kind
        let authMethod: String
        let applicationType: ClientRegistration.ApplicationType
        let redirectURIs: [String]
        let grantTypes: [String]
        let responseTypes: [String]
        let scopes: [String]
        let openID: OpenIDClientSettings
    }

    private func check(
        _ metadata: ClientMetadata, origin: ClientRegistration.Origin, defaultName: String? = nil
    ) throws(OAuthError)
        -> CheckedMetadata
    {
        func invalid(_ description: String) -> OAuthError { OAuthError("invalid_client_metadata", description) }
        let authMethod = metadata.tokenEndpointAuthMethod ?? "client_secret_basic"
        guard Self.registrableAuthMethods.contains(authMethod) else {
            throw invalid("token_endpoint_auth_method is none, client_secret_basic or client_secret_post")
        }
        let grantTypes = Scope.normalized(metadata.grantTypes ?? ["authorization_code"])
        guard !grantTypes.isEmpty, Set(grantTypes).isSubset(of: Self.registrableGrantTypes) else {
            throw invalid("grant_types among authorization_code, refresh_token and client_credentials")
        }
        if grantTypes.contains("client_credentials") && authMethod == "none" {
            throw invalid("client_credentials needs a client that authenticates (not token_endpoint_auth_method none)")
        }
        let usesCode = grantTypes.contains("authorization_code")
        let responseTypes = Scope.normalized(metadata.responseTypes ?? (usesCode ? ["code"] : []))
        guard responseTypes == (usesCode ? ["code"] : []) else {
            throw invalid("response_types is [\"code\"] with the authorization_code grant, and empty without it")
        }
        let redirectURIs = metadata.redirectURIs ?? []
        if usesCode && redirectURIs.isEmpty { throw invalid("redirect_uris is required for authorization_code") }
        guard redirectURIs.count <= 20 else { throw invalid("at most 20 redirect_uris") }
        let kinds = redirectURIs.map(RedirectURI.kind(of:))
        if let bad = zip(redirectURIs, kinds).first(where: { $0.1 == nil }) {
            throw OAuthError(
                "invalid_redirect_uri",
                "\(bad.0.prefix(200)) is not an https URI, or an http URI to this machine, without a fragment")
        }
        // An explicit type is held to OpenID Connect's rules; without one (clients older than MCP's 2026-07-28
        // revision send none), loopback redirect URIs make the client native.
        let applicationType: ClientRegistration.ApplicationType
        switch metadata.applicationType {
        case "web":
            guard !kinds.contains(.loopback) else {
                throw OAuthError(
                    "invalid_redirect_uri", "a web client may not redirect to this machine; register as native")
            }
            applicationType = .web
        case "native": applicationType = .native
        case nil: applicationType = kinds.contains(.loopback) ? .native : .web
        case let other?: throw invalid("application_type \(other.prefix(40)) is neither web nor native")
        }
        // Without a scope, every scope this client may hold. Clients that ask for every scope the metadata lists
        // (the MCP SDK does, when the resource names none) get them less those refused to anonymous clients: the
        // registration answer says what was registered, as RFC 7591 §3.2.1 allows.
        let requested = metadata.scope.map(Scope.tokens) ?? scopesSupported
        guard !requested.isEmpty, Scope.isSubset(requested, of: scopesSupported) else {
            throw invalid("scope among: " + scopesSupported.joined(separator: " "))
        }
        let scopes = Scope.normalized(requested.filter { !Self.isRefused($0, origin: origin) })
        guard !scopes.isEmpty else {
            throw invalid(
                "a client nobody vouched for may not hold only " + requested.joined(separator: " "))
        }
        for (field, url) in [("client_uri", metadata.clientURI), ("logo_uri", metadata.logoURI)] {
            guard let url else { continue }
            guard RedirectURI.kind(of: url) != nil else { throw invalid("\(field) must be an https URL") }
        }
        for (field, text) in [("software_id", metadata.softwareID), ("software_version", metadata.softwareVersion)] {
            guard let text else { continue }
            guard TextRules.isCleanText(text, maxCharacters: 200) else {
                throw invalid("\(field): at most 200 plain characters")
            }
        }
        let name =
            metadata.clientName ?? defaultName ?? redirectURIs.first.flatMap { URLComponents(string: $0)?.host }
            ?? "unnamed client"
        guard TextRules.isCleanText(name, maxCharacters: 100) else {
            throw invalid("client_name: at most 100 characters, no control characters")
        }
        let openID: OpenIDClientSettings
        do {
            openID = try OpenIDClientSettings.checked(
                postLogoutRedirectURIs: metadata.postLogoutRedirectURIs,
                backchannelLogoutURI: metadata.backchannelLogoutURI,
                idTokenSignedResponseAlgorithm: metadata.idTokenSignedResponseAlgorithm)
        } catch {
            throw OAuthError(
                error.field.hasSuffix("redirect_uris") ? "invalid_redirect_uri" : "invalid_client_metadata",
                "\(error.field): \(error.message)")
        }
        return CheckedMetadata(
            name: name, kind: authMethod == "none" ? .public : .confidential, authMethod: authMethod,
            applicationType: applicationType, redirectURIs: redirectURIs, grantTypes: grantTypes,
            responseTypes: responseTypes, scopes: scopes, openID: openID)
    }
}
