public import FoundationEssentials

/// A login on one device. The refresh token is `<session id>.<secret>`; the session keeps only the SHA-256
/// digest of the current secret and of the one before it (for reuse detection and the grace window).
public struct Session: Sendable, Hashable {
    public let id: UUID
    package let userID: UUID
    package let deviceName: String?
    package let deviceID: String?
    package let ipAddress: String?
    package let createdAtMilliseconds: Int64
    package var lastUsedAtMilliseconds: Int64
    /// Sliding: moved forward by each refresh.
    package var expiresAtMilliseconds: Int64
    package var refreshDigest: SecretDigest
    /// The secret rotated out by the last refresh, and when; a second use of it inside the grace window gets
    /// the same new pair, after it revokes the session.
    package var previousRefreshDigest: SecretDigest?
    package var rotatedAtMilliseconds: Int64?
    /// How many times the refresh token was rotated.
    package var generation: UInt32
    package var revokedAtMilliseconds: Int64?

    public init(
        id: UUID, userID: UUID, deviceName: String?, deviceID: String?, ipAddress: String?,
        createdAtMilliseconds: Int64, expiresAtMilliseconds: Int64, refreshDigest: SecretDigest
    ) {
        self.id = id
        self.userID = userID
        self.deviceName = deviceName
        self.deviceID = deviceID
        self.ipAddress = ipAddress
        self.createdAtMilliseconds = createdAtMilliseconds
        self.lastUsedAtMilliseconds = createdAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.refreshDigest = refreshDigest
        self.previousRefreshDigest = nil
        self.rotatedAtMilliseconds = nil
        self.generation = 0
        self.revokedAtMilliseconds = nil
    }

    /// Whether the session can be used at `nowMilliseconds`: not revoked, not expired.
    package func isActive(at nowMilliseconds: Int64) -> Bool {
        revokedAtMilliseconds == nil && nowMilliseconds < expiresAtMilliseconds
    }
}
