import Foundation
import Testing

/// A cluster's follower serves what it has and makes no change of its own: over HTTP, a change is 503.
@Suite("An engine closed to changes (a follower) answers changes 503 SYS_007 with Retry-After and still serves")
struct ChangeGateTests {
    @Test("closed: registration is 503 with Retry-After and health answers; opened again: registration works")
    func closedToChanges() async throws {
        let harness = try await HTTPHarness()
        harness.auth.engine.acceptChanges(false)
        let refused = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"ann@example.com","password":"\#(HTTPHarness.password)","first_name":"A"}"#)
        #expect(refused.status == 503 && refused.errorCode == "SYS_007", "\(refused.json)")
        #expect(refused.headers["retry-after"] == "1")
        #expect(try await harness.send("GET", "/health").status == 200, "a follower is in service")
        harness.auth.engine.acceptChanges(true)
        #expect(try await harness.signUp("ann@example.com").status == 200)
        await harness.close()
    }
}
