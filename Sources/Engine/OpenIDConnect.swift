package import FoundationEssentials

/// How the user authenticated for an authorization code, and so for the grant it becomes: what an ID token says
/// of the sign-in (`auth_time`, `sid`, `nonce`).
public struct Authentication: Sendable, Hashable {
    /// When the user signed in: the browser session's sign-in, or the API session's creation.
    package let atMilliseconds: Int64
    /// Tessera's own session the authorization ran under (the browser's, or the API caller's): the ID token's
    /// `sid`, and the session whose end the client is told about (back-channel logout).
    package let sessionID: UUID?
    /// The authorization request's `nonce`, echoed in the ID token the code gives.
    package let nonce: String?

    package init(atMilliseconds: Int64, sessionID: UUID?, nonce: String?) {
        self.atMilliseconds = atMilliseconds
        self.sessionID = sessionID
        self.nonce = nonce
    }
}

/// A session a change ended (revoked: a logout, logout everywhere, a deactivation or deletion, a refresh token
/// or code reused, a consent withdrawn): what back-channel logout tells the clients concerned.
public struct EndedSession: Sendable, Hashable {
    package let userID: UUID
    package let sessionID: UUID
    /// The provider grant the session was, if it was one (else it was a sign-in of the user's own).
    package let grant: OAuthGrant?
}

/// A client's OpenID Connect settings (Dynamic Client Registration 1.0, RP-Initiated and Back-Channel Logout).
public struct OpenIDClientSettings: Sendable, Hashable {
    /// Where RP-initiated logout may send the browser afterwards; matched exactly.
    package var postLogoutRedirectURIs: [String]
    /// Where a logout token is POSTed when a session the client holds a grant of ends.
    package var backchannelLogoutURI: String?
    /// `RS256` (the default), `ES256` or `EdDSA`.
    package var idTokenSignedResponseAlgorithm: String

    package init(
        postLogoutRedirectURIs: [String] = [], backchannelLogoutURI: String? = nil,
        idTokenSignedResponseAlgorithm: String = "RS256"
    ) {
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.backchannelLogoutURI = backchannelLogoutURI
        self.idTokenSignedResponseAlgorithm = idTokenSignedResponseAlgorithm
    }
}

/// Which fields a stored OAuth value has, by the record version or snapshot format that wrote it: values are
/// always written whole, and read as their writer wrote them.
struct OAuthFields {
    /// The RFC 8707 resources of codes, grants and consents (record version 2, snapshot format 7).
    let resources: Bool
    /// OpenID Connect: the authentication of codes and grants, the client's OpenID settings (record version 3,
    /// snapshot format 8).
    let openID: Bool

    static func record(_ version: UInt8) -> OAuthFields { OAuthFields(resources: version >= 2, openID: version >= 3) }

    static func snapshot(_ format: UInt8) -> OAuthFields { OAuthFields(resources: format >= 7, openID: format >= 8) }
}

extension BinaryWriter {
    mutating func write(_ authentication: Authentication?) {
        write(authentication != nil)
        guard let authentication else { return }
        write(authentication.atMilliseconds)
        write(authentication.sessionID)
        write(authentication.nonce)
    }

    mutating func write(_ settings: OpenIDClientSettings) {
        writeStrings(settings.postLogoutRedirectURIs)
        write(settings.backchannelLogoutURI)
        write(settings.idTokenSignedResponseAlgorithm)
    }
}

extension BinaryReader {
    mutating func read(_: Authentication?.Type) throws(RecordDecodingError) -> Authentication? {
        guard try read(Bool.self) else { return nil }
        return Authentication(
            atMilliseconds: try read(Int64.self), sessionID: try readOptional(UUID.self),
            nonce: try readOptional(String.self))
    }

    mutating func read(_: OpenIDClientSettings.Type) throws(RecordDecodingError) -> OpenIDClientSettings {
        OpenIDClientSettings(
            postLogoutRedirectURIs: try readStrings(), backchannelLogoutURI: try readOptional(String.self),
            idTokenSignedResponseAlgorithm: try read(String.self))
    }
}
