import Engine
import Foundation

/// `GET /api/v1/admin/stats`: the operators' dashboard, read from counters the shards keep (no user is
/// visited) and from each shard's largest organizations.
extension Endpoints {
    func addAdminStatsRoute(to admin: RouteGroup) {
        admin.get("/stats") { _, _ in
            let counters = await engine.userCounters()
            let today = UserCounters.day(ofMilliseconds: engine.clock.nowMilliseconds())
            let (live, active) = counters.liveAndActive
            let stats = AdminStats(
                userGrowth: counters.growth(days: 30, endingOn: today).map {
                    .init(date: Self.date(ofDay: $0.day), totalUsers: $0.total, activeUsers: $0.active)
                },
                organizationDistribution: await engine.largestOrganizations(limit: 6).map {
                    .init(name: $0.name, value: $0.members)
                },
                registrationActivity: counters.registrations(days: 14, endingOn: today).map {
                    .init(date: Self.date(ofDay: $0.day), registrations: $0.count)
                },
                userStatus: [.init(name: "Active", value: active), .init(name: "Inactive", value: live - active)])
            return .json(.ok, JSONBody.encode(stats))
        }
    }

    /// `2026-11-27` for a day number.
    static func date(ofDay day: Int32) -> String {
        String(iso8601(milliseconds: Int64(day) * 86_400_000).prefix(10))
    }
}

/// The answer of `GET /admin/stats`, shaped as the seed's dashboard expects.
struct AdminStats: Encodable {
    struct Growth: Encodable {
        let date: String
        let totalUsers: Int
        let activeUsers: Int
        enum CodingKeys: String, CodingKey { case date, totalUsers = "total_users", activeUsers = "active_users" }
    }
    struct NamedValue: Encodable {
        let name: String
        let value: Int
    }
    struct Registrations: Encodable {
        let date: String
        let registrations: Int
    }

    let userGrowth: [Growth]
    let organizationDistribution: [NamedValue]
    let registrationActivity: [Registrations]
    let userStatus: [NamedValue]

    enum CodingKeys: String, CodingKey {
        case userGrowth = "user_growth", organizationDistribution = "organization_distribution"
        case registrationActivity = "registration_activity", userStatus = "user_status"
    }
}
