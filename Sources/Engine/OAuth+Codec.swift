import FoundationEssentials

extension BinaryWriter {
    mutating func write(_ client: OAuthClient) {
        write(client.id)
        write(client.name)
        write(client.kind.rawValue)
        writeStrings(client.redirectURIs)
        writeStrings(client.scopes)
        write(client.secretDigest)
        write(client.createdAtMilliseconds)
        write(client.deletedAtMilliseconds)
        write(client.openID)
    }

    /// A grant; what later formats added comes last (see `OAuthFields`).
    mutating func write(_ grant: OAuthGrant) {
        write(grant.clientID)
        write(grant.scope)
        writeStrings(grant.resources)
        write(grant.authentication)
    }

    /// A consent; its resources last (record version 2, snapshot format 7).
    mutating func write(_ consent: Consent) {
        write(consent.clientID)
        write(consent.scope)
        write(consent.grantedAtMilliseconds)
        writeStrings(consent.resources)
    }

    mutating func write(_ code: AuthorizationCode) {
        write(code.id)
        write(code.userID)
        write(code.clientID)
        write(code.redirectURI)
        write(code.scope)
        write(code.codeChallenge)
        write(code.digest)
        write(code.createdAtMilliseconds)
        write(code.expiresAtMilliseconds)
        write(code.sessionID)
        writeStrings(code.resources)
        write(code.authentication)
    }

    mutating func write(_ token: ClientToken) {
        write(token.id)
        write(token.clientID)
        write(token.scope)
        write(token.createdAtMilliseconds)
        write(token.expiresAtMilliseconds)
        write(token.revokedAtMilliseconds)
    }

    mutating func writeStrings(_ strings: [String]) {
        writeLength(strings.count)
        for string in strings { write(string) }
    }
}

extension BinaryReader {
    mutating func read(_: OAuthClient.Type, fields: OAuthFields) throws(RecordDecodingError) -> OAuthClient {
        let id = try read(UUID.self)
        let name = try read(String.self)
        let rawKind = try read(UInt8.self)
        guard let kind = OAuthClient.Kind(rawValue: rawKind) else {
            throw RecordDecodingError("invalid client kind \(rawKind)")
        }
        var client = OAuthClient(
            id: id, name: name, kind: kind, redirectURIs: try readStrings(),
            scopes: try readStrings(), secretDigest: try readOptional(SecretDigest.self),
            createdAtMilliseconds: try read(Int64.self))
        client.deletedAtMilliseconds = try readOptional(Int64.self)
        if fields.openID { client.openID = try read(OpenIDClientSettings.self) }
        return client
    }

    /// A grant as `write` wrote it, with the fields its writer's format had.
    mutating func read(_: OAuthGrant.Type, fields: OAuthFields) throws(RecordDecodingError) -> OAuthGrant {
        OAuthGrant(
            clientID: try read(UUID.self), scope: try read(String.self),
            resources: fields.resources ? try readStrings() : [],
            authentication: fields.openID ? try read(Authentication?.self) : nil)
    }

    /// A consent as `write` wrote it, with the fields its writer's format had.
    mutating func read(_: Consent.Type, fields: OAuthFields) throws(RecordDecodingError) -> Consent {
        Consent(
            clientID: try read(UUID.self), scope: try read(String.self), grantedAtMilliseconds: try read(Int64.self),
            resources: fields.resources ? try readStrings() : [])
    }

    /// A code as `write` wrote it, with the fields its writer's format had.
    mutating func read(_: AuthorizationCode.Type, fields: OAuthFields) throws(RecordDecodingError) -> AuthorizationCode
    {
        var code = AuthorizationCode(
            id: try read(UUID.self), userID: try read(UUID.self), clientID: try read(UUID.self),
            redirectURI: try read(String.self), scope: try read(String.self),
            codeChallenge: try readOptional(String.self),
            digest: try read(SecretDigest.self), createdAtMilliseconds: try read(Int64.self),
            expiresAtMilliseconds: try read(Int64.self))
        code.sessionID = try readOptional(UUID.self)
        if fields.resources { code.resources = try readStrings() }
        if fields.openID { code.authentication = try read(Authentication?.self) }
        return code
    }

    mutating func read(_: ClientToken.Type) throws(RecordDecodingError) -> ClientToken {
        var token = ClientToken(
            id: try read(UUID.self), clientID: try read(UUID.self), scope: try read(String.self),
            createdAtMilliseconds: try read(Int64.self), expiresAtMilliseconds: try read(Int64.self))
        token.revokedAtMilliseconds = try readOptional(Int64.self)
        return token
    }

    mutating func readStrings() throws(RecordDecodingError) -> [String] {
        let count = try readLength()
        guard count <= 1024 else { throw RecordDecodingError("\(count) strings in a list") }
        var strings: [String] = []
        for _ in 0..<count { strings.append(try read(String.self)) }
        return strings
    }
}
