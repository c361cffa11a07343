public import FoundationEssentials

/// A user account as the engine keeps it. Times are Unix milliseconds, read from the injected clock when the
/// change was made and carried in the record, so that replay reproduces them exactly.
public struct User: Sendable, Hashable {
    public let id: UUID
    /// Trimmed and lower-cased; unique among users that are not deleted.
    public package(set) var email: String
    /// The bcrypt hash (never the password).
    package var passwordHash: String
    public package(set) var firstName: String
    package var lastName: String?
    package var phoneNumber: String?
    package var isActive: Bool
    package var isSuperuser: Bool
    /// A JSON object, kept as its text.
    package var preferences: String?
    package var locale: String?
    package let createdAtMilliseconds: Int64
    package var updatedAtMilliseconds: Int64
    package var deletedAtMilliseconds: Int64?
    /// The pending password reset: the SHA-256 of its token's secret and when it expires (single use).
    package var resetDigest: SecretDigest?
    package var resetExpiresAtMilliseconds: Int64?

    public init(
        id: UUID, email: String, passwordHash: String, firstName: String, lastName: String?, phoneNumber: String?,
        isActive: Bool, isSuperuser: Bool, preferences: String?, locale: String?, createdAtMilliseconds: Int64,
        updatedAtMilliseconds: Int64, deletedAtMilliseconds: Int64?
    ) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.firstName = firstName
        self.lastName = lastName
        self.phoneNumber = phoneNumber
        self.isActive = isActive
        self.isSuperuser = isSuperuser
        self.preferences = preferences
        self.locale = locale
        self.createdAtMilliseconds = createdAtMilliseconds
        self.updatedAtMilliseconds = updatedAtMilliseconds
        self.deletedAtMilliseconds = deletedAtMilliseconds
        self.resetDigest = nil
        self.resetExpiresAtMilliseconds = nil
    }

    package var isDeleted: Bool { deletedAtMilliseconds != nil }

    /// Forgets the pending password reset: spent, or voided by a change that came after it was asked for.
    mutating func voidPasswordReset() {
        resetDigest = nil
        resetExpiresAtMilliseconds = nil
    }

    /// The form every email is stored and looked up in.
    package static func normalizedEmail(_ email: String) -> String {
        let trimmed = email.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        return String(trimmed).lowercased()
    }
}
