import Auth
import Bytes
import Engine
import Foundation
import NIOCore
import NIOHTTP1

/// The OAuth provider's protocol endpoints: token, revocation (RFC 7009), introspection (RFC 7662), metadata
/// (RFC 8414) and JWKS. Errors here are RFC 6749 §5.2 objects, not the contract's envelope.
extension Endpoints {
    /// `clients`: the protocol endpoints, behind client authentication; `root`: the well-known documents.
    func addOAuthProtocolRoutes(clients: RouteGroup, root: RouteGroup) {
        clients.post("/token") { _, context in
            let (form, client) = try context.requireClient().formAndClient
            let answer = try await provider.token(form, client: client)
            var response = HTTPResponse.json(.ok, JSONBody.encode(TokenEndpointAnswer(answer)), noStore: true)
            response.headers.add(name: "pragma", value: "no-cache")
            return response
        }
        clients.post("/revoke") { _, context in
            let (form, client) = try context.requireClient().formAndClient
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
            try await provider.revoke(token, client: client)
            return .json(.ok, Array("{}".utf8), noStore: true)
        }
        // The hot path: answered on the event loop (client authentication, then the remembered answer while
        // nothing it was read from changed, else the signature and one locked shard read).
        let answers = IntrospectionAnswers(provider: provider, engine: engine)
        clients.immediate(.POST, "/introspect") { _, context in
            let (form, client) = try context.requireClient().formAndClient
            guard client.kind == .confidential else {
                throw OAuthError.invalidClient("introspection is for confidential clients")
            }
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
            return HTTPResponse(
                status: .ok, headers: Self.introspectionHeaders, body: answers.answer(for: token))
        }
        // One document at both addresses: RFC 8414's and OpenID Connect Discovery's agree byte for byte.
        let metadata = JSONBody.encode(
            AuthorizationServerMetadata(
                issuer: auth.signer.issuer,
                scopes: provider.scopesSupported,
                signing: auth.signer.algorithm, registrationOpen: registration.policy != .off,
                documentsSupported: provider.documents != nil, openID: provider.idTokenKeys != nil))
        root.get("/.well-known/oauth-authorization-server") { _, _ in .json(.ok, metadata) }
        if provider.idTokenKeys != nil {
            root.get("/.well-known/openid-configuration") { _, _ in .json(.ok, metadata) }
        }
        root.get("/.well-known/jwks.json") { _, _ in .json(.ok, try provider.jwks()) }
        guard provider.idTokenKeys != nil else { return }
        // Userinfo (OpenID Connect §5.3): GET or POST with the Bearer token; refusals as RFC 6750 says.
        for method in [HTTPMethod.GET, .POST] {
            root.on(method, "/api/v1/oauth/provider/userinfo") { request, _ in
                // The Authorization header, or — for POST — the form body's access_token (RFC 6750 §2.1, §2.2).
                let formToken =
                    method == .POST
                        && request.headers.first(name: "content-type")?
                            .hasPrefixIgnoringASCIICase("application/x-www-form-urlencoded") == true
                    ? HTTPRequest.parseQuery(Substring(String(buffer: request.body)))["access_token"] : nil
                guard let token = request.bearerToken ?? formToken else {
                    return Self.bearerRefusal(.unauthorized, #"Bearer realm="tessera""#)
                }
                do throws(UserInfoRefusal) {
                    var response = HTTPResponse.json(
                        .ok, try await provider.userInfo(accessToken: token), noStore: true)
                    response.headers.add(name: "pragma", value: "no-cache")
                    return response
                } catch .invalidToken {
                    return Self.bearerRefusal(
                        .unauthorized,
                        #"Bearer realm="tessera", error="invalid_token", error_description="not a live access token""#)
                } catch {
                    return Self.bearerRefusal(
                        .forbidden, #"Bearer realm="tessera", error="insufficient_scope", scope="openid""#)
                }
            }
        }
    }

    /// An RFC 6750 refusal: the status, `WWW-Authenticate`, and the error as JSON too.
    static func bearerRefusal(_ status: HTTPResponseStatus, _ challenge: String) -> HTTPResponse {
        let error = challenge.split(separator: "error=\"").dropFirst().first?.prefix { $0 != "\"" } ?? "invalid_request"
        var response = HTTPResponse.json(status, Array(#"{"error":"\#(error)"}"#.utf8), noStore: true)
        response.headers.add(name: "www-authenticate", value: challenge)
        return response
    }

    static let introspectionHeaders: HTTPHeaders = ["content-type": "application/json", "cache-control": "no-store"]
}

/// The token endpoint's answer (RFC 6749 §5.1).
struct TokenEndpointAnswer: Encodable {
    let answer: ProviderTokenAnswer

    init(_ answer: ProviderTokenAnswer) { self.answer = answer }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
        case refreshToken = "refresh_token", scope, idToken = "id_token"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(answer.accessToken, forKey: .accessToken)
        try container.encode("Bearer", forKey: .tokenType)
        try container.encode(answer.expiresIn, forKey: .expiresIn)
        try container.encodeIfPresent(answer.refreshToken, forKey: .refreshToken)
        try container.encode(answer.scope, forKey: .scope)
        try container.encodeIfPresent(answer.idToken, forKey: .idToken)
    }
}

/// Form bodies of the provider's endpoints.
enum OAuthForm {
    static func parse(_ request: HTTPRequest) throws(OAuthError) -> [String: String] {
        guard
            request.headers.first(name: "content-type")?.hasPrefixIgnoringASCIICase("application/x-www-form-urlencoded")
                == true
        else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        var form: [String: String] = [:]
        var duplicate: String?
        request.body.withUnsafeReadableBytes { body in
            // One pass over the bytes: `name=value` pairs between `&`s, each part decoded where it lies.
            var start = 0
            while start < body.count {
                let end = body[start...].firstIndex(of: UInt8(ascii: "&")) ?? body.count
                let pair = UnsafeRawBufferPointer(rebasing: body[start..<end])
                start = end + 1
                let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.count
                let name = HTTPRequest.percentDecoded(bytes: UnsafeRawBufferPointer(rebasing: pair[..<equals]))
                guard !name.isEmpty else { continue }
                let value =
                    equals == pair.count
                    ? "" : HTTPRequest.percentDecoded(bytes: UnsafeRawBufferPointer(rebasing: pair[(equals + 1)...]))
                if let earlier = form.updateValue(value, forKey: name) {
                    if HTTPRequest.repeatable.contains(name) {
                        form[name] = earlier + " " + value
                    } else {
                        duplicate = name
                    }
                }
            }
        }
        if let duplicate { throw OAuthError.invalidRequest("\(duplicate) is given more than once") }
        return form
    }
}

/// RFC 8414 metadata.
struct AuthorizationServerMetadata: Encodable {
    let issuer: String
    let scopes: [String]
    let signing: String
    /// Whether clients may register themselves: the metadata then names the registration endpoint.
    let registrationOpen: Bool
    /// Whether a client may name itself by the URL of its metadata document.
    let documentsSupported: Bool
    /// Whether Tessera is an OpenID Connect provider (ID tokens, userinfo).
    let openID: Bool

    enum CodingKeys: String, CodingKey {
        case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint"
        case revocationEndpoint = "revocation_endpoint", introspectionEndpoint = "introspection_endpoint"
        case jwksURI = "jwks_uri", scopesSupported = "scopes_supported", responseTypes = "response_types_supported"
        case grantTypes = "grant_types_supported", challengeMethods = "code_challenge_methods_supported"
        case tokenAuthMethods = "token_endpoint_auth_methods_supported"
        case revocationAuthMethods = "revocation_endpoint_auth_methods_supported"
        case introspectionAuthMethods = "introspection_endpoint_auth_methods_supported"
        case accessTokenSigning = "access_token_signing_alg_values_supported"
        case registrationEndpoint = "registration_endpoint"
        case issParameterSupported = "authorization_response_iss_parameter_supported"
        case documentsSupported = "client_id_metadata_document_supported"
        case userinfoEndpoint = "userinfo_endpoint", subjectTypes = "subject_types_supported"
        case idTokenSigning = "id_token_signing_alg_values_supported", claimsSupported = "claims_supported"
        case promptValues = "prompt_values_supported", responseModes = "response_modes_supported"
        case claimsParameter = "claims_parameter_supported", requestParameter = "request_parameter_supported"
        case requestURIParameter = "request_uri_parameter_supported"
        case endSessionEndpoint = "end_session_endpoint", backchannelLogout = "backchannel_logout_supported"
        case backchannelLogoutSession = "backchannel_logout_session_supported"
        case frontchannelLogout = "frontchannel_logout_supported"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let base = issuer.withoutTrailingSlash
        try container.encode(issuer, forKey: .issuer)
        try container.encode(base + "/api/v1/oauth/provider/authorize", forKey: .authorizationEndpoint)
        try container.encode(base + "/api/v1/oauth/provider/token", forKey: .tokenEndpoint)
        try container.encode(base + "/api/v1/oauth/provider/revoke", forKey: .revocationEndpoint)
        try container.encode(base + "/api/v1/oauth/provider/introspect", forKey: .introspectionEndpoint)
        try container.encode(base + "/.well-known/jwks.json", forKey: .jwksURI)
        try container.encode(scopes, forKey: .scopesSupported)
        try container.encode(["code"], forKey: .responseTypes)
        try container.encode(["authorization_code", "refresh_token", "client_credentials"], forKey: .grantTypes)
        try container.encode(["S256"], forKey: .challengeMethods)
        let methods = ["client_secret_basic", "client_secret_post", "none"]
        try container.encode(methods, forKey: .tokenAuthMethods)
        try container.encode(methods, forKey: .revocationAuthMethods)
        try container.encode(["client_secret_basic", "client_secret_post"], forKey: .introspectionAuthMethods)
        try container.encode([signing], forKey: .accessTokenSigning)
        try container.encode(true, forKey: .issParameterSupported)
        if documentsSupported { try container.encode(true, forKey: .documentsSupported) }
        guard openID else { return }
        try container.encode(base + "/api/v1/oauth/provider/userinfo", forKey: .userinfoEndpoint)
        try container.encode(["public"], forKey: .subjectTypes)
        try container.encode(["RS256", "ES256", "EdDSA"], forKey: .idTokenSigning)
        try container.encode(
            [
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid", "name", "given_name",
                "family_name", "email", "email_verified",
            ], forKey: .claimsSupported)
        try container.encode(["none", "login", "consent", "select_account"], forKey: .promptValues)
        try container.encode(["query"], forKey: .responseModes)
        try container.encode(false, forKey: .claimsParameter)
        try container.encode(false, forKey: .requestParameter)
        try container.encode(false, forKey: .requestURIParameter)
        try container.encode(base + "/api/v1/oauth/provider/logout", forKey: .endSessionEndpoint)
        try container.encode(true, forKey: .backchannelLogout)
        try container.encode(true, forKey: .backchannelLogoutSession)
        try container.encode(false, forKey: .frontchannelLogout)
        if registrationOpen {
            try container.encode(base + "/api/v1/oauth/provider/register", forKey: .registrationEndpoint)
        }
    }
}
