import Foundation
import Testing

@Suite("Password reset by mail")
struct PasswordResetTests {
    /// The token of the newest reset link in the outbox.
    static func lastToken(_ harness: HTTPHarness) throws -> String? {
        let text = (try? String(contentsOfFile: harness.directory + "/data/outbox.jsonl", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last,
            let mail = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let body = mail["body"] as? String, let range = body.range(of: "token=")
        else { return nil }
        return String(body[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// The mails in the outbox once it holds `count` of them (the request answers before the mail is written,
    /// once the reset is durable); bounded wait.
    static func mails(_ harness: HTTPHarness, count: Int) async throws -> [String] {
        for _ in 0..<250 {
            let text = (try? String(contentsOfFile: harness.directory + "/data/outbox.jsonl", encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").map(String.init)
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    @Test(
        "request always answers 200; the mailed token sets a new password once, within the hour, ending every session")
    func resetFlow() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let access = try #require(login.json["access_token"] as? String)

        let unknown = try await harness.send(
            "POST", "/api/v1/auth/password-reset/request", json: #"{"email":"nobody@example.com"}"#)
        #expect(unknown.status == 200)
        #expect(try Self.lastToken(harness) == nil)
        let known = try await harness.send(
            "POST", "/api/v1/auth/password-reset/request", json: #"{"email":"ADA@example.com"}"#)
        #expect(known.status == 200)
        #expect(known.json["message"] as? String == unknown.json["message"] as? String)
        #expect(
            try await Self.mails(harness, count: 1).count == 1, "one mail: the known address's, none for the unknown")
        let token = try #require(try Self.lastToken(harness))
        let outbox = try String(contentsOfFile: harness.directory + "/data/outbox.jsonl", encoding: .utf8)
        #expect(outbox.contains("https://app.example/reset-password?token="))
        #expect(outbox.contains(#""to":"ada@example.com""#))

        let weak = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"weak"}"#)
        #expect(weak.errorCode == "VAL_002")
        let forged = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token.dropLast(2))xx","new_password":"Another-Horse-43"}"#)
        #expect(forged.status == 400)
        #expect(forged.errorCode == "AUTH_003")

        let done = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"Another-Horse-43"}"#)
        #expect(done.status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: access).status == 401)
        let again = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"Third-Horse-44!"}"#)
        #expect(again.status == 400, "a reset token works once")
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: #"{"email":"ada@example.com","password":"Another-Horse-43"}"#
            ).status == 200)
        await harness.close()
    }
}
