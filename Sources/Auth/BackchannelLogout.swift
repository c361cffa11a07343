import Bytes
package import Engine
import FoundationEssentials

/// Delivers a logout token: `POST <url>` with `logout_token=<token>` (OpenID Connect Back-Channel Logout §2.5).
package protocol LogoutTokenDelivery: Sendable {
    /// Nil when the client answered 2xx; else why not, in words for the log.
    func deliver(_ token: String, to url: String) async -> String?
}

/// Back-channel logout: when a change ends a user's session, every client concerned hears of it at once — a
/// signed logout token POSTed to its `backchannel_logout_uri`, retried a bounded number of times, each failure
/// and the outcome logged; the logout itself never waits for a client. Concerned are:
/// - the client of a grant that ended (logout everywhere, a deactivation or deletion, a reused refresh token,
///   a withdrawn consent), for the session its ID tokens named (`sid`);
/// - the clients holding grants authorized under a sign-in that ended (a sign-out, RP-initiated logout): an
///   online grant (`openid` without `offline_access`) ends with it — and its client hears of that — while an
///   offline one lives on and its client is told the sign-in ended.
package final class BackchannelLogout: Sendable {
    static let event = "http://schemas.openid.net/event/backchannel-logout"

    let provider: OAuthProvider
    let delivery: any LogoutTokenDelivery
    let attempts: Int
    let retryDelay: Duration
    let report: @Sendable (String) -> Void

    /// `attempts` deliveries at most per notice, `retryDelay` × the attempt's number apart.
    package init(
        provider: OAuthProvider, delivery: any LogoutTokenDelivery, attempts: Int = 3,
        retryDelay: Duration = .seconds(2), report: @escaping @Sendable (String) -> Void
    ) {
        self.provider = provider
        self.delivery = delivery
        self.attempts = max(1, attempts)
        self.retryDelay = retryDelay
        self.report = report
    }

    /// Starts listening to the engine's ended sessions.
    package func start() {
        provider.engine.observeEndedSessions { [self] ended in
            Task { await self.sessionsEnded(ended) }
        }
    }

    /// Who must be told, and tells them.
    package func sessionsEnded(_ ended: [EndedSession]) async {
        var notices: [Notice] = []
        for session in ended {
            if let grant = session.grant {
                notices.append(
                    Notice(clientID: grant.clientID, userID: session.userID, sid: grant.authentication?.sessionID))
                continue
            }
            for (grantSessionID, grant) in provider.engine.liveGrants(
                of: session.userID, authorizedUnder: session.sessionID)
            {
                if OAuthProvider.isOffline(grant.scope) {
                    notices.append(Notice(clientID: grant.clientID, userID: session.userID, sid: session.sessionID))
                } else {
                    // Its end comes back here as an ended grant, and its client is told then.
                    do {
                        _ = try await provider.engine.revokeProviderSession(grantSessionID, clientID: grant.clientID)
                    } catch {
                        report("an online grant of an ended sign-in could not be ended: \(error.message)")
                    }
                }
            }
        }
        var seen = Set<Notice>()
        await withTaskGroup(of: Void.self) { group in
            for notice in notices where seen.insert(notice).inserted {
                group.addTask { await self.tell(notice) }
            }
        }
    }

    struct Notice: Hashable {
        let clientID: UUID
        let userID: UUID
        let sid: UUID?
    }

    private func tell(_ notice: Notice) async {
        guard let client = provider.engine.liveClient(notice.clientID),
            let uri = client.openID.backchannelLogoutURI, let keys = provider.idTokenKeys
        else { return }
        let now = provider.auth.clock.nowMilliseconds() / 1000
        var claims: [(String, FlatJSON.Value)] = [
            ("iss", .string(provider.auth.signer.issuer)), ("aud", .string(client.clientIdentifier)),
            ("iat", .integer(now)), ("exp", .integer(now + 120)),
            ("jti", .string(UUIDText.lowercased(UUID()))), ("sub", .string(UUIDText.lowercased(notice.userID))),
            ("events", .emptyMembers([Self.event])),
        ]
        if let sid = notice.sid { claims.append(("sid", .string(UUIDText.lowercased(sid)))) }
        let algorithm = SigningAlgorithm(rawValue: client.openID.idTokenSignedResponseAlgorithm) ?? .rs256
        let token: String
        do { token = try keys.sign(claims, algorithm: algorithm, type: "logout+jwt", nowSeconds: now) } catch {
            report("back-channel logout of client \(client.clientIdentifier): cannot sign: \(error)")
            return
        }
        for attempt in 1...attempts {
            guard let failure = await delivery.deliver(token, to: uri) else {
                report("back-channel logout delivered to client \(client.clientIdentifier) (attempt \(attempt))")
                return
            }
            report(
                "back-channel logout to client \(client.clientIdentifier) failed (attempt \(attempt) of \(attempts)): \(failure)"
            )
            if attempt < attempts { try? await Task.sleep(for: retryDelay * attempt) }
        }
        report("back-channel logout to client \(client.clientIdentifier) given up after \(attempts) attempts")
    }
}
