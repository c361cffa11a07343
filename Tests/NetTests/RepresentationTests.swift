import Auth
import Engine
import Foundation
import Testing

@testable import Net

/// The login, refresh and user answers are written as bytes; they must say what the contract's schemas say,
/// whatever the user's text holds.
@Suite("User and token answers written as bytes are the contract's JSON")
struct RepresentationTests {
    static func user(preferences: String?, lastName: String?) -> User {
        User(
            id: UUID(uuidString: "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9")!, email: "ann@example.com", passwordHash: "x",
            firstName: "Ann \"the\" \\ first\n\u{1}é🙂", lastName: lastName, phoneNumber: nil, isActive: true,
            isSuperuser: false, preferences: preferences, locale: "fr-CA", createdAtMilliseconds: 1_700_000_000_123,
            updatedAtMilliseconds: 1_700_000_360_000, deletedAtMilliseconds: nil)
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], "not a JSON object")
    }

    @Test("a user: every field of UserResponse, text escaped, absent values null, preferences as the object")
    func userAnswer() throws {
        let preferences = String(
            decoding: JSONBody.encode(["theme": JSONValue.string("dark/\"x\""), "n": .number(2)]), as: UTF8.self)
        let json = try Self.object(UserResponse(user: Self.user(preferences: preferences, lastName: nil)).json)
        #expect(json["id"] as? String == "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9")
        #expect(json["email"] as? String == "ann@example.com")
        #expect(json["first_name"] as? String == "Ann \"the\" \\ first\n\u{1}é🙂")
        #expect(json["last_name"] is NSNull && json["phone_number"] is NSNull)
        #expect(json["locale"] as? String == "fr-CA")
        #expect(json["is_active"] as? Bool == true && json["is_superuser"] as? Bool == false)
        #expect(json["created_at"] as? String == "2023-11-14T22:13:20Z")
        #expect(json["updated_at"] as? String == "2023-11-14T22:19:20Z")
        let stored = try #require(json["preferences"] as? [String: Any])
        #expect(stored["theme"] as? String == "dark/\"x\"" && stored["n"] as? Int == 2)
        #expect(json.count == 11, "\(json.keys.sorted())")

        let bare = try Self.object(UserResponse(user: Self.user(preferences: nil, lastName: "B")).json)
        #expect(bare["preferences"] is NSNull && bare["last_name"] as? String == "B")
    }

    @Test("a token answer over HTTP: the tokens, bearer, expires_in and the user; a refresh answers the same shape")
    func tokenAnswer() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("token-shape@example.com")
        #expect(login.status == 200, "\(login.json)")
        let json = login.json
        #expect(json["token_type"] as? String == "bearer" && json["expires_in"] as? Int == 900)
        #expect(json["is_new_user"] == nil && json.count == 5, "\(json.keys.sorted())")
        let user = try #require(json["user"] as? [String: Any])
        #expect(user["email"] as? String == "token-shape@example.com" && user.count == 11)
        let refreshToken = try #require(json["refresh_token"] as? String)
        let refreshed = try await harness.send(
            "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refreshToken)"}"#)
        #expect(refreshed.status == 200)
        #expect(
            Set(refreshed.json.keys) == Set(json.keys) && refreshed.json["refresh_token"] as? String != refreshToken)
        await harness.close()
    }
}
