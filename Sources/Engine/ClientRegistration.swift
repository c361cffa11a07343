package import FoundationEssentials

/// What a client that registered itself (RFC 7591 dynamic registration) told Tessera about itself, and how its
/// registration may be managed (RFC 7592). Clients made through the superuser API have none.
public struct ClientRegistration: Sendable, Hashable {
    /// Who registered the client.
    package enum Origin: UInt8, Sendable, Hashable, NamedCase {
        /// Anyone, under the open policy: rate limited, capped, shown as such, deleted when left unused.
        case anonymous = 0
        /// Someone holding an initial access token a superuser made (the `token` policy).
        case initialAccessToken = 1
        /// Nobody: the client's `client_id` is the URL of its metadata document, which Tessera fetched (the OAuth
        /// Client ID Metadata Document draft). Recorded when a user first approves it.
        case metadataDocument = 2

        package var name: String {
            switch self {
            case .anonymous: "anonymous"
            case .initialAccessToken: "initial_access_token"
            case .metadataDocument: "metadata_document"
            }
        }
    }

    /// OpenID Connect Dynamic Registration's `application_type`: what redirect URIs the client may use.
    package enum ApplicationType: UInt8, Sendable, Hashable, NamedCase {
        /// A web server: `https` redirect URIs, never to this machine.
        case web = 0
        /// A desktop, CLI or mobile app: `http` redirect URIs to the loopback interface (any port at use, RFC
        /// 8252 §7.3), or `https`.
        case native = 1

        package var name: String { self == .web ? "web" : "native" }
    }

    package var origin: Origin
    /// For a client known by its metadata document: the document's URL, which is also its `client_id`.
    package var documentURL: String?
    /// SHA-256 of the registration access token that reads, updates and deletes the registration (RFC 7592);
    /// a client known by its metadata document has none and this is never matched.
    package var accessTokenDigest: SecretDigest
    package var applicationType: ApplicationType
    /// `none` (a public client), `client_secret_basic` or `client_secret_post`.
    package var tokenEndpointAuthMethod: String
    package var grantTypes: [String]
    package var responseTypes: [String]
    package var clientURI: String?
    package var logoURI: String?
    package var softwareID: String?
    package var softwareVersion: String?
    /// The address it registered from (after trusted proxies), for anonymous registrations: what the operator
    /// sees when one address registers a flood of clients.
    package var registeredFrom: String?
    /// When a secret-based client's secret stops working (0: never).
    package var secretExpiresAtSeconds: Int64

    package init(
        origin: Origin, accessTokenDigest: SecretDigest, applicationType: ApplicationType,
        tokenEndpointAuthMethod: String, grantTypes: [String], responseTypes: [String], clientURI: String?,
        logoURI: String?, softwareID: String?, softwareVersion: String?, registeredFrom: String?,
        secretExpiresAtSeconds: Int64, documentURL: String? = nil
    ) {
        self.origin = origin
        self.documentURL = documentURL
        self.accessTokenDigest = accessTokenDigest
        self.applicationType = applicationType
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.grantTypes = grantTypes
        self.responseTypes = responseTypes
        self.clientURI = clientURI
        self.logoURI = logoURI
        self.softwareID = softwareID
        self.softwareVersion = softwareVersion
        self.registeredFrom = registeredFrom
        self.secretExpiresAtSeconds = secretExpiresAtSeconds
    }
}

/// What an RFC 7592 update replaces of a client that registered itself: every field the client sends.
public struct ClientMetadataUpdate: Sendable, Hashable {
    package var clientID: UUID
    package var name: String
    package var redirectURIs: [String]
    package var scopes: [String]
    package var registration: ClientRegistration
    package var atMilliseconds: Int64
    /// The client's OpenID Connect settings, as the update gives them.
    package var openID = OpenIDClientSettings()

    package init(
        clientID: UUID, name: String, redirectURIs: [String], scopes: [String], registration: ClientRegistration,
        atMilliseconds: Int64
    ) {
        self.clientID = clientID
        self.name = name
        self.redirectURIs = redirectURIs
        self.scopes = scopes
        self.registration = registration
        self.atMilliseconds = atMilliseconds
    }
}

extension BinaryWriter {
    mutating func write(_ registration: ClientRegistration) {
        write(registration.origin.rawValue)
        // Only a metadata-document client has a URL: the encoding of the other origins is unchanged.
        if registration.origin == .metadataDocument { write(registration.documentURL ?? "") }
        write(registration.accessTokenDigest)
        write(registration.applicationType.rawValue)
        write(registration.tokenEndpointAuthMethod)
        writeStrings(registration.grantTypes)
        writeStrings(registration.responseTypes)
        write(registration.clientURI)
        write(registration.logoURI)
        write(registration.softwareID)
        write(registration.softwareVersion)
        write(registration.registeredFrom)
        write(registration.secretExpiresAtSeconds)
    }
}

extension BinaryReader {
    mutating func read(_: ClientRegistration.Type) throws(RecordDecodingError) -> ClientRegistration {
        let rawOrigin = try read(UInt8.self)
        guard let origin = ClientRegistration.Origin(rawValue: rawOrigin) else {
            throw RecordDecodingError("invalid registration origin \(rawOrigin)")
        }
        let documentURL = origin == .metadataDocument ? try read(String.self) : nil
        let digest = try read(SecretDigest.self)
        let rawType = try read(UInt8.self)
        guard let applicationType = ClientRegistration.ApplicationType(rawValue: rawType) else {
            throw RecordDecodingError("invalid application type \(rawType)")
        }
        return ClientRegistration(
            origin: origin, accessTokenDigest: digest, applicationType: applicationType,
            tokenEndpointAuthMethod: try read(String.self), grantTypes: try readStrings(),
            responseTypes: try readStrings(), clientURI: try readOptional(String.self),
            logoURI: try readOptional(String.self), softwareID: try readOptional(String.self),
            softwareVersion: try readOptional(String.self), registeredFrom: try readOptional(String.self),
            secretExpiresAtSeconds: try read(Int64.self), documentURL: documentURL)
    }
}
