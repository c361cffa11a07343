import Engine
import FoundationEssentials

/// Deterministic values for engine tests.
enum Fixtures {
    static func uuid(_ number: UInt8) -> UUID {
        UUID(uuid: (number, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, number))
    }

    static func digest(_ number: UInt64) -> SecretDigest {
        SecretDigest(word0: number, word1: number &* 3, word2: number &* 5, word3: number &* 7)
    }

    static func user(_ number: UInt8, at milliseconds: Int64 = 1_000) -> User {
        User(
            id: uuid(number), email: "user\(number)@example.com", passwordHash: "$2b$12$hash\(number)",
            firstName: "First\(number)", lastName: number % 2 == 0 ? "Last" : nil, phoneNumber: nil,
            isActive: true, isSuperuser: false, preferences: #"{"theme":"dark"}"#, locale: "en",
            createdAtMilliseconds: milliseconds, updatedAtMilliseconds: milliseconds, deletedAtMilliseconds: nil)
    }

    static func session(_ number: UInt8, of user: UInt8, at milliseconds: Int64 = 2_000) -> Session {
        Session(
            id: uuid(100 + number), userID: uuid(user), deviceName: "Firefox ü", deviceID: "device-\(number)",
            ipAddress: "127.0.0.1", createdAtMilliseconds: milliseconds,
            expiresAtMilliseconds: milliseconds + 7 * 86_400_000, refreshDigest: digest(UInt64(number)))
    }

    static func organization(_ number: UInt8, ownedBy owner: UInt8, at milliseconds: Int64 = 6_700) -> Organization {
        Organization(
            id: uuid(200 + number), name: "Org \(number)", slug: "org-\(number)", description: nil, settings: nil,
            isActive: true, createdAtMilliseconds: milliseconds, updatedAtMilliseconds: milliseconds,
            members: [uuid(owner): Membership(userID: uuid(owner), role: .owner, joinedAtMilliseconds: milliseconds)])
    }

    static func client(_ number: UInt8) -> OAuthClient {
        OAuthClient(
            id: uuid(220 + number), name: "Client \(number)", kind: .confidential,
            redirectURIs: ["https://client.example/cb"], scopes: ["read", "write"], secretDigest: digest(99),
            createdAtMilliseconds: 6_845)
    }

    static func registration(softwareID: String?) -> ClientRegistration {
        ClientRegistration(
            origin: .anonymous, accessTokenDigest: digest(77), applicationType: .native,
            tokenEndpointAuthMethod: "none", grantTypes: ["authorization_code", "refresh_token"],
            responseTypes: ["code"], clientURI: "https://tool.example", logoURI: nil, softwareID: softwareID,
            softwareVersion: "1.0", registeredFrom: "127.0.0.1", secretExpiresAtSeconds: 0)
    }

    /// A public client that registered itself (RFC 7591).
    static func selfRegisteredClient(_ number: UInt8) -> OAuthClient {
        var client = OAuthClient(
            id: uuid(220 + number), name: "Tool \(number)", kind: .public, redirectURIs: ["http://localhost/cb"],
            scopes: ["read"], secretDigest: nil, createdAtMilliseconds: 6_996)
        client.registration = registration(softwareID: "tool")
        return client
    }

    static func code(_ number: UInt8, of user: UInt8) -> AuthorizationCode {
        AuthorizationCode(
            id: uuid(230 + number), userID: uuid(user), clientID: uuid(221),
            redirectURI: "https://client.example/cb", scope: "read", codeChallenge: "challenge",
            digest: digest(50), createdAtMilliseconds: 6_860, expiresAtMilliseconds: 6_860 + 600_000)
    }

