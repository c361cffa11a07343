import Crypto
import Engine
import Foundation

/// Password reset by mail: a single-use token, valid one hour, whose digest the user's record keeps; using it
/// sets the new password and ends every session.
package struct PasswordResetService: Sendable {
    let auth: AuthService
    let outbox: any MailOutbox
    /// Where the reset page lives: the mail links to `<frontendURL>/reset-password?token=<token>`.
    package let frontendURL: String
    package let lifetimeMilliseconds: Int64

    package init(
        auth: AuthService, outbox: any MailOutbox, frontendURL: String,
        lifetimeMilliseconds: Int64 = 3_600_000
    ) {
        self.auth = auth
        self.outbox = outbox
        self.frontendURL = frontendURL
        self.lifetimeMilliseconds = lifetimeMilliseconds
    }

    /// Sends a reset link when an active user has this email; does nothing visible otherwise (the answer
    /// is the same, so that it reveals no account).
    package func request(email: String) async throws(AuthError) {
        let secret = auth.minter.randomSecret()
        let issued: User?
        do {
            issued = try await auth.engine.issuePasswordReset(
                email: email, digest: SecretToken.digest(ofSecret: secret),
                lifetimeMilliseconds: lifetimeMilliseconds)
        } catch {
            throw AuthService.mapped(error)
        }
        guard let user = issued else { return }
        let token = SecretToken(id: user.id, secret: secret).text
        let mail = Mail(
            to: user.email, subject: "Reset your password",
            body: "Someone asked to reset the password of \(user.email). If it was you, open "
                + "\(frontendURL)/reset-password?token=\(token) within one hour. Otherwise ignore this message.",
            createdAt: ISO8601DateFormatter().string(from: Date()))
        do { try outbox.send(mail) } catch {
            throw AuthError(.unavailable, "the reset mail could not be sent")
        }
    }

    /// Sets a new password with a reset token; every session of the user ends.
    package func confirm(token text: String, newPassword: String) async throws(AuthError) {
        // A reset token has the shape of a refresh token, with the user's id where a session id would be.
        guard let token = SecretToken(parsing: text), let user = await auth.engine.user(id: token.id),
            let pending = user.resetDigest, pending.constantTimeEquals(token.digest)
        else { throw AuthError(.tokenInvalid, "invalid or expired reset token") }
        // The engine checks again (and the expiry) when it records the change; this spares a bcrypt round.
        let hash = try await auth.hashPassword(newPassword)
        do {
            try await auth.engine.completePasswordReset(userID: token.id, digest: token.digest, passwordHash: hash)
        } catch {
            throw error.code == .invalidArgument
                ? AuthError(.tokenInvalid, "invalid or expired reset token")
                : AuthService.mapped(error)
        }
    }
}
