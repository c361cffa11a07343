import Auth
import Foundation
import Testing

/// RFC 8707 over HTTP: the resources a client names at authorization are bound into the code and the grant,
/// and the access tokens are for them (`aud`), as an MCP server that checks the audience requires.
@Suite("Resource indicators (RFC 8707): tokens are for the resource the client named, and for nothing else")
struct ResourceIndicatorTests {
    static let mcp = "https://mcp.example/mcp"
    static let other = "https://other.example/api"

    /// The `aud` of a JWT, as a list.
    static func audience(_ token: String) throws -> [String] {
        let payload = String(token.split(separator: ".")[1])
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let claims = try #require(
            try JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!) as? [String: Any])
        if let single = claims["aud"] as? String { return [single] }
        return try #require(claims["aud"] as? [String])
    }

    static func exchange(
        _ fixture: ProviderFixture, code: String, verifier: String, resources: [String]
    ) async throws -> ProviderFixtureAnswer {
        let answer = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("client_id", fixture.publicClient), ("code_verifier", verifier),
            ] + resources.map { ("resource", $0) })
        return ProviderFixtureAnswer(status: answer.status, json: answer.json)
    }

    @Test("a code for a resource gives an access token whose aud is that resource, and introspection says so")
    func audienceIsTheResource() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let verifier = ProviderFixture.verifier()
        let code = try await fixture.code(
            client: fixture.publicClient, challenge: ProviderFixture.challenge(verifier), resources: [Self.mcp])
        let answer = try await Self.exchange(fixture, code: code, verifier: verifier, resources: [Self.mcp])
        #expect(answer.status == 200, "\(answer.json)")
        let access = try #require(answer.json["access_token"] as? String)
        #expect(try Self.audience(access) == [Self.mcp])
        let introspection = try await fixture.introspect(access)
        #expect(introspection["active"] as? Bool == true)
        #expect(introspection["aud"] as? String == Self.mcp)
    }

    @Test("a token request naming another resource is invalid_target and spends nothing: the code still works")
    func codeRedeemedWithAnotherResource() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let verifier = ProviderFixture.verifier()
        let code = try await fixture.code(
            client: fixture.publicClient, challenge: ProviderFixture.challenge(verifier), resources: [Self.mcp])
        let refused = try await Self.exchange(fixture, code: code, verifier: verifier, resources: [Self.other])
        #expect(refused.status == 400)
        #expect(refused.json["error"] as? String == "invalid_target")
        let accepted = try await Self.exchange(fixture, code: code, verifier: verifier, resources: [])
        #expect(accepted.status == 200, "without a resource, the token is for every resource of the code")
        #expect(try Self.audience(try #require(accepted.json["access_token"] as? String)) == [Self.mcp])
    }

    @Test("a refresh may narrow the resources, never widen them")
    func refreshNarrowsOnly() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let verifier = ProviderFixture.verifier()
        let both = [Self.mcp, Self.other].sorted()
        let code = try await fixture.code(
            client: fixture.publicClient, challenge: ProviderFixture.challenge(verifier), resources: both)
        let first = try await Self.exchange(fixture, code: code, verifier: verifier, resources: [])
        #expect(try Self.audience(try #require(first.json["access_token"] as? String)) == both)
        var refresh = try #require(first.json["refresh_token"] as? String)

        func refreshed(_ resources: [String]) async throws -> HTTPHarness.Answer {
            try await fixture.harness.sendForm(
                "/api/v1/oauth/provider/token",
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", fixture.publicClient)]
                    + resources.map { ("resource", $0) })
        }
        let narrowed = try await refreshed([Self.mcp])
        #expect(narrowed.status == 200)
        #expect(try Self.audience(try #require(narrowed.json["access_token"] as? String)) == [Self.mcp])
        refresh = try #require(narrowed.json["refresh_token"] as? String)
        let widened = try await refreshed(["https://third.example/"])
        #expect(widened.status == 400)
        #expect(widened.json["error"] as? String == "invalid_target")
        let again = try await refreshed([])
        #expect(try Self.audience(try #require(again.json["access_token"] as? String)) == both, "the grant keeps both")
    }

    @Test(
        "resources that are not absolute https (or loopback http) URIs without a fragment are invalid_target at authorize",
        arguments: ["https://mcp.example/#frag", "ftp://mcp.example/", "mcp", "http://mcp.example/"])
    func refusedAtAuthorize(resource: String) async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let answer = try await fixture.harness.send(
            "GET",
            fixture.authorizePath(
                client: fixture.publicClient, challenge: ProviderFixture.challenge("v"), resources: [resource]),
            token: fixture.user.token)
        #expect(answer.status == 302)
        let query = ProviderFixture.query(answer.headers["location"])
        #expect(query["error"] == "invalid_target", "\(resource)")
        #expect(query["iss"] == "http://tessera.test")
    }

    @Test("a consent covers the resources it was given for: asking for another resource asks the user again")
    func consentCoversResources() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        _ = try await fixture.code(
            client: fixture.publicClient, challenge: ProviderFixture.challenge(ProviderFixture.verifier()),
            resources: [Self.mcp])
        func authorize(_ resources: [String]) async throws -> String? {
            try await fixture.harness.send(
                "GET",
                fixture.authorizePath(
                    client: fixture.publicClient, challenge: ProviderFixture.challenge(ProviderFixture.verifier()),
                    resources: resources),
                token: fixture.user.token
            ).headers["location"]
        }
        #expect(
            try await authorize([Self.mcp])?.hasPrefix(ProviderFixture.redirect) == true, "consented: a code at once")
        #expect(
            try await authorize([Self.other])?.hasPrefix("https://app.example/oauth/consent") == true,
            "another resource: the user is asked")
    }

    @Test("with --resources, only the resources listed are accepted")
    func allowList() async throws {
        let fixture = try await ProviderFixture.make(resourcePolicy: ResourcePolicy(allowed: [Self.mcp]))
        defer { Task { await fixture.harness.close() } }
        func authorize(_ resource: String) async throws -> [String: String] {
            let answer = try await fixture.harness.send(
                "GET",
                fixture.authorizePath(
                    client: fixture.publicClient, challenge: ProviderFixture.challenge(ProviderFixture.verifier()),
                    resources: [resource]),
                token: fixture.user.token)
            return ProviderFixture.query(answer.headers["location"])
        }
        #expect(try await authorize(Self.other)["error"] == "invalid_target")
        #expect(try await authorize(Self.mcp)["error"] == nil)
    }

    @Test("client credentials may name a resource; the token is for it")
    func clientCredentials() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let answer = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token", [("grant_type", "client_credentials"), ("resource", Self.mcp)],
            basic: fixture.confidential)
        #expect(answer.status == 200)
        let access = try #require(answer.json["access_token"] as? String)
        #expect(try Self.audience(access) == [Self.mcp])
        #expect(try await fixture.introspect(access)["aud"] as? String == Self.mcp)
    }
}

/// A token endpoint answer, as the resource tests read it.
struct ProviderFixtureAnswer {
    let status: Int
    let json: [String: Any]
}
