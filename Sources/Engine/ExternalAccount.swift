import FoundationEssentials

/// An identity at a social login provider (Google, GitHub, any OpenID Connect provider), linked to a user:
/// signing in there signs the user in here. A user has at most one account per provider, and an identity
/// belongs to at most one user that is not deleted.
public struct ExternalAccount: Sendable, Hashable {
    /// The provider's configured name (`google`, `github`, `acme`).
    package var provider: String
    /// The provider's stable id of the person: the ID token's `sub`, GitHub's numeric id.
    package var subject: String
    /// The email the provider gave when the account was linked, and whether it said it verified it.
    package var email: String?
    package var emailVerified: Bool
    package var linkedAtMilliseconds: Int64

    package init(provider: String, subject: String, email: String?, emailVerified: Bool, linkedAtMilliseconds: Int64) {
        self.provider = provider
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.linkedAtMilliseconds = linkedAtMilliseconds
    }

    package var identity: ExternalIdentity { ExternalIdentity(provider: provider, subject: subject) }
}

/// A person at a provider: what the engine's identity index maps to a user.
package struct ExternalIdentity: Sendable, Hashable {
    package let provider: String
    package let subject: String

    package init(provider: String, subject: String) {
        self.provider = provider
        self.subject = subject
    }
}

extension User {
    /// Whether the user can sign in with a password: a user a social sign-in created has none until a
    /// password reset sets one.
    package var hasPassword: Bool { !passwordHash.isEmpty }
}

extension BinaryWriter {
    mutating func write(_ account: ExternalAccount) {
        write(account.provider)
        write(account.subject)
        write(account.email)
        write(account.emailVerified)
        write(account.linkedAtMilliseconds)
    }
}

extension BinaryReader {
    mutating func read(_: ExternalAccount.Type) throws(RecordDecodingError) -> ExternalAccount {
        ExternalAccount(
            provider: try read(String.self), subject: try read(String.self), email: try readOptional(String.self),
            emailVerified: try read(Bool.self), linkedAtMilliseconds: try read(Int64.self))
    }
}
