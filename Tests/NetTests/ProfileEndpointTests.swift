import Foundation
import Testing

@Suite("Profile, password and session clean-up over HTTP")
struct ProfileEndpointTests {
    @Test("PATCH /users/me sets, clears and keeps fields; privilege and password fields are refused")
    func patchProfile() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        let patched = try await harness.send(
            "PATCH", "/api/v1/users/me",
            json:
                #"{"last_name":"Lovelace","phone_number":"+391234567890","preferences":{"theme":"dark","n":2},"locale":"IT-it"}"#,
            token: token)
        #expect(patched.status == 200)
        #expect(patched.json["last_name"] as? String == "Lovelace")
        #expect(patched.json["locale"] as? String == "it-it")
        #expect((patched.json["preferences"] as? [String: Any])?["theme"] as? String == "dark")

        let cleared = try await harness.send("PATCH", "/api/v1/users/me", json: #"{"last_name":null}"#, token: token)
        #expect(cleared.json["last_name"] is NSNull)
        #expect(cleared.json["phone_number"] as? String == "+391234567890")

        let privilege = try await harness.send(
            "PATCH", "/api/v1/users/me", json: #"{"is_superuser":true}"#, token: token)
        #expect(privilege.status == 403)
        #expect(privilege.errorCode == "AUTH_004")
        let password = try await harness.send("PATCH", "/api/v1/users/me", json: #"{"password":"X"}"#, token: token)
        #expect(password.status == 422)
        #expect(
            try await harness.send("PATCH", "/api/v1/users/me", json: #"{"locale":"fr"}"#, token: token).errorField
                == "locale")
        await harness.close()
    }

    @Test("a password change needs the current password and ends the other sessions, not the caller's")
    func changePassword() async throws {
        let harness = try await HTTPHarness()
        let first = try await harness.signUp("ada@example.com")
        let second = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)
        let token = try #require(first.json["access_token"] as? String)
        let other = try #require(second.json["access_token"] as? String)

        let wrong = try await harness.send(
            "PATCH", "/api/v1/users/me/password",
            json: #"{"current_password":"Wrong-Horse-42!","new_password":"Another-Horse-43"}"#, token: token)
        #expect(wrong.status == 403)
        #expect(wrong.errorCode == "AUTH_001")
        let weak = try await harness.send(
            "PATCH", "/api/v1/users/me/password",
            json: #"{"current_password":"Correct-Horse-42","new_password":"weak"}"#, token: token)
        #expect(weak.errorCode == "VAL_002")

        let changed = try await harness.send(
            "PATCH", "/api/v1/users/me/password",
            json: #"{"current_password":"Correct-Horse-42","new_password":"Another-Horse-43"}"#, token: token)
        #expect(changed.status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: token).status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: other).status == 401)
        let old = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)
        #expect(old.status == 401)

        let purged = try await harness.send("DELETE", "/api/v1/sessions/me/expired", token: token)
        #expect(purged.status == 200)
        #expect(purged.json["count"] as? Int == 1)
        await harness.close()
    }
}
