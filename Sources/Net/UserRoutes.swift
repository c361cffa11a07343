import Auth
import Engine
import Foundation

/// `/api/v1/users` and `/api/v1/users/{user_id}`: superusers list and manage users; a user may read and edit
/// itself.
extension API {
    func addUserRoutes(to router: inout Router) {
        router.add(.GET, "/api/v1/users") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            return try await listUsers(request, searchable: false)
        }
        router.add(.GET, "/api/v1/users/{user_id}") { request throws(APIError) in
            let (_, user) = try await selfOrSuperuser(request)
            return .json(.ok, JSONBody.encode(UserResponse(user: user)))
        }
        router.add(.PATCH, "/api/v1/users/{user_id}") { request throws(APIError) in
            let (_, user) = try await selfOrSuperuser(request)
            let body = try JSONBody.decode(ProfileBody.self, from: request)
            let updated = try await body.apply(to: user.id, engine: auth.engine)
            return .json(.ok, JSONBody.encode(UserResponse(user: updated)))
        }
        router.add(.DELETE, "/api/v1/users/{user_id}") { request throws(APIError) in
            let claims = try await requireSuperuser(request)
            let id = try userID(request)
            guard id != claims.userID else { throw APIError(.forbidden, "AUTH_007", "you cannot delete yourself") }
            do throws(EngineError) { try await auth.engine.deleteUser(id) } catch {
                if error.code == .userNotFound { throw APIError(.notFound, "USER_001", "user not found") }
                throw APIError(.serviceUnavailable, "SYS_007", "the user could not be deleted")
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "user deleted")))
        }
    }

    /// A page of the users that are not deleted, filtered by `is_active` and `is_superuser` (and, when
    /// `searchable`, by `search` in email and names), sorted as asked.
    func listUsers(_ request: HTTPRequest, searchable: Bool) async throws(APIError) -> HTTPResponse {
        let page = try PageRequest(request.query, sortable: ["created_at", "updated_at", "email", "first_name", "last_name"],
                                   defaultSort: "created_at")
        var users = await auth.engine.activeAndInactiveUsers()
        for (name, keyPath) in [("is_active", \User.isActive), ("is_superuser", \User.isSuperuser)] {
            guard let text = request.query[name] else { continue }
            guard let wanted = Bool(text) else {
                throw APIError(.unprocessableEntity, "VAL_001", "\(name) is true or false", field: name)
            }
            users = users.filter { $0[keyPath: keyPath] == wanted }
        }
        if searchable, let search = request.query["search"]?.lowercased(), !search.isEmpty {
            users = users.filter { user in
                [user.email, user.firstName.lowercased(), user.lastName?.lowercased() ?? ""].contains { $0.contains(search) }
            }
        }
        users.sort { a, b in
            let ordered: Bool = switch page.sortBy {
            case "updated_at": (a.updatedAtMilliseconds, a.email) < (b.updatedAtMilliseconds, b.email)
            case "email": a.email < b.email
            case "first_name": (a.firstName, a.email) < (b.firstName, b.email)
            case "last_name": (a.lastName ?? "", a.email) < (b.lastName ?? "", b.email)
            default: (a.createdAtMilliseconds, a.email) < (b.createdAtMilliseconds, b.email)
            }
            return page.descending ? !ordered : ordered
        }
        let (slice, pagination) = page.slice(users)
        return .json(.ok, JSONBody.encode(Page(data: slice.map(UserResponse.init), pagination: pagination)))
    }

    /// The caller's claims, when the caller is a superuser now; else 403 AUTH_004.
    func requireSuperuser(_ request: HTTPRequest) async throws(APIError) -> AccessClaims {
        let claims = try await authenticate(request)
        guard claims.isSuperuser, await isSuperuser(claims.userID) else { throw APIError.forbidden }
        return claims
    }

    /// The `{user_id}` of the path.
    func userID(_ request: HTTPRequest) throws(APIError) -> UUID {
        guard let text = request.parameters["user_id"], let id = UUID(uuidString: text) else {
            throw APIError(.unprocessableEntity, "VAL_005", "invalid user id", field: "user_id")
        }
        return id
    }

    /// The caller, and the user of the path, which must be the caller or the caller a superuser.
    private func selfOrSuperuser(_ request: HTTPRequest) async throws(APIError) -> (AccessClaims, User) {
        let claims = try await authenticate(request)
        let id = try userID(request)
        if id != claims.userID {
            guard claims.isSuperuser, await isSuperuser(claims.userID) else { throw APIError.forbidden }
        }
        guard let user = await auth.engine.user(id: id), !user.isDeleted else {
            throw APIError(.notFound, "USER_001", "user not found")
        }
        return (claims, user)
    }

    /// Whether the user is a superuser now (the token's claim may predate a change).
    func isSuperuser(_ id: UUID) async -> Bool {
        await auth.engine.user(id: id)?.isSuperuser == true
    }
}

extension APIError {
    static let forbidden = APIError(.forbidden, "AUTH_004", "insufficient permissions")
}