    /// One record of every type, in an order a shard can apply.
    static var everyRecordType: [EngineRecord] {
        [
            .userRegistered(user(1)),
            .profileUpdated(
                ProfileUpdate(
                    userID: uuid(1), firstName: "Ada", lastName: .set("Lovelace"),
                    phoneNumber: .set("+391234567890"), preferences: .cleared,
                    locale: .unchanged, atMilliseconds: 1_500)),
            .sessionCreated(session(1, of: 1)),
            .sessionCreated(session(2, of: 1)),
            .sessionRefreshed(
                userID: uuid(1), sessionID: uuid(101), newDigest: digest(11), atMilliseconds: 3_000,
                expiresAtMilliseconds: 3_000 + 7 * 86_400_000),
            .sessionRevoked(userID: uuid(1), sessionID: uuid(102), atMilliseconds: 3_500),
            .passwordChanged(
                userID: uuid(1), passwordHash: "$2b$12$new", keptSessionID: uuid(101),
                atMilliseconds: 4_000),
            .allSessionsRevoked(userID: uuid(1), keptSessionID: nil, atMilliseconds: 5_000),
            .sessionsPurged(userID: uuid(1), sessionIDs: [uuid(102)], atMilliseconds: 6_000),
            .superuserChanged(userID: uuid(1), isSuperuser: true, atMilliseconds: 6_500),
            .passwordResetIssued(
                userID: uuid(1), digest: digest(77), expiresAtMilliseconds: 9_000, atMilliseconds: 6_600),
            .passwordResetCompleted(userID: uuid(1), passwordHash: "$2b$12$reset", atMilliseconds: 6_700),
            .userRegistered(user(2)),
            .organizationCreated(organization(1, ownedBy: 1)),
            .organizationUpdated(
                OrganizationUpdate(
                    organizationID: uuid(201), name: "Acme Ltd", slug: "acme-ltd",
                    description: .set("widgets"), settings: .set(#"{"plan":"pro"}"#),
                    isActive: false, atMilliseconds: 6_800)),
            .memberAdded(
                organizationID: uuid(201),
                membership: Membership(userID: uuid(2), role: .admin, joinedAtMilliseconds: 6_810)),
            .memberRoleChanged(organizationID: uuid(201), userID: uuid(2), role: .guest, atMilliseconds: 6_820),
            .memberRemoved(organizationID: uuid(201), userID: uuid(2), atMilliseconds: 6_830),
            .organizationCreated(organization(2, ownedBy: 2)),
            .organizationDeleted(organizationID: uuid(202), atMilliseconds: 6_840),
            .clientRegistered(client(1)),
            .consentGranted(
                userID: uuid(2),
                consent: Consent(
                    clientID: uuid(221), scope: "read", grantedAtMilliseconds: 6_850,
                    resources: ["https://mcp.example/"])),
            .authorizationCodeIssued(code(1, of: 2)),
            .authorizationCodeRedeemed(
                codeID: uuid(231), session: session(3, of: 2, at: 6_870),
                grant: OAuthGrant(
                    clientID: uuid(221), scope: "read", resources: ["https://mcp.example/", "https://b.example/"])),
            .authorizationCodeReused(userID: uuid(2), codeID: uuid(231), atMilliseconds: 6_880),
            .consentRevoked(userID: uuid(2), clientID: uuid(221), atMilliseconds: 6_890),
            .clientTokenIssued(
                ClientToken(
                    id: uuid(241), clientID: uuid(221), scope: "read",
                    createdAtMilliseconds: 6_900, expiresAtMilliseconds: 7_900)),
            .clientTokenRevoked(clientID: uuid(221), tokenID: uuid(241), atMilliseconds: 6_910),
            .authorizationCodesPurged(userID: uuid(2), codeIDs: [uuid(231)], atMilliseconds: 6_920),
            .clientTokensPurged(clientID: uuid(221), tokenIDs: [uuid(241)], atMilliseconds: 6_930),
            .clientDeleted(clientID: uuid(221), atMilliseconds: 6_940),
            .externalUserRegistered(
                User(
                    id: uuid(3), email: "octo@example.com", passwordHash: "", firstName: "Octo", lastName: nil,
                    phoneNumber: nil, isActive: true, isSuperuser: false, preferences: nil, locale: nil,
                    createdAtMilliseconds: 6_950, updatedAtMilliseconds: 6_950, deletedAtMilliseconds: nil),
                account: ExternalAccount(
                    provider: "github", subject: "583231", email: "octo@example.com",
                    emailVerified: true, linkedAtMilliseconds: 6_950)),
            .externalAccountLinked(
                userID: uuid(2),
                account: ExternalAccount(
                    provider: "google", subject: "10769150350006150715113082367", email: nil, emailVerified: false,
                    linkedAtMilliseconds: 6_960)),
            .externalAccountUnlinked(userID: uuid(2), provider: "google", atMilliseconds: 6_970),
            .socialStateIssued(
                SocialLoginState(
                    id: uuid(250), digest: digest(60), browserBinding: digest(61), provider: "google",
                    redirectURI: "https://app.example/callback", codeVerifier: String(repeating: "v", count: 43),
                    nonce: "n-0S6_WzA2Mj", linkingUserID: uuid(2), createdAtMilliseconds: 6_980,
                    expiresAtMilliseconds: 6_980 + 600_000)),
            .socialStateIssued(
                SocialLoginState(
                    id: uuid(251), digest: digest(62), browserBinding: digest(63), provider: "github",
                    redirectURI: "https://app.example/callback", codeVerifier: String(repeating: "w", count: 43),
                    nonce: nil, linkingUserID: nil, createdAtMilliseconds: 6_985, expiresAtMilliseconds: 6_985 + 600_000
                )),
            .socialStateConsumed(stateID: uuid(250), atMilliseconds: 6_990),
            .socialStatesPurged(stateIDs: [uuid(251)], atMilliseconds: 6_995),
            .clientSelfRegistered(selfRegisteredClient(3)),
            .initialAccessTokenIssued(
                InitialAccessToken(
                    id: uuid(240), digest: digest(88), createdBy: uuid(1), createdAtMilliseconds: 6_996,
                    expiresAtMilliseconds: 6_996 + 86_400_000, usesLeft: 2)),
            .initialAccessTokenUsed(tokenID: uuid(240), atMilliseconds: 6_997),
            .initialAccessTokenRevoked(tokenID: uuid(240), atMilliseconds: 6_998),
            .clientMetadataUpdated(
                ClientMetadataUpdate(
                    clientID: uuid(223), name: "Tool 2", redirectURIs: ["http://127.0.0.1/cb"], scopes: ["read"],
                    registration: registration(softwareID: nil), atMilliseconds: 6_997)),
            .activeChanged(userID: uuid(1), isActive: false, atMilliseconds: 7_000),
            .userDeleted(userID: uuid(1), atMilliseconds: 8_000),
        ]
    }
}
