import Auth
import Logging

/// `/api/v1/auth/password-reset/request` and `/confirm`: a reset link by mail, then a new password with its
/// token. The request's answer is the same for every email, and so is its timing.
extension Endpoints {
    func addPasswordResetRoutes(to group: RouteGroup) {
        group.post("/request", limit: .passwordResetRequest) { request, context in
            struct Body: Decodable { let email: String }
            let body = try JSONBody.decode(Body.self, from: request)
            // The answer goes out at once, the same for every email: waiting for the reset to be logged would
            // make a known address answer one fsync later than an unknown one. The reset's own work starts only
            // after a pause, at low priority, so that it does not compete with this answer on its way out (it
            // did: known addresses answered 0.01–0.05 ms later). The mail is sent only once the reset is
            // durable; a failure is logged (and the log's shows in `/health`).
            Task(priority: .background) { [passwordReset] in
                try? await Task.sleep(for: .milliseconds(20))
                do throws(AuthError) { try await passwordReset.request(email: body.email) } catch {
                    context.logger.error(
                        "a password reset failed",
                        metadata: context.metadata.merging(
                            ["reason": "\(error.message)"]) { $1 })
                }
            }
            return .json(
                .ok,
                JSONBody.encode(
                    MessageResponse(
                        message: "if an account with this email exists, a reset link has been sent")))
        }
        group.post("/confirm", limit: .passwordResetConfirm) { request, _ in
            struct Body: Decodable {
                let token: String
                let newPassword: String
                enum CodingKeys: String, CodingKey { case token, newPassword = "new_password" }
            }
            let body = try JSONBody.decode(Body.self, from: request)
            do throws(AuthError) {
                try await passwordReset.confirm(token: body.token, newPassword: body.newPassword)
            } catch {
                // A reset token that does not work is the body's fault (400 naming it), not the caller's identity.
                guard error.code == .tokenInvalid else { throw error }
                throw APIError(.badRequest, "AUTH_003", error.message, field: "token")
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "password changed; every session has ended")))
        }
    }
}
