import Auth
import Engine
import Social

/// `{code, state}`: what the provider sent back to the redirect URI, as the frontend passes it on.
struct SocialCallbackBody: Decodable {
    let code: String
    let state: String
}

/// The body of `POST /oauth/link/{provider}`: `{code, state}` finishes a linking; none of them (an empty body, or
/// just `redirect_uri`) starts one.
struct SocialLinkBody: Decodable {
    let code: String?
    let state: String?
    let redirectURI: String?

    enum CodingKeys: String, CodingKey { case code, state, redirectURI = "redirect_uri" }

    init(code: String? = nil, state: String? = nil, redirectURI: String? = nil) {
        self.code = code
        self.state = state
        self.redirectURI = redirectURI
    }

    /// An explicit `null` is refused (the document marks none of these nullable), and so is one of `code` and
    /// `state` without the other.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decodeUnlessAbsent(String.self, forKey: .code)
        state = try container.decodeUnlessAbsent(String.self, forKey: .state)
        redirectURI = try container.decodeUnlessAbsent(String.self, forKey: .redirectURI)
        if (code == nil) != (state == nil) {
            let missing: CodingKeys = code == nil ? .code : .state
            throw Swift.DecodingError.keyNotFound(
                missing,
                Swift.DecodingError.Context(
                    codingPath: [], debugDescription: "code and state come together"))
        }
    }
}

/// A configured provider, as a sign-in page lists it.
struct ProviderResponse: Encodable {
    let name: String
    let displayName: String
    let icon: String
    let kind: String

    init(configuration: SocialProviderConfiguration) {
        name = configuration.name
        displayName = configuration.displayName
        icon = configuration.icon
        switch configuration.kind {
        case .openIDConnect: kind = "oidc"
        case .github: kind = "github"
        }
    }

    enum CodingKeys: String, CodingKey { case name, displayName = "display_name", icon, kind }
}

/// A linked provider account.
struct ExternalAccountResponse: Encodable {
    let account: ExternalAccount

    enum CodingKeys: String, CodingKey {
        case provider, email, emailVerified = "email_verified", linkedAt = "linked_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(account.provider, forKey: .provider)
        try container.encode(account.email, forKey: .email)
        try container.encode(account.emailVerified, forKey: .emailVerified)
        try container.encode(iso8601(milliseconds: account.linkedAtMilliseconds), forKey: .linkedAt)
    }
}

/// The caller's linked accounts, and whether a password is set (unlinking the last account needs one).
struct ExternalAccountList: Encodable {
    let accounts: [ExternalAccountResponse]
    let hasPassword: Bool

    enum CodingKeys: String, CodingKey { case accounts, hasPassword = "has_password" }
}
