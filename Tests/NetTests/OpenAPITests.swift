import Auth
import Foundation
import Testing

@testable import Net

@Suite("The OpenAPI document is true to the router")
struct OpenAPITests {
    @Test("every operation the router serves is documented, and the document names no other")
    func coverage() async throws {
        let harness = try await HTTPHarness()
        let served = Set(
            API(
                auth: harness.auth,
                passwordReset: PasswordResetService(
                    auth: harness.auth, outbox: JSONLinesOutbox(path: harness.directory + "/outbox.jsonl"),
                    frontendURL: "x"),
                // As `tessera serve` makes it: an OpenID Connect provider.
                provider: OAuthProvider(
                    auth: harness.auth, consentURL: "",
                    idTokenKeys: IDTokenKeys(
                        directory: harness.directory + "/oidc-keys", rotationSeconds: nil, retentionSeconds: 3600))
            )
            .router.operations.map { "\($0.method.rawValue) \($0.path)" })
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" })
        #expect(
            served.subtracting(documented).isEmpty,
            "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(served).isEmpty,
            "documented but not served: \(documented.subtracting(served).sorted())")
        let answer = try await harness.send("GET", "/api/v1/openapi.json")
        #expect(answer.status == 200)
        #expect(answer.json["openapi"] as? String == "3.1.0")
        await harness.close()
    }

    @Test("a real OpenAPI validator (openapi-spec-validator) accepts the document")
    func validates() throws {
        let path = NSTemporaryDirectory() + "/tessera-openapi-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(OpenAPIDocument.json(version: "test")).write(to: URL(fileURLWithPath: path))
        let (status, text) = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import json, sys
                from openapi_spec_validator import validate
                validate(json.load(open(sys.argv[1])))
                print("valid")
                """, path,
            ])
        #expect(status == 0, "\(text)")
        #expect(text.contains("valid"))
    }
}
