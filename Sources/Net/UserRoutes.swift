import Auth
import Engine
import Foundation

/// `/api/v1/users` and `/api/v1/users/{user_id}`: superusers list and manage users; a user may read and edit
/// itself.
extension Endpoints {
    func addUserRoutes(signedIn: RouteGroup, superusers: RouteGroup) {
        superusers.get("") { request, _ in try await listUsers(request, searchable: false) }
        signedIn.get("/{user_id}") { request, context in
            .json(.ok, UserResponse(user: try await selfOrSuperuser(request, context)).json)
        }
        signedIn.patch("/{user_id}") { request, context in
            let user = try await selfOrSuperuser(request, context)
            let body = try JSONBody.decode(ProfileBody.self, from: request)
            return .json(.ok, UserResponse(user: try await body.apply(to: user.id, engine: engine)).json)
        }
        superusers.delete("/{user_id}") { request, context in
            let id = try request.userID()
            guard id != (try context.requireIdentity().userID) else {
                throw APIError(.forbidden, "AUTH_007", "you cannot delete yourself")
            }
            try await engine.deleteUser(id)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "user deleted")))
        }
    }

    /// A page of the users that are not deleted, filtered by `is_active` and `is_superuser` (and, when
    /// `searchable`, by `search` in email and names), sorted as asked.
    func listUsers(_ request: HTTPRequest, searchable: Bool) async throws(APIError) -> HTTPResponse {
        let page = try PageRequest(
            request.query, sortable: ["created_at", "updated_at", "email", "first_name", "last_name"],
            defaultSort: "created_at")
        var users = await engine.activeAndInactiveUsers()
        for (name, keyPath) in [("is_active", \User.isActive), ("is_superuser", \User.isSuperuser)] {
            guard let text = request.query[name] else { continue }
            guard let wanted = Bool(text) else {
                throw APIError(.unprocessableEntity, "VAL_001", "\(name) is true or false", field: name)
            }
            users = users.filter { $0[keyPath: keyPath] == wanted }
        }
        if searchable, let search = request.query["search"]?.lowercased(), !search.isEmpty {
            users = users.filter { user in
                [user.email, user.firstName.lowercased(), user.lastName?.lowercased() ?? ""].contains {
                    $0.contains(search)
                }
            }
        }
        users.sort { a, b in
            let ordered: Bool =
                switch page.sortBy {
                case "updated_at": (a.updatedAtMilliseconds, a.email) < (b.updatedAtMilliseconds, b.email)
                case "email": a.email < b.email
                case "first_name": (a.firstName, a.email) < (b.firstName, b.email)
                case "last_name": (a.lastName ?? "", a.email) < (b.lastName ?? "", b.email)
                default: (a.createdAtMilliseconds, a.email) < (b.createdAtMilliseconds, b.email)
                }
            return page.descending ? !ordered : ordered
        }
        let (slice, pagination) = page.slice(users)
        // `{"data": [...], "pagination": {...}}`, the users written as their bytes.
        var out = Array(#"{"data":["#.utf8)
        for (index, user) in slice.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            UserResponse(user: user).appendJSON(to: &out)
        }
        out.append(contentsOf: #"],"pagination":"#.utf8)
        out.append(contentsOf: JSONBody.encode(pagination))
        out.append(UInt8(ascii: "}"))
        return .json(.ok, out)
    }

    /// The user of the path, which must be the caller, or the caller a superuser.
    private func selfOrSuperuser(_ request: HTTPRequest, _ context: RequestContext) async throws -> User {
        let claims = try context.requireIdentity()
        let id = try request.userID()
        if id != claims.userID {
            guard claims.isSuperuser, await isSuperuser(claims.userID) else { throw APIError.forbidden }
        }
        return try await existingUser(id)
    }

    /// Whether the user is a superuser now (the token's claim may predate a change).
    func isSuperuser(_ id: UUID) async -> Bool {
        await engine.user(id: id)?.isSuperuser == true
    }

    /// The user, unless it does not exist or is deleted (404 USER_001).
    func existingUser(_ id: UUID) async throws(APIError) -> User {
        guard let user = await engine.user(id: id), !user.isDeleted else {
            throw APIError(.notFound, "USER_001", "user not found")
        }
        return user
    }
}

extension HTTPRequest {
    /// The `{user_id}` of the path.
    func userID() throws(APIError) -> UUID { try uuidParameter("user_id", what: "user") }
}
