import Auth
import Engine
import Foundation

/// `/api/v1/admin/organizations…`: superusers list, create, change and delete organizations and manage their
/// members. The role rules still hold (a superuser acts as an owner; the last owner stays).
extension API {
    func addAdminOrganizationRoutes(to router: inout Router) {
        router.add(.GET, "/api/v1/admin/organizations") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            return try await listOrganizations(request)
        }
        router.add(.POST, "/api/v1/admin/organizations") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            let new = try JSONBody.decode(OrganizationCreateBody.self, from: request).validated(allowingStatus: true)
            do throws(EngineError) {
                let organization = try await auth.engine.createOrganization(new, ownerID: nil)
                return .json(.created, JSONBody.encode(OrganizationResponse(organization: organization)))
            } catch {
                throw error.organizationAPIError
            }
        }
        router.add(.GET, "/api/v1/admin/organizations/{org_id}") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            return .json(.ok, JSONBody.encode(OrganizationResponse(organization: try await existingOrganization(request))))
        }
        router.add(.PUT, "/api/v1/admin/organizations/{org_id}") { request throws(APIError) in
            let claims = try await requireSuperuser(request)
            let update = try JSONBody.decode(OrganizationUpdateBody.self, from: request).update(of: try organizationID(request), allowingStatus: true)
            do throws(EngineError) {
                let organization = try await auth.engine.updateOrganization(
                    update, by: OrganizationCaller(userID: claims.userID, isSuperuser: true))
                return .json(.ok, JSONBody.encode(OrganizationResponse(organization: organization)))
            } catch {
                throw error.organizationAPIError
            }
        }
        router.add(.DELETE, "/api/v1/admin/organizations/{org_id}") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            let id = try organizationID(request)
            do throws(EngineError) { try await auth.engine.deleteOrganization(id) } catch {
                throw error.organizationAPIError
            }
            return .json(.ok, JSONBody.encode(MessageResponse(message: "organization deleted")))
        }
        router.add(.GET, "/api/v1/admin/organizations/{org_id}/members") { request throws(APIError) in
            _ = try await requireSuperuser(request)
            return try await membersPage(of: try await existingOrganization(request), request)
        }
        router.add(.POST, "/api/v1/admin/organizations/{org_id}/members") { request throws(APIError) in
            let claims = try await requireSuperuser(request)
            return try await addMember(request, caller: OrganizationCaller(userID: claims.userID, isSuperuser: true))
        }
        router.add(.DELETE, "/api/v1/admin/organizations/{org_id}/members/{user_id}") { request throws(APIError) in
            let claims = try await requireSuperuser(request)
            return try await removeMember(request, caller: OrganizationCaller(userID: claims.userID, isSuperuser: true))
        }
    }

    private func existingOrganization(_ request: HTTPRequest) async throws(APIError) -> Organization {
        guard let organization = await auth.engine.organization(id: try organizationID(request)) else {
            throw EngineError(.organizationNotFound, "").organizationAPIError
        }
        return organization
    }

    /// A page of every organization, filtered by `search` in name and slug, sorted as asked.
    private func listOrganizations(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let page = try PageRequest(request.query, sortable: ["created_at", "name", "slug", "member_count"],
                                   defaultSort: "created_at")
        var organizations = await auth.engine.allOrganizations()
        if let search = request.query["search"]?.lowercased(), !search.isEmpty {
            organizations = organizations.filter { $0.name.lowercased().contains(search) || $0.slug.contains(search) }
        }
        if let text = request.query["is_active"] {
            guard let wanted = Bool(text) else {
                throw APIError(.unprocessableEntity, "VAL_001", "is_active is true or false", field: "is_active")
            }
            organizations = organizations.filter { $0.isActive == wanted }
        }
        organizations.sort { a, b in
            let ordered: Bool = switch page.sortBy {
            case "name": (a.name, a.slug) < (b.name, b.slug)
            case "slug": a.slug < b.slug
            case "member_count": (a.members.count, a.slug) < (b.members.count, b.slug)
            default: (a.createdAtMilliseconds, a.slug) < (b.createdAtMilliseconds, b.slug)
            }
            return page.descending ? !ordered : ordered
        }
        let (slice, pagination) = page.slice(organizations)
        return .json(.ok, JSONBody.encode(Page(data: slice.map { OrganizationResponse(organization: $0) },
                                               pagination: pagination)))
    }
}
