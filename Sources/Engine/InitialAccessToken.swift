package import FoundationEssentials

/// A token a superuser makes so that clients may register themselves under the `token` registration policy
/// (RFC 7591 §3's initial access token): `<id>.<secret>`, of which the shard keeps the SHA-256 of the secret.
/// It registers at most `usesLeft` more clients, until it expires or is revoked.
public struct InitialAccessToken: Sendable, Hashable {
    package let id: UUID
    package let digest: SecretDigest
    /// The superuser who made it.
    package let createdBy: UUID
    package let createdAtMilliseconds: Int64
    package let expiresAtMilliseconds: Int64
    package var usesLeft: Int
    package var revokedAtMilliseconds: Int64?

    package init(
        id: UUID, digest: SecretDigest, createdBy: UUID, createdAtMilliseconds: Int64, expiresAtMilliseconds: Int64,
        usesLeft: Int
    ) {
        self.id = id
        self.digest = digest
        self.createdBy = createdBy
        self.createdAtMilliseconds = createdAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.usesLeft = usesLeft
        self.revokedAtMilliseconds = nil
    }

    /// Whether it may register a client at `milliseconds`.
    package func isUsable(at milliseconds: Int64) -> Bool {
        revokedAtMilliseconds == nil && usesLeft > 0 && milliseconds < expiresAtMilliseconds
    }
}

extension BinaryWriter {
    mutating func write(_ token: InitialAccessToken) {
        write(token.id)
        write(token.digest)
        write(token.createdBy)
        write(token.createdAtMilliseconds)
        write(token.expiresAtMilliseconds)
        write(Int64(token.usesLeft))
        write(token.revokedAtMilliseconds)
    }
}

extension BinaryReader {
    mutating func read(_: InitialAccessToken.Type) throws(RecordDecodingError) -> InitialAccessToken {
        var token = InitialAccessToken(
            id: try read(UUID.self), digest: try read(SecretDigest.self), createdBy: try read(UUID.self),
            createdAtMilliseconds: try read(Int64.self), expiresAtMilliseconds: try read(Int64.self),
            usesLeft: Int(clamping: try read(Int64.self)))
        token.revokedAtMilliseconds = try readOptional(Int64.self)
        return token
    }
}
