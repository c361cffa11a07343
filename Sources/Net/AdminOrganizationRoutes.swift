import Auth
import Engine
import Foundation

/// `/api/v1/admin/organizations…`: superusers list, create, change and delete organizations and manage their
/// members. The role rules still hold (a superuser acts as an owner; the last owner stays).
extension Endpoints {
    func addAdminOrganizationRoutes(to group: RouteGroup) {
        group.get("") { request, _ in try await listOrganizations(request) }
        group.post("") { request, _ in
            let new = try JSONBody.decode(OrganizationCreateBody.self, from: request).validated(allowingStatus: true)
            let organization = try await engine.createOrganization(new, ownerID: nil)
            return .json(.created, JSONBody.encode(OrganizationResponse(organization: organization)))
        }
        group.get("/{org_id}") { request, _ in
            .json(.ok, JSONBody.encode(OrganizationResponse(organization: try await existingOrganization(request))))
        }
        group.put("/{org_id}") { request, context in
            let update = try JSONBody.decode(OrganizationUpdateBody.self, from: request)
                .update(of: try request.organizationID(), allowingStatus: true)
            let organization = try await engine.updateOrganization(update, by: try superuserCaller(context))
            return .json(.ok, JSONBody.encode(OrganizationResponse(organization: organization)))
        }
        group.delete("/{org_id}") { request, _ in
            try await engine.deleteOrganization(try request.organizationID())
            return .json(.ok, JSONBody.encode(MessageResponse(message: "organization deleted")))
        }
        group.get("/{org_id}/members") { request, _ in
            try await membersPage(of: try await existingOrganization(request), request)
        }
        group.post("/{org_id}/members") { request, context in
            try await addMember(request, caller: try superuserCaller(context))
        }
        group.delete("/{org_id}/members/{user_id}") { request, context in
            try await removeMember(request, caller: try superuserCaller(context))
        }
    }

    /// The caller of an admin route, a superuser (its group's guard saw to it), as the role rules see it.
    private func superuserCaller(_ context: RequestContext) throws(APIError) -> OrganizationCaller {
        OrganizationCaller(userID: try context.requireIdentity().userID, isSuperuser: true)
    }

    private func existingOrganization(_ request: HTTPRequest) async throws -> Organization {
        guard let organization = await engine.organization(id: try request.organizationID()) else {
            throw EngineError(.organizationNotFound, "no such organization")
        }
        return organization
    }

    /// A page of every organization, filtered by `search` in name and slug, sorted as asked.
    private func listOrganizations(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let page = try PageRequest(
            request.query, sortable: ["created_at", "name", "slug", "member_count"],
            defaultSort: "created_at")
        var organizations = await engine.allOrganizations()
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
            let ordered: Bool =
                switch page.sortBy {
                case "name": (a.name, a.slug) < (b.name, b.slug)
                case "slug": a.slug < b.slug
                case "member_count": (a.members.count, a.slug) < (b.members.count, b.slug)
                default: (a.createdAtMilliseconds, a.slug) < (b.createdAtMilliseconds, b.slug)
                }
            return page.descending ? !ordered : ordered
        }
        let (slice, pagination) = page.slice(organizations)
        return .json(
            .ok,
            JSONBody.encode(
                Page(
                    data: slice.map { OrganizationResponse(organization: $0) },
                    pagination: pagination)))
    }
}
