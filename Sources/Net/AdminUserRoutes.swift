import Auth
import Engine
import Foundation

/// `/api/v1/admin/users…`: superusers manage accounts. No operation acts on the caller's own account.
extension Endpoints {
    func addAdminUserRoutes(to group: RouteGroup) {
        group.get("") { request, _ in try await listUsers(request, searchable: true) }
        group.post("") { request, _ in
            let body = try JSONBody.decode(AdminCreateBody.self, from: request)
            guard Validation.isEmail(body.email) else {
                throw APIError(.unprocessableEntity, "VAL_003", "invalid email", field: "email")
            }
            try Validation.checkName(body.firstName, field: "first_name", required: true)
            let user = try await auth.createUser(
                email: body.email, password: body.password, firstName: body.firstName,
                isSuperuser: body.isSuperuser ?? false)
            return .json(.created, UserResponse(user: user).json)
        }
        group.get("/{user_id}") { request, _ in
            .json(.ok, UserResponse(user: try await existingUser(try request.userID())).json)
        }
        group.put("/{user_id}") { request, context in
            let id = try request.userID()
            let body = try JSONBody.decode(AdminUpdateBody.self, from: request)
            if id == (try context.requireIdentity().userID) && (body.isActive != nil || body.isSuperuser != nil) {
                throw APIError(.forbidden, "AUTH_007", "you cannot change your own status or rights")
            }
            var user = try await body.profile.apply(to: id, engine: engine)
            if let isActive = body.isActive, isActive != user.isActive {
                user = try await engine.setActive(userID: id, isActive)
            }
            if let isSuperuser = body.isSuperuser, isSuperuser != user.isSuperuser {
                user = try await engine.setSuperuser(userID: id, isSuperuser)
            }
            return .json(.ok, UserResponse(user: user).json)
        }
        group.delete("/{user_id}") { request, context in
            try await apply(.delete, to: try request.userID(), caller: try context.requireIdentity().userID)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "user deleted")))
        }
        for action in [BulkAction.activate, .deactivate] {
            group.post("/{user_id}/\(action.rawValue)") { request, context in
                let id = try request.userID()
                try await apply(action, to: id, caller: try context.requireIdentity().userID)
                return .json(.ok, UserResponse(user: try await existingUser(id)).json)
            }
        }
        group.post("/bulk-action") { request, context in
            let caller = try context.requireIdentity().userID
            let body = try JSONBody.decode(BulkBody.self, from: request)
            guard (1...100).contains(body.userIDs.count) else {
                throw APIError(.unprocessableEntity, "VAL_001", "between 1 and 100 user ids", field: "user_ids")
            }
            var failed: [String] = []
            for text in body.userIDs {
                guard let id = UUID(uuidString: text) else {
                    failed.append(text)
                    continue
                }
                do { try await apply(body.action, to: id, caller: caller) } catch { failed.append(text) }
            }
            let done = body.userIDs.count - failed.count
            let answer = BulkAnswer(
                affectedCount: done, failedCount: failed.count,
                message: "\(body.action.rawValue): \(done) done, \(failed.count) failed",
                failedIDs: failed)
            return .json(.ok, JSONBody.encode(answer))
        }
    }

    /// Activates, deactivates or deletes `id`, never the caller.
    private func apply(_ action: BulkAction, to id: UUID, caller: UUID) async throws {
        guard id != caller else { throw APIError(.forbidden, "AUTH_007", "you cannot do this to your own account") }
        _ = try await existingUser(id)
        switch action {
        case .activate: _ = try await engine.setActive(userID: id, true)
        case .deactivate: _ = try await engine.setActive(userID: id, false)
        case .delete: try await engine.deleteUser(id)
        }
    }
}

enum BulkAction: String, Decodable {
    case activate, deactivate, delete
}

struct BulkBody: Decodable {
    let action: BulkAction
    let userIDs: [String]
    enum CodingKeys: String, CodingKey { case action, userIDs = "user_ids" }
}

struct BulkAnswer: Encodable {
    let success = true
    let affectedCount: Int
    let failedCount: Int
    let message: String
    let failedIDs: [String]
    enum CodingKeys: String, CodingKey {
        case success, affectedCount = "affected_count", failedCount = "failed_count", message, failedIDs = "failed_ids"
    }
}

struct AdminCreateBody: Decodable {
    let email: String
    let password: String
    let firstName: String
    let isSuperuser: Bool?
    enum CodingKeys: String, CodingKey {
        case email, password, firstName = "first_name", isSuperuser = "is_superuser"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        email = try container.decode(String.self, forKey: .email)
        password = try container.decode(String.self, forKey: .password)
        firstName = try container.decode(String.self, forKey: .firstName)
        isSuperuser = try container.decodeUnlessAbsent(Bool.self, forKey: .isSuperuser)
    }
}

/// The body of `PUT /admin/users/{id}`: the profile fields, plus status and rights.
struct AdminUpdateBody: Decodable {
    let profile: ProfileBody
    let isActive: Bool?
    let isSuperuser: Bool?
    enum CodingKeys: String, CodingKey { case isActive = "is_active", isSuperuser = "is_superuser" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        isActive = try container.decodeUnlessAbsent(Bool.self, forKey: .isActive)
        isSuperuser = try container.decodeUnlessAbsent(Bool.self, forKey: .isSuperuser)
        var profile = try ProfileBody(from: decoder)
        profile.privilegeGiven = false
        self.profile = profile
    }
}
