import Auth
import Engine
import Foundation
import NIOHTTP1

/// `/api/v1/organizations…`: any user creates organizations and sees its own; members read; owners and admins
/// manage (the engine decides role rules inside the organization's shard, so two concurrent changes cannot
/// both take the last owner away).
extension API {
    func addOrganizationRoutes(to router: inout Router) {
        router.add(.GET, "/api/v1/organizations/me") { request throws(APIError) in
            let claims = try await authenticate(request)
            let memberships = await auth.engine.organizations(of: claims.userID)
            return .json(.ok, JSONBody.encode(memberships.map { OrganizationResponse(organization: $0.organization, role: $0.role) }))
        }
        router.add(.POST, "/api/v1/organizations") { request throws(APIError) in
            let claims = try await authenticate(request)
            let new = try JSONBody.decode(OrganizationCreateBody.self, from: request).validated(allowingStatus: false)
            do throws(EngineError) {
                let organization = try await auth.engine.createOrganization(new, ownerID: claims.userID)
                return .json(.created, JSONBody.encode(OrganizationResponse(organization: organization, role: .owner)))
            } catch {
                throw error.organizationAPIError
            }
        }
        router.add(.GET, "/api/v1/organizations/{org_id}") { request throws(APIError) in
            let (organization, role) = try await memberView(request)
            return .json(.ok, JSONBody.encode(OrganizationResponse(organization: organization, role: role)))
        }
        router.add(.PUT, "/api/v1/organizations/{org_id}") { request throws(APIError) in
            let claims = try await authenticate(request)
            let id = try organizationID(request)
            let update = try JSONBody.decode(OrganizationUpdateBody.self, from: request).update(of: id, allowingStatus: false)
            let caller = await organizationCaller(claims)
            do throws(EngineError) {
                let organization = try await auth.engine.updateOrganization(update, by: caller)
                return .json(.ok, JSONBody.encode(OrganizationResponse(organization: organization,
                                                                       role: organization.members[claims.userID]?.role)))
            } catch {
                throw error.organizationAPIError
            }
        }
        router.add(.GET, "/api/v1/organizations/{org_id}/members") { request throws(APIError) in
            let (organization, _) = try await memberView(request)
            return try await membersPage(of: organization, request)
        }
        router.add(.POST, "/api/v1/organizations/{org_id}/members") { request throws(APIError) in
            let claims = try await authenticate(request)
            return try await addMember(request, caller: await organizationCaller(claims))
        }
        router.add(.PATCH, "/api/v1/organizations/{org_id}/members/{user_id}") { request throws(APIError) in
            let claims = try await authenticate(request)
            let id = try organizationID(request)
            let member = try userID(request)
            let role = try OrganizationRules.role(try JSONBody.decode(MemberRoleBody.self, from: request).role)
            let caller = await organizationCaller(claims)
            let membership: Membership
            do throws(EngineError) {
                membership = try await auth.engine.changeMemberRole(member, to: role, in: id, by: caller)
            } catch {
                throw error.organizationAPIError
            }
            return try await memberAnswer(membership, status: .ok)
        }
        router.add(.DELETE, "/api/v1/organizations/{org_id}/members/{user_id}") { request throws(APIError) in
            let claims = try await authenticate(request)
            return try await removeMember(request, caller: await organizationCaller(claims))
        }
    }

    /// The `{org_id}` of the path.
    func organizationID(_ request: HTTPRequest) throws(APIError) -> UUID {
        guard let text = request.parameters["org_id"], let id = UUID(uuidString: text) else {
            throw APIError(.unprocessableEntity, "VAL_005", "invalid organization id", field: "org_id")
        }
        return id
    }

    /// The caller as the engine's role rules see it: superuser rights are checked against the user now.
    func organizationCaller(_ claims: AccessClaims) async -> OrganizationCaller {
        OrganizationCaller(userID: claims.userID, isSuperuser: claims.isSuperuser ? await isSuperuser(claims.userID) : false)
    }

    /// The organization of the path and the caller's role in it; members (and superusers) only.
    private func memberView(_ request: HTTPRequest) async throws(APIError) -> (Organization, OrganizationRole?) {
        let claims = try await authenticate(request)
        let id = try organizationID(request)
        guard let organization = await auth.engine.organization(id: id) else {
            throw EngineError(.organizationNotFound, "").organizationAPIError
        }
        let role = organization.members[claims.userID]?.role
        if role == nil, await organizationCaller(claims).isSuperuser == false {
            throw APIError(.forbidden, "AUTH_004", "only members of the organization may see it")
        }
        return (organization, role)
    }

    /// A page of the organization's members with their users, ordered by joining time (or as asked).
    func membersPage(of organization: Organization, _ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let page = try PageRequest(request.query, sortable: ["joined_at", "email", "role"], defaultSort: "joined_at")
        var members: [MemberResponse] = []
        for membership in organization.membersByJoining {
            guard let user = await auth.engine.user(id: membership.userID), !user.isDeleted else { continue }
            members.append(MemberResponse(membership: membership, user: user))
        }
        if page.sortBy != "joined_at" {
            members.sort { a, b in
                page.sortBy == "email" ? a.user.email < b.user.email
                    : (a.membership.role, a.user.email) < (b.membership.role, b.user.email)
            }
        }
        if page.descending { members.reverse() }
        let (slice, pagination) = page.slice(members)
        return .json(.ok, JSONBody.encode(Page(data: Array(slice), pagination: pagination)))
    }

    /// `POST …/members` for a caller (owner or admin of the organization, or a superuser).
    func addMember(_ request: HTTPRequest, caller: OrganizationCaller) async throws(APIError) -> HTTPResponse {
        let id = try organizationID(request)
        let body = try JSONBody.decode(MemberAddBody.self, from: request)
        guard let member = UUID(uuidString: body.userID) else {
            throw APIError(.unprocessableEntity, "VAL_005", "invalid user id", field: "user_id")
        }
        let role = try OrganizationRules.role(body.role)
        let membership: Membership
        do throws(EngineError) { membership = try await auth.engine.addMember(member, role: role, to: id, by: caller) } catch {
            throw error.organizationAPIError
        }
        return try await memberAnswer(membership, status: .created)
    }

    /// `DELETE …/members/{user_id}` for a caller.
    func removeMember(_ request: HTTPRequest, caller: OrganizationCaller) async throws(APIError) -> HTTPResponse {
        let id = try organizationID(request)
        let member = try userID(request)
        do throws(EngineError) { try await auth.engine.removeMember(member, from: id, by: caller) } catch {
            throw error.organizationAPIError
        }
        return .json(.ok, JSONBody.encode(MessageResponse(message: "member removed")))
    }

    private func memberAnswer(_ membership: Membership, status: HTTPResponseStatus) async throws(APIError) -> HTTPResponse {
        guard let user = await auth.engine.user(id: membership.userID) else {
            throw APIError(.notFound, "USER_001", "user not found")
        }
        return .json(status, JSONBody.encode(MemberResponse(membership: membership, user: user)))
    }
}
