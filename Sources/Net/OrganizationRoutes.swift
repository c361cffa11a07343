import Auth
import Engine
import Foundation
import NIOHTTP1

/// `/api/v1/organizations…`: any user creates organizations and sees its own; members read; owners and admins
/// manage (the engine decides role rules inside the organization's shard, so two concurrent changes cannot
/// both take the last owner away).
extension Endpoints {
    func addOrganizationRoutes(to group: RouteGroup) {
        group.get("/me") { _, context in
            let memberships = await engine.organizations(of: try context.requireIdentity().userID)
            return .json(
                .ok,
                JSONBody.encode(
                    memberships.map {
                        OrganizationResponse(organization: $0.organization, role: $0.role)
                    }))
        }
        group.post("") { request, context in
            let new = try JSONBody.decode(OrganizationCreateBody.self, from: request).validated(allowingStatus: false)
            let organization = try await engine.createOrganization(new, ownerID: try context.requireIdentity().userID)
            return .json(.created, JSONBody.encode(OrganizationResponse(organization: organization, role: .owner)))
        }
        group.get("/{org_id}") { request, context in
            let (organization, role) = try await memberView(request, context)
            return .json(.ok, JSONBody.encode(OrganizationResponse(organization: organization, role: role)))
        }
        group.put("/{org_id}") { request, context in
            let id = try request.organizationID()
            let update = try JSONBody.decode(OrganizationUpdateBody.self, from: request).update(
                of: id, allowingStatus: false)
            let caller = try await organizationCaller(context)
            let organization = try await engine.updateOrganization(update, by: caller)
            return .json(
                .ok,
                JSONBody.encode(
                    OrganizationResponse(
                        organization: organization,
                        role: organization.members[caller.userID]?.role)))
        }
        group.get("/{org_id}/members") { request, context in
            let (organization, _) = try await memberView(request, context)
            return try await membersPage(of: organization, request)
        }
        group.post("/{org_id}/members") { request, context in
            try await addMember(request, caller: try await organizationCaller(context))
        }
        group.patch("/{org_id}/members/{user_id}") { request, context in
            let id = try request.organizationID()
            let member = try request.userID()
            let role = try OrganizationRules.role(try JSONBody.decode(MemberRoleBody.self, from: request).role)
            let caller = try await organizationCaller(context)
            return try await memberAnswer(
                try await engine.changeMemberRole(member, to: role, in: id, by: caller),
                status: .ok)
        }
        group.delete("/{org_id}/members/{user_id}") { request, context in
            try await removeMember(request, caller: try await organizationCaller(context))
        }
    }

    /// The caller as the engine's role rules see it: superuser rights are checked against the user now.
    func organizationCaller(_ context: RequestContext) async throws(APIError) -> OrganizationCaller {
        let claims = try context.requireIdentity()
        return OrganizationCaller(
            userID: claims.userID,
            isSuperuser: claims.isSuperuser ? await isSuperuser(claims.userID) : false)
    }

    /// The organization of the path and the caller's role in it; members (and superusers) only.
    private func memberView(
        _ request: HTTPRequest, _ context: RequestContext
    ) async throws
        -> (Organization, OrganizationRole?)
    {
        let caller = try await organizationCaller(context)
        guard let organization = await engine.organization(id: try request.organizationID()) else {
            throw EngineError(.organizationNotFound, "no such organization")
        }
        let role = organization.members[caller.userID]?.role
        if role == nil, !caller.isSuperuser {
            throw APIError(.forbidden, "AUTH_004", "only members of the organization may see it")
        }
        return (organization, role)
    }

    /// A page of the organization's members with their users, ordered by joining time (or as asked).
    func membersPage(of organization: Organization, _ request: HTTPRequest) async throws -> HTTPResponse {
        let page = try PageRequest(request.query, sortable: ["joined_at", "email", "role"], defaultSort: "joined_at")
        var members: [MemberResponse] = []
        for membership in organization.membersByJoining {
            guard let user = await engine.user(id: membership.userID), !user.isDeleted else { continue }
            members.append(MemberResponse(membership: membership, user: user))
        }
        if page.sortBy != "joined_at" {
            members.sort { a, b in
                page.sortBy == "email"
                    ? a.user.email < b.user.email
                    : (a.membership.role, a.user.email) < (b.membership.role, b.user.email)
            }
        }
        if page.descending { members.reverse() }
        let (slice, pagination) = page.slice(members)
        return .json(.ok, JSONBody.encode(Page(data: Array(slice), pagination: pagination)))
    }

    /// `POST …/members` for a caller (owner or admin of the organization, or a superuser).
    func addMember(_ request: HTTPRequest, caller: OrganizationCaller) async throws -> HTTPResponse {
        let id = try request.organizationID()
        let body = try JSONBody.decode(MemberAddBody.self, from: request)
        guard let member = UUID(uuidString: body.userID) else {
            throw APIError(.unprocessableEntity, "VAL_005", "invalid user id", field: "user_id")
        }
        let role = try OrganizationRules.role(body.role)
        return try await memberAnswer(
            try await engine.addMember(member, role: role, to: id, by: caller), status: .created)
    }

    /// `DELETE …/members/{user_id}` for a caller.
    func removeMember(_ request: HTTPRequest, caller: OrganizationCaller) async throws -> HTTPResponse {
        try await engine.removeMember(try request.userID(), from: try request.organizationID(), by: caller)
        return .json(.ok, JSONBody.encode(MessageResponse(message: "member removed")))
    }

    private func memberAnswer(
        _ membership: Membership, status: HTTPResponseStatus
    ) async throws(APIError) -> HTTPResponse {
        guard let user = await engine.user(id: membership.userID) else {
            throw APIError(.notFound, "USER_001", "user not found")
        }
        return .json(status, JSONBody.encode(MemberResponse(membership: membership, user: user)))
    }
}

extension HTTPRequest {
    /// The `{org_id}` of the path.
    func organizationID() throws(APIError) -> UUID { try uuidParameter("org_id", what: "organization") }
}
