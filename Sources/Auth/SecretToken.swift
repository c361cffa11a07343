import Bytes
import Crypto
public import Engine
package import FoundationEssentials

/// An opaque token, `<id>.<secret>`: a refresh token (the id is its session's), a password-reset token (the
/// user's id) or an authorization code (the code's id). The id routes it to its shard, which keeps only the
/// SHA-256 digest of the secret.
public struct SecretToken: Sendable, Hashable {
    package let id: UUID
    let secret: [UInt8]
    package static let secretSize = 32

    package init(id: UUID, secret: [UInt8]) {
        precondition(secret.count == Self.secretSize, "a token secret has 256 bits")
        self.id = id
        self.secret = secret
    }

    /// 256 bits from the system's CSPRNG: the secret of every token Tessera makes.
    package static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The token as the client holds it.
    package var text: String { id.uuidString.lowercased() + "." + Base64URL.encode(secret) }

    /// What the session stores.
    public var digest: SecretDigest { Self.digest(ofSecret: secret) }

    package static func digest(ofSecret secret: [UInt8]) -> SecretDigest {
        SHA256.hash(data: secret).withUnsafeBytes { SecretDigest(rawBytes: $0) }
    }

    /// Parses a token; nil for anything that is not exactly `<uuid>.<43 base64url characters>` (a JWT is told
    /// apart by its length before any work).
    public init?(parsing text: String) {
        guard text.utf8.count == 80 else { return nil }
        var text = text
        let parsed = text.withUTF8 { bytes -> (UUID, [UInt8])? in
            guard bytes[36] == UInt8(ascii: "."),
                let id = UUIDText.parse(bytes: UnsafeBufferPointer(rebasing: bytes[0..<36])),
                let secret = Base64URL.decode(bytes: UnsafeBufferPointer(rebasing: bytes[37...])),
                secret.count == Self.secretSize
            else { return nil }
            return (id, secret)
        }
        guard let (id, secret) = parsed else { return nil }
        self.init(id: id, secret: secret)
    }
}

/// Makes refresh tokens. A session's first secret is random; each rotation's secret is derived from the one
/// before with a keyed hash, so that the same old token presented twice within the grace window gets the
/// very same new token — without the log ever holding a secret.
package struct RefreshTokenMinter: Sendable {
    private let key: PreparedHMAC

    package init(key: [UInt8]) {
        precondition(key.count >= 32, "a rotation key has at least 256 bits")
        self.key = PreparedHMAC(key: SymmetricKey(data: key))
    }

    /// A random secret for a session's first refresh token, from the system's CSPRNG.
    package func randomSecret() -> [UInt8] { SecretToken.randomSecret() }

    /// The token that replaces `token` at its session's next rotation.
    package func next(after token: SecretToken) -> SecretToken {
        var message = Array("tessera refresh rotation".utf8)
        withUnsafeBytes(of: token.id.uuid) { message.append(contentsOf: $0) }
        message.append(contentsOf: token.secret)
        return SecretToken(
            id: token.id,
            secret: Array(key.code(message)))
    }

    /// An id derived from a token, for the `jti` of the access token issued with it (so that a repeated
    /// rotation answers the same access token too).
    package func tokenID(for token: SecretToken) -> UUID {
        var message = Array("tessera access jti".utf8)
        message.append(contentsOf: token.secret)
        let bytes = Array(key.code(message))
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6] & 0x0F | 0x40,
                bytes[7], bytes[8] & 0x3F | 0x80, bytes[9], bytes[10], bytes[11], bytes[12], bytes[13],
                bytes[14], bytes[15]
            ))
    }
}
