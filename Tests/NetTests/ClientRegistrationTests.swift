import Foundation
import Net
import Testing

/// Dynamic client registration (RFC 7591) and its management (RFC 7592), over HTTP, as MCP clients use them.
@Suite("Clients register themselves (RFC 7591) and manage their registration (RFC 7592)")
struct ClientRegistrationTests {
    static let path = "/api/v1/oauth/provider/register"
    /// What the MCP SDK's OAuth client sends by default: a public client with a loopback redirect.
    static let mcpBody = #"""
        {"redirect_uris":["http://localhost:3030/callback"],"token_endpoint_auth_method":"none",
         "grant_types":["authorization_code","refresh_token"],"response_types":["code"],
         "client_name":"MCP Inspector","scope":"read write","client_uri":"https://inspector.example",
         "software_id":"mcp-inspector","software_version":"1.0","unknown_field":{"ignored":true}}
        """#

    @Test("an MCP client's default body registers a public native client, and its token reads, replaces and deletes it")
    func registerAndManage() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let created = try await harness.send("POST", Self.path, json: Self.mcpBody)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(created.headers["cache-control"] == "no-store")
        let document = created.json
        let clientID = try #require(document["client_id"] as? String)
        let token = try #require(document["registration_access_token"] as? String)
        #expect(document["client_secret"] == nil, "a public client gets no secret")
        #expect(document["client_secret_expires_at"] == nil)
        #expect((document["client_id_issued_at"] as? Int ?? 0) > 1_700_000_000)
        #expect(document["registration_client_uri"] as? String == "http://tessera.test\(Self.path)/\(clientID)")
        #expect(document["application_type"] as? String == "native", "loopback redirects without a type are native")
        #expect(document["token_endpoint_auth_method"] as? String == "none")
        #expect(document["grant_types"] as? [String] == ["authorization_code", "refresh_token"])
        #expect(document["scope"] as? String == "read write")
        #expect(document["software_id"] as? String == "mcp-inspector")

        let read = try await harness.send("GET", "\(Self.path)/\(clientID)", token: token)
        #expect(read.status == 200)
        #expect(read.json["client_name"] as? String == "MCP Inspector")
        #expect(read.json["registration_access_token"] == nil, "the token is shown once")

        let wrong = try await harness.send("GET", "\(Self.path)/\(clientID)", token: "not-the-token")
        #expect(wrong.status == 401)
        #expect(wrong.json["error"] as? String == "invalid_token")
        #expect(wrong.headers["www-authenticate"] == #"Bearer error="invalid_token""#)
        #expect(try await harness.send("GET", "\(Self.path)/\(clientID)").status == 401)

        let update =
            #"{"client_id":"\#(clientID)","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","client_name":"Renamed","scope":"read"}"#
        let replaced = try await harness.send("PUT", "\(Self.path)/\(clientID)", json: update, token: token)
        #expect(replaced.status == 200, "\(String(decoding: replaced.body, as: UTF8.self))")
        #expect(replaced.json["client_name"] as? String == "Renamed")
        #expect(replaced.json["redirect_uris"] as? [String] == ["http://127.0.0.1/cb"])
        #expect(replaced.json["client_uri"] == nil, "an update replaces every field")
        let otherID =
            #"{"client_id":"\#(UUID().uuidString)","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}"#
        #expect(try await harness.send("PUT", "\(Self.path)/\(clientID)", json: otherID, token: token).status == 400)
        let secretBased = #"{"client_id":"\#(clientID)","redirect_uris":["http://127.0.0.1/cb"]}"#
        let kindChange = try await harness.send("PUT", "\(Self.path)/\(clientID)", json: secretBased, token: token)
        #expect(kindChange.status == 400, "a public client cannot become confidential: it has no secret")

        #expect(try await harness.send("DELETE", "\(Self.path)/\(clientID)", token: token).status == 204)
        #expect(try await harness.send("GET", "\(Self.path)/\(clientID)", token: token).status == 401)
    }

    @Test(
        "OpenID Connect metadata registers and reads back (post-logout URIs, back-channel logout URI, ID token algorithm); a foreign algorithm or a fragment is refused"
    )
    func openIDMetadata() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let created = try await harness.send(
            "POST", Self.path,
            json: #"""
                {"redirect_uris":["https://rp.example/cb"],"token_endpoint_auth_method":"none","scope":"openid",
                 "post_logout_redirect_uris":["https://rp.example/bye"],
                 "backchannel_logout_uri":"https://rp.example/backchannel","id_token_signed_response_alg":"EdDSA"}
                """#)
        #expect(created.status == 201, "\(created.json)")
        #expect(created.json["post_logout_redirect_uris"] as? [String] == ["https://rp.example/bye"])
        #expect(created.json["backchannel_logout_uri"] as? String == "https://rp.example/backchannel")
        #expect(created.json["id_token_signed_response_alg"] as? String == "EdDSA")
        for (field, value, error) in [
            ("id_token_signed_response_alg", #""none""#, "invalid_client_metadata"),
            ("id_token_signed_response_alg", #""HS256""#, "invalid_client_metadata"),
            ("backchannel_logout_uri", #""https://rp.example/b#x""#, "invalid_client_metadata"),
            ("post_logout_redirect_uris", #"["ftp://rp.example/bye"]"#, "invalid_redirect_uri"),
        ] {
            let refused = try await harness.send(
                "POST", Self.path,
                json:
                    #"{"redirect_uris":["https://rp.example/cb"],"token_endpoint_auth_method":"none","\#(field)":\#(value)}"#
            )
            #expect(
                refused.status == 400 && refused.json["error"] as? String == error, "\(field) \(value): \(refused.json)"
            )
        }
    }

    @Test("a confidential client gets a secret once, and must authenticate the way it registered")
    func confidentialClient() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let body =
            #"{"grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"read","client_name":"Worker"}"#
        let created = try await harness.send("POST", Self.path, json: body)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let clientID = try #require(created.json["client_id"] as? String)
        let secret = try #require(created.json["client_secret"] as? String)
        #expect(created.json["client_secret_expires_at"] as? Int == 0)
        #expect(created.json["response_types"] as? [String] == [])
        // RFC 7592 §2.2: an update may repeat the secret, which must then be the client's.
        let update =
            #"{"client_id":"\#(clientID)","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"read","client_secret":"\#(secret)x"}"#
        let token = try #require(created.json["registration_access_token"] as? String)
        let wrongSecret = try await harness.send("PUT", "\(Self.path)/\(clientID)", json: update, token: token)
        #expect(wrongSecret.status == 400)
        #expect(wrongSecret.json["error"] as? String == "invalid_client_metadata")
        let rightSecret = try await harness.send(
            "PUT", "\(Self.path)/\(clientID)", json: update.replacingOccurrences(of: "\(secret)x", with: secret),
            token: token)
        #expect(rightSecret.status == 200)
        let basic = try await harness.sendForm(
            "/api/v1/oauth/provider/token", [("grant_type", "client_credentials")], basic: (clientID, secret))
        #expect(basic.status == 200, "\(String(decoding: basic.body, as: UTF8.self))")
        let post = try await harness.sendForm(
            "/api/v1/oauth/provider/token",
            [("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", secret)])
        #expect(post.status == 401, "registered for client_secret_basic, it may not send its secret in the form")
    }

    @Test(
        "RFC 7591 errors: redirect URIs that are not https or loopback http, fragments, web clients to loopback, bad metadata",
        arguments: [
            (
                #"{"redirect_uris":["http://client.example/cb"],"token_endpoint_auth_method":"none"}"#,
                "invalid_redirect_uri"
            ),
            (
                #"{"redirect_uris":["https://client.example/cb#frag"],"token_endpoint_auth_method":"none"}"#,
                "invalid_redirect_uri"
            ),
            (#"{"redirect_uris":["javascript:alert(1)"],"token_endpoint_auth_method":"none"}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["com.example.app:/cb"],"token_endpoint_auth_method":"none"}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["https://user:pw@client.example/cb"]}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["http://localhost:1/cb"],"application_type":"web"}"#, "invalid_redirect_uri"),
            (
                #"{"redirect_uris":["https://client.example/cb"],"application_type":"desktop"}"#,
                "invalid_client_metadata"
            ),
            (#"{"redirect_uris":"https://client.example/cb"}"#, "invalid_client_metadata"),
            (#"{"token_endpoint_auth_method":"none"}"#, "invalid_client_metadata"),
            (
                #"{"redirect_uris":["https://client.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
                "invalid_client_metadata"
            ),
            (#"{"redirect_uris":["https://client.example/cb"],"grant_types":["password"]}"#, "invalid_client_metadata"),
            (#"{"redirect_uris":["https://client.example/cb"],"response_types":["token"]}"#, "invalid_client_metadata"),
            (#"{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}"#, "invalid_client_metadata"),
            (
                #"{"redirect_uris":["https://client.example/cb"],"scope":"read delete-everything"}"#,
                "invalid_client_metadata"
            ),
            (#"{"redirect_uris":["https://client.example/cb"],"client_name":"a\u0000b"}"#, "invalid_client_metadata"),
            (
                #"{"redirect_uris":["https://client.example/cb"],"logo_uri":"ftp://client.example/logo"}"#,
                "invalid_client_metadata"
            ),
            (#"[1, 2]"#, "invalid_client_metadata"),
        ])
    func refused(body: String, error: String) async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let answer = try await harness.send("POST", Self.path, json: body)
        #expect(answer.status == 400, "\(body)")
        #expect(answer.json["error"] as? String == error, "\(body): \(String(decoding: answer.body, as: UTF8.self))")
        #expect(answer.json["error_description"] is String)
    }

    @Test(
        "a loopback redirect URI matches at any port when the browser is sent to authorize (RFC 8252 §7.3), nothing else does"
    )
    func loopbackAnyPort() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let created = try await harness.send("POST", Self.path, json: Self.mcpBody)
        let clientID = try #require(created.json["client_id"] as? String)
        let user = try await TestUser.signUp(harness, "grace")
        func authorize(_ redirect: String) async throws -> HTTPHarness.Answer {
            let encoded = redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            return try await harness.send(
                "GET",
                "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(clientID)&redirect_uri=\(encoded)"
                    + "&scope=read&state=s&code_challenge=\(ProviderFixture.challenge(ProviderFixture.verifier()))"
                    + "&code_challenge_method=S256",
                token: user.token)
        }
        #expect(try await authorize("http://localhost:3030/callback").status == 302)
        #expect(try await authorize("http://localhost:54321/callback").status == 302, "another port at use time")
        #expect(try await authorize("http://localhost:54321/other").status == 400, "another path")
        #expect(try await authorize("http://127.0.0.1:3030/callback").status == 400, "another host")
        #expect(try await authorize("https://localhost:3030/callback").status == 400, "another scheme")
    }

    @Test("the metadata names the registration endpoint while registration is open; off, registration is refused")
    func policy() async throws {
        let open = try await HTTPHarness()
        let metadata = try await open.send("GET", "/.well-known/oauth-authorization-server")
        #expect(metadata.json["registration_endpoint"] as? String == "http://tessera.test\(Self.path)")
        await open.close()

        let closed = try await HTTPHarness(registration: RegistrationSettings(policy: .off))
        defer { Task { await closed.close() } }
        #expect(
            try await closed.send("GET", "/.well-known/oauth-authorization-server").json["registration_endpoint"] == nil
        )
        let refused = try await closed.send("POST", Self.path, json: Self.mcpBody)
        #expect(refused.status == 403)
        #expect(refused.json["error"] as? String == "access_denied")
    }

    @Test("anonymous registrations are capped in number (503) and rate limited per address (429)")
    func abuseLimits() async throws {
        let capped = try await HTTPHarness(registration: RegistrationSettings(policy: .open, maxAnonymousClients: 2))
        for _ in 0..<2 { #expect(try await capped.send("POST", Self.path, json: Self.mcpBody).status == 201) }
        let full = try await capped.send("POST", Self.path, json: Self.mcpBody)
        #expect(full.status == 503)
        #expect(full.json["error"] as? String == "temporarily_unavailable")
        await capped.close()

        let frozen: @Sendable () -> UInt64 = { 1_000_000_000 }
        let limited = try await HTTPHarness(rateLimiter: RateLimiter(nowNanoseconds: frozen))
        defer { Task { await limited.close() } }
        for _ in 0..<10 { #expect(try await limited.send("POST", Self.path, json: Self.mcpBody).status == 201) }
        let tooMany = try await limited.send("POST", Self.path, json: Self.mcpBody)
        #expect(tooMany.status == 429)
        #expect(tooMany.headers["retry-after"] != nil)
    }

    @Test("under --client-registration token, an initial access token registers as many clients as it was made for")
    func tokenPolicy() async throws {
        let harness = try await HTTPHarness(registration: RegistrationSettings(policy: .token))
        defer { Task { await harness.close() } }
        let root = try await UserEndpointTests.superuserToken(harness)
        let metadata = try await harness.send("GET", "/.well-known/oauth-authorization-server")
        #expect(metadata.json["registration_endpoint"] != nil, "registration exists, behind a token")
        let without = try await harness.send("POST", Self.path, json: Self.mcpBody)
        #expect(without.status == 401)
        #expect(without.json["error"] as? String == "invalid_token")

        let made = try await harness.send(
            "POST", "/api/v1/oauth/provider/initial-access-tokens", json: #"{"uses":1,"expires_in_hours":2}"#,
            token: root)
        #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
        let initial = try #require(made.json["token"] as? String)
        let tokenID = try #require(made.json["id"] as? String)
        #expect(made.json["uses_left"] as? Int == 1)
        #expect(
            try await harness.send("POST", "/api/v1/oauth/provider/initial-access-tokens", json: "{}").status == 401)

        let refused = try await harness.send(
            "POST", Self.path, json: #"{"redirect_uris":["ftp://x"]}"#, token: initial)
        #expect(refused.status == 400, "bad metadata")
        let registered = try await harness.send("POST", Self.path, json: Self.mcpBody, token: initial)
        #expect(registered.status == 201, "a refused registration did not spend the token's one use")
        let spent = try await harness.send("POST", Self.path, json: Self.mcpBody, token: initial)
        #expect(spent.status == 401, "used up")
        #expect(try await harness.send("POST", Self.path, json: Self.mcpBody, token: "forged.token").status == 401)

        let list = try await harness.send("GET", "/api/v1/oauth/provider/clients", token: root)
        let clients = try #require(try JSONSerialization.jsonObject(with: list.body) as? [[String: Any]])
        #expect(clients.contains { $0["registered_by"] as? String == "initial_access_token" })
        let tokens = try await harness.send("GET", "/api/v1/oauth/provider/initial-access-tokens", token: root)
        let listed = try #require(try JSONSerialization.jsonObject(with: tokens.body) as? [[String: Any]])
        #expect(listed.first?["uses_left"] as? Int == 0)
        #expect(listed.first?["token"] == nil, "the token is shown once")

        let another = try await harness.send(
            "POST", "/api/v1/oauth/provider/initial-access-tokens", json: #"{"uses":5}"#, token: root)
        let anotherToken = try #require(another.json["token"] as? String)
        let anotherID = try #require(another.json["id"] as? String)
        #expect(
            try await harness.send("DELETE", "/api/v1/oauth/provider/initial-access-tokens/\(anotherID)", token: root)
                .status == 200)
        #expect(
            try await harness.send("POST", Self.path, json: Self.mcpBody, token: anotherToken).status == 401, "revoked")
        #expect(
            try await harness.send("DELETE", "/api/v1/oauth/provider/initial-access-tokens/\(tokenID)", token: root)
                .status == 200)
        let unknown = try await harness.send(
            "DELETE", "/api/v1/oauth/provider/initial-access-tokens/\(UUID().uuidString)", token: root)
        #expect(unknown.status == 404)
        let badUses = try await harness.send(
            "POST", "/api/v1/oauth/provider/initial-access-tokens", json: #"{"uses":0}"#, token: root)
        #expect(badUses.status == 422)
        let nullUses = try await harness.send(
            "POST", "/api/v1/oauth/provider/initial-access-tokens", json: #"{"uses":null}"#, token: root)
        #expect(nullUses.status == 422, "an explicit null is not an absent field (schemathesis found it accepted)")
    }

    @Test("clients that registered themselves are marked anonymous in the superuser's client list")
    func markedAnonymous() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let root = try await UserEndpointTests.superuserToken(harness)
        _ = try await ProviderFixture.register(harness, root: root, type: "public")
        let created = try await harness.send("POST", Self.path, json: Self.mcpBody)
        let clientID = try #require(created.json["client_id"] as? String)
        let list = try await harness.send("GET", "/api/v1/oauth/provider/clients", token: root)
        let clients = try #require(try JSONSerialization.jsonObject(with: list.body) as? [[String: Any]])
        let registered = try #require(clients.first { $0["client_id"] as? String == clientID })
        #expect(registered["registered_by"] as? String == "anonymous")
        #expect(clients.first { $0["client_id"] as? String != clientID }?["registered_by"] as? String == "superuser")
    }
}
