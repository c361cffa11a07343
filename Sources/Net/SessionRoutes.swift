import Auth
import Engine
import Foundation

/// `/api/v1/sessions/…`: the caller's own sessions — list, revoke one, purge the inactive ones.
extension Endpoints {
    func addSessionRoutes(to group: RouteGroup) {
        group.get("/me") { _, context in
            let claims = try context.requireIdentity()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let sessions = await engine.sessions(of: claims.userID).filter { $0.isActive(at: now) }
            struct Answer: Encodable {
                let sessions: [SessionResponse]
                let total: Int
            }
            let entries = sessions.map { SessionResponse(session: $0, isCurrent: $0.id == claims.sessionID) }
            return .json(.ok, JSONBody.encode(Answer(sessions: entries, total: entries.count)))
        }
        group.delete("/me/expired") { _, context in
            let count = try await engine.purgeInactiveSessions(of: try context.requireIdentity().userID)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "removed \(count) sessions", count: count)))
        }
        group.delete("/{session_id}") { request, context in
            let claims = try context.requireIdentity()
            let id = try request.uuidParameter("session_id", what: "session")
            guard let session = await engine.session(id: id) else {
                throw APIError(.notFound, "SYS_002", "session not found")
            }
            guard session.userID == claims.userID else { throw APIError(.forbidden, "AUTH_004", "not your session") }
            try await engine.revokeSession(id, of: claims.userID)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "session revoked")))
        }
    }
}

extension HTTPRequest {
    /// The `{name}` of the path as a UUID; 422 VAL_005 "invalid `what` id" naming the parameter otherwise.
    func uuidParameter(_ name: String, what: String) throws(APIError) -> UUID {
        guard let text = parameters[name], let id = UUID(uuidString: text) else {
            throw APIError(.unprocessableEntity, "VAL_005", "invalid \(what) id", field: name)
        }
        return id
    }
}
