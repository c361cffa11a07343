public import FoundationEssentials

/// A login on one device. The refresh token is `<session id>.<secret>`; the session keeps only the SHA-256
/// digest of the current secret and of the one before it (for reuse detection and the grace window).
public struct Session: Sendable, Hashable {
    public let id: UUID
    public let userID: UUID
    public let deviceName: String?
    public let deviceID: String?
    public let ipAddress: String?
    public let createdAtMilliseconds: Int64
    public var lastUsedAtMilliseconds: Int64
    /// Sliding: moved forward by each refresh.
    public var expiresAtMilliseconds: Int64
    public var refreshDigest: SecretDigest
    /// The secret rotated out by the last refresh, and when; a second use of it inside the grace window gets
    /// the same new pair, after it revokes the session.
    public var previousRefreshDigest: SecretDigest?
    public var rotatedAtMilliseconds: Int64?
    /// How many times the refresh token was rotated.
    public var generation: UInt32
    public var revokedAtMilliseconds: Int64?

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
    public func isActive(at nowMilliseconds: Int64) -> Bool {
        revokedAtMilliseconds == nil && nowMilliseconds < expiresAtMilliseconds
    }
}
