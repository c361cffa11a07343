import Auth
import Crypto
import Engine
import Foundation
import Testing
import WAL

/// A provider set up over HTTP: a superuser, a user, a confidential and a public client.
struct ProviderFixture {
    let harness: HTTPHarness
    let root: String
    let user: TestUser
    let confidential: (id: String, secret: String)
    let publicClient: String
    static let redirect = "https://client.example/callback"

    static func make(
        eddsa: Bool = false, refreshGraceMilliseconds: Int64 = 10_000,
        resourcePolicy: ResourcePolicy = ResourcePolicy(), clock: (any EngineClock)? = nil,
        documents: (any ClientDocumentFetcher)? = nil,
        configure: (inout EngineConfiguration) -> Void = { _ in }
    ) async throws -> ProviderFixture {
        let harness = try await HTTPHarness(
            refreshGraceMilliseconds: refreshGraceMilliseconds, eddsa: eddsa, clock: clock,
            resourcePolicy: resourcePolicy, documents: documents, configure: configure)
        let root = try await UserEndpointTests.superuserToken(harness)
        let user = try await TestUser.signUp(harness, "ada")
        let confidential = try await register(harness, root: root, type: "confidential")
        let publicClient = try await register(harness, root: root, type: "public")
        return ProviderFixture(
            harness: harness, root: root, user: user,
            confidential: (confidential.id, try #require(confidential.secret)), publicClient: publicClient.id)
    }

    static func register(
        _ harness: HTTPHarness, root: String, type: String
    ) async throws -> (id: String, secret: String?) {
        let answer = try await harness.send(
            "POST", "/api/v1/oauth/provider/clients",
            json:
                #"{"client_name":"\#(type) app","redirect_uris":["\#(redirect)"],"client_type":"\#(type)","scopes":["read","write"]}"#,
            token: root)
        #expect(answer.status == 201)
        return (try #require(answer.json["client_id"] as? String), answer.json["client_secret"] as? String)
    }

    static func verifier() -> String { (0..<2).map { _ in UUID().uuidString }.joined() }

    static func challenge(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Every value of a parameter in the query of a `Location`, in order.
    static func queryValues(_ location: String?, _ name: String) -> [String] {
        (URLComponents(string: location ?? "")?.queryItems ?? []).filter { $0.name == name }.map { $0.value ?? "" }
    }

    /// The query of a `Location`, as a dictionary.
    static func query(_ location: String?) -> [String: String] {
        var result: [String: String] = [:]
        for item in URLComponents(string: location ?? "")?.queryItems ?? [] { result[item.name] = item.value ?? "" }
        return result
    }

    func authorizePath(
        client: String, challenge: String?, scope: String = "read", state: String = "xyz", resources: [String] = []
    ) -> String {
        var parameters = [
            "response_type=code",
            "client_id=" + client.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"]))!,
            "redirect_uri=\(Self.redirect)",
            "scope=\(scope.replacingOccurrences(of: " ", with: "%20"))",
            "state=\(state)",
        ]
        if let challenge { parameters += ["code_challenge=\(challenge)", "code_challenge_method=S256"] }
        parameters += resources.map { "resource=" + $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        return "/api/v1/oauth/provider/authorize?" + parameters.joined(separator: "&")
    }

    /// Consents (when asked) and returns the code the client receives.
    func code(
        client: String, challenge: String?, scope: String = "read", resources: [String] = []
    ) async throws
        -> String
    {
        let first = try await harness.send(
            "GET", authorizePath(client: client, challenge: challenge, scope: scope, resources: resources),
            token: user.token)
        #expect(first.status == 302)
        var location = first.headers["location"]
        if location?.hasPrefix("https://app.example/oauth/consent") == true {
            var fields = [
                ("approved", "true"), ("response_type", "code"), ("client_id", client),
                ("redirect_uri", Self.redirect), ("scope", scope), ("state", "xyz"),
            ]
            if let challenge { fields += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
            // The consent page receives every resource, and posts them back.
            #expect(Self.queryValues(location, "resource") == resources)
            fields += resources.map { ("resource", $0) }
            let decided = try await harness.sendForm(
                "/api/v1/oauth/provider/authorize/consent", fields, token: user.token)
            #expect(decided.status == 302)
            location = decided.headers["location"]
        }
        let query = Self.query(location)
        #expect(query["state"] == "xyz")
        #expect(query["iss"] == "http://tessera.test", "RFC 9207: the response names its issuer")
        return try #require(query["code"], "no code in \(location ?? "nil")")
    }

    func introspect(_ token: String) async throws -> [String: Any] {
        let answer = try await harness.sendForm(
            "/api/v1/oauth/provider/introspect", [("token", token)],
            basic: confidential)
        #expect(answer.status == 200)
        return answer.json
    }
}

@Suite(
    "The OAuth provider over HTTP: authorization code with PKCE, refresh, client credentials, revocation, introspection"
)
struct OAuthProviderTests {
    @Test("authorize: unknown client and foreign redirect URI are 400, never a redirect; other errors go to the client")
    func authorizeErrors() async throws {
        let fixture = try await ProviderFixture.make()
        let harness = fixture.harness
        let token = fixture.user.token
        // Without a Bearer token or a browser session: to the sign-in page, and back here afterwards.
        let anonymous = try await harness.send(
            "GET", fixture.authorizePath(client: fixture.publicClient, challenge: ProviderFixture.challenge("v")))
        #expect(anonymous.status == 303)
        #expect(
            anonymous.headers["location"]?.hasPrefix("/signin?next=%2Fapi%2Fv1%2Foauth%2Fprovider%2Fauthorize%3F")
                == true)
        let unknown = try await harness.send(
            "GET", fixture.authorizePath(client: UUID().uuidString, challenge: nil), token: token)
        #expect(unknown.status == 400)
        #expect(unknown.headers["location"] == nil)
        let foreign = try await harness.send(
            "GET",
            "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(fixture.confidential.id)&redirect_uri=https://evil.example/cb",
            token: token)
        #expect(foreign.status == 400)
        #expect(foreign.headers["location"] == nil)

        let noPKCE = try await harness.send(
            "GET", fixture.authorizePath(client: fixture.publicClient, challenge: nil), token: token)
        #expect(noPKCE.status == 302)
        #expect(ProviderFixture.query(noPKCE.headers["location"])["error"] == "invalid_request")
        #expect(ProviderFixture.query(noPKCE.headers["location"])["state"] == "xyz")
        #expect(ProviderFixture.query(noPKCE.headers["location"])["iss"] == "http://tessera.test", "errors name it too")
        let plain = try await harness.send(
            "GET",
            fixture.authorizePath(client: fixture.publicClient, challenge: nil)
                + "&code_challenge=abc&code_challenge_method=plain", token: token)
        #expect(ProviderFixture.query(plain.headers["location"])["error"] == "invalid_request")
        let scope = try await harness.send(
            "GET",
            fixture.authorizePath(
                client: fixture.confidential.id, challenge: nil,
                scope: "admin"), token: token)
        #expect(ProviderFixture.query(scope.headers["location"])["error"] == "invalid_scope")
        let type = try await harness.send(
            "GET",
            fixture.authorizePath(client: fixture.confidential.id, challenge: nil)
                .replacingOccurrences(of: "response_type=code", with: "response_type=token"),
            token: token)
        #expect(ProviderFixture.query(type.headers["location"])["error"] == "unsupported_response_type")

        // Without a consent the user goes to the consent page; a refusal sends access_denied to the client.
        let ask = try await harness.send(
            "GET", fixture.authorizePath(client: fixture.confidential.id, challenge: nil), token: token)
        #expect(ask.headers["location"]?.hasPrefix("https://app.example/oauth/consent?") == true)
        #expect(ProviderFixture.query(ask.headers["location"])["client_name"] == "confidential app")
        let refused = try await harness.sendForm(
            "/api/v1/oauth/provider/authorize/consent",
            [
                ("approved", "false"), ("response_type", "code"), ("client_id", fixture.confidential.id),
                ("redirect_uri", ProviderFixture.redirect), ("state", "xyz"),
            ], token: token)
        #expect(ProviderFixture.query(refused.headers["location"])["error"] == "access_denied")
        #expect(ProviderFixture.query(refused.headers["location"])["iss"] == "http://tessera.test")
        await harness.close()
    }

    @Test("code + PKCE for a public client; a code works once and its reuse revokes what it produced")
    func publicClientWithPKCE() async throws {
        let fixture = try await ProviderFixture.make()
        let verifier = ProviderFixture.verifier()
        let code = try await fixture.code(client: fixture.publicClient, challenge: ProviderFixture.challenge(verifier))
        let form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
            ("client_id", fixture.publicClient),
        ]
        let wrong = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            form + [("code_verifier", ProviderFixture.verifier())])
        #expect(wrong.status == 400)
        #expect(wrong.json["error"] as? String == "invalid_grant")
        let missing = try await fixture.harness.sendForm("/api/v1/oauth/provider/token", form)
        #expect(missing.json["error"] as? String == "invalid_request")

        let tokens = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token", form + [("code_verifier", verifier)])
        #expect(tokens.status == 200)
        #expect(tokens.headers["cache-control"] == "no-store")
        #expect(tokens.json["token_type"] as? String == "Bearer")
        #expect(tokens.json["scope"] as? String == "read")
        #expect(tokens.json["expires_in"] as? Int == 900)
        let access = try #require(tokens.json["access_token"] as? String)
        let refresh = try #require(tokens.json["refresh_token"] as? String)
        let introspected = try await fixture.introspect(access)
        #expect(introspected["active"] as? Bool == true)
        #expect(introspected["client_id"] as? String == fixture.publicClient)
        #expect(introspected["username"] as? String == "ada@example.com")
        #expect(introspected["sub"] as? String == fixture.user.id)
        #expect(try await fixture.introspect(refresh)["token_type"] as? String == "refresh_token")
        // A provider token is not a first-party credential.
        #expect(try await fixture.harness.send("GET", "/api/v1/users/me", token: access).status == 401)

        let reused = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token", form + [("code_verifier", verifier)])
        #expect(reused.json["error"] as? String == "invalid_grant")
        #expect(try await fixture.introspect(access)["active"] as? Bool == false)
        #expect(try await fixture.introspect(refresh).count == 1, "an inactive token reveals nothing but active: false")
        await fixture.harness.close()
    }

    @Test("a confidential client authenticates by Basic or by post; a wrong secret is 401 with WWW-Authenticate")
    func confidentialClient() async throws {
        let fixture = try await ProviderFixture.make()
        let path = "/api/v1/oauth/provider/token"
        for method in ["basic", "post"] {
            let code = try await fixture.code(client: fixture.confidential.id, challenge: nil)
            var form = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
            ]
            if method == "post" {
                form += [("client_id", fixture.confidential.id), ("client_secret", fixture.confidential.secret)]
            }
            let answer = try await fixture.harness.sendForm(
                path, form, basic: method == "basic" ? fixture.confidential : nil)
            #expect(answer.status == 200, "\(method)")
            #expect(answer.json["refresh_token"] is String)
        }
        let code = try await fixture.code(client: fixture.confidential.id, challenge: nil)
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect)]
        let wrong = try await fixture.harness.sendForm(path, form, basic: (fixture.confidential.id, "wrong"))
        #expect(wrong.status == 401)
        #expect(wrong.json["error"] as? String == "invalid_client")
        #expect(wrong.headers["www-authenticate"]?.hasPrefix("Basic") == true)
        let asPublic = try await fixture.harness.sendForm(path, form + [("client_id", fixture.confidential.id)])
        #expect(asPublic.status == 401)
        let both = try await fixture.harness.sendForm(
            path, form + [("client_secret", fixture.confidential.secret)],
            basic: fixture.confidential)
        #expect(both.json["error"] as? String == "invalid_request")
        let twice = try await fixture.harness.sendForm(
            path, form + [("grant_type", "refresh_token")], basic: fixture.confidential)
        #expect(twice.json["error"] as? String == "invalid_request")
        let json = try await fixture.harness.send("POST", path, json: #"{"grant_type":"client_credentials"}"#)
        #expect(json.json["error"] as? String == "invalid_request")
        let unsupported = try await fixture.harness.sendForm(
            path, [("grant_type", "password")], basic: fixture.confidential)
        #expect(unsupported.json["error"] as? String == "unsupported_grant_type")
        // The code was not spent by the failures.
        #expect(try await fixture.harness.sendForm(path, form, basic: fixture.confidential).status == 200)
        await fixture.harness.close()
    }

    @Test("refresh rotates, may narrow the scope but not widen it, is bound to its client; concurrent refreshes agree")
    func refresh() async throws {
        let fixture = try await ProviderFixture.make()
        let path = "/api/v1/oauth/provider/token"
        let code = try await fixture.code(client: fixture.confidential.id, challenge: nil, scope: "read write")
        let first = try await fixture.harness.sendForm(
            path,
            [
                ("grant_type", "authorization_code"), ("code", code),
                ("redirect_uri", ProviderFixture.redirect),
            ], basic: fixture.confidential)
        let refresh = try #require(first.json["refresh_token"] as? String)
        #expect(first.json["scope"] as? String == "read write")
        let wider = try await fixture.harness.sendForm(
            path,
            [
                ("grant_type", "refresh_token"), ("refresh_token", refresh),
                ("scope", "read admin"),
            ], basic: fixture.confidential)
        #expect(wider.json["error"] as? String == "invalid_scope")
        let otherClient = try await fixture.harness.sendForm(
            path,
            [
                ("grant_type", "refresh_token"), ("refresh_token", refresh),
                ("client_id", fixture.publicClient),
            ])
        #expect(otherClient.json["error"] as? String == "invalid_grant")
        let firstParty = try await fixture.harness.send(
            "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
        #expect(firstParty.status == 401)

        let answers = try await withThrowingTaskGroup(of: HTTPHarness.Answer.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await fixture.harness.sendForm(
                        path,
                        [
                            ("grant_type", "refresh_token"), ("refresh_token", refresh),
                            ("scope", "read"),
                        ], basic: fixture.confidential)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 })
        #expect(Set(answers.compactMap { $0.json["refresh_token"] as? String }).count == 1)
        #expect(Set(answers.compactMap { $0.json["access_token"] as? String }).count == 1)
        #expect(answers.first?.json["scope"] as? String == "read")
        let next = try #require(answers.first?.json["refresh_token"] as? String)
        #expect(try await fixture.introspect(next)["active"] as? Bool == true)
        #expect(try await fixture.introspect(refresh)["active"] as? Bool == false)
        await fixture.harness.close()
    }

    @Test(
        "client credentials for confidential clients only; revocation by the owning client; introspection of every kind"
    )
    func clientCredentialsRevocationIntrospection() async throws {
        let fixture = try await ProviderFixture.make()
        let harness = fixture.harness
        let token = try await harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "client_credentials"),
                ("scope", "write"),
            ], basic: fixture.confidential)
        #expect(token.status == 200)
        #expect(token.json["refresh_token"] == nil)
        let access = try #require(token.json["access_token"] as? String)
        let seen = try await fixture.introspect(access)
        #expect(seen["active"] as? Bool == true)
        #expect(seen["sub"] as? String == fixture.confidential.id)
        #expect(seen["scope"] as? String == "write")
        let publicAttempt = try await harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "client_credentials"),
                ("client_id", fixture.publicClient),
            ])
        #expect(publicAttempt.json["error"] as? String == "unauthorized_client")
        let publicIntrospection = try await harness.sendForm(
            "/api/v1/oauth/provider/introspect",
            [("token", access), ("client_id", fixture.publicClient)])
        #expect(publicIntrospection.status == 401)
        let noToken = try await harness.sendForm(
            "/api/v1/oauth/provider/introspect", [("token_type_hint", "access_token")],
            basic: fixture.confidential)
        #expect(noToken.status == 400)
        #expect(noToken.json["error"] as? String == "invalid_request")

        // First-party tokens introspect too, and stop being active at logout.
        let login = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        let firstAccess = try #require(login.json["access_token"] as? String)
        let firstRefresh = try #require(login.json["refresh_token"] as? String)
        #expect(try await fixture.introspect(firstAccess)["username"] as? String == "ada@example.com")
        #expect(try await fixture.introspect(firstRefresh)["active"] as? Bool == true)
        // Another client cannot revoke it: nothing happens (and nothing is told).
        let foreign = try await harness.sendForm(
            "/api/v1/oauth/provider/revoke", [("token", firstRefresh)],
            basic: fixture.confidential)
        #expect(foreign.status == 200)
        #expect(try await fixture.introspect(firstRefresh)["active"] as? Bool == true)
        _ = try await harness.send(
            "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(firstRefresh)"}"#, token: firstAccess)
        #expect(try await fixture.introspect(firstAccess)["active"] as? Bool == false)

        let revoked = try await harness.sendForm(
            "/api/v1/oauth/provider/revoke",
            [
                ("token", access),
                ("token_type_hint", "access_token"),
            ],
            basic: fixture.confidential)
        #expect(revoked.status == 200)
        #expect(try await fixture.introspect(access)["active"] as? Bool == false)
        #expect(
            try await harness.sendForm(
                "/api/v1/oauth/provider/revoke", [("token", "garbage")],
                basic: fixture.confidential
            ).status == 200)
        #expect(
            try await harness.sendForm(
                "/api/v1/oauth/provider/revoke", [("token", "garbage")],
                basic: (fixture.confidential.id, "wrong")
            ).status == 401)
        for forged in [
            "", "a.b.c", firstAccess.dropLast(3) + "abc", UUID().uuidString + "." + String(repeating: "A", count: 43),
        ] {
            #expect(try await fixture.introspect(String(forged)).count == 1)
        }
        await harness.close()
    }

    @Test("consents are listed and revoked with their tokens; deleting a client ends every token it holds")
    func consentsAndClientDeletion() async throws {
        let fixture = try await ProviderFixture.make()
        let harness = fixture.harness
        let code = try await fixture.code(client: fixture.confidential.id, challenge: nil)
        let tokens = try await harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "authorization_code"),
                ("code", code),
            ], basic: fixture.confidential)
        let access = try #require(tokens.json["access_token"] as? String)
        let consents = try await harness.send("GET", "/api/v1/oauth/provider/consents", token: fixture.user.token)
        #expect(consents.array.map { $0["client_id"] as? String } == [fixture.confidential.id])
        // With the consent given, authorize sends a code at once.
        let again = try await harness.send(
            "GET", fixture.authorizePath(client: fixture.confidential.id, challenge: nil),
            token: fixture.user.token)
        #expect(ProviderFixture.query(again.headers["location"])["code"] != nil)
        #expect(
            try await harness.send(
                "DELETE", "/api/v1/oauth/provider/consents/\(fixture.confidential.id)",
                token: fixture.user.token
            ).status == 200)
        #expect(try await fixture.introspect(access)["active"] as? Bool == false)

        let credentials = try await harness.sendForm(
            "/api/v1/oauth/provider/token", [("grant_type", "client_credentials")],
            basic: fixture.confidential)
        let clientAccess = try #require(credentials.json["access_token"] as? String)
        let listed = try await harness.send("GET", "/api/v1/oauth/provider/clients", token: fixture.root)
        #expect(listed.array.count == 2)
        #expect(listed.array.allSatisfy { $0["client_secret"] == nil })
        #expect(
            try await harness.send("GET", "/api/v1/oauth/provider/clients", token: fixture.user.token).status == 403)
        #expect(
            try await harness.send(
                "DELETE", "/api/v1/oauth/provider/clients/\(fixture.confidential.id)",
                token: fixture.root
            ).status == 200)
        let afterDeletion = try await harness.sendForm(
            "/api/v1/oauth/provider/introspect", [("token", clientAccess)],
            basic: fixture.confidential)
        #expect(afterDeletion.status == 401, "a deleted client cannot authenticate")
        let bad = try await harness.send(
            "POST", "/api/v1/oauth/provider/clients",
            json:
                #"{"client_name":"x","redirect_uris":["not a uri"],"client_type":"public","scopes":["read"]}"#,
            token: fixture.root)
        #expect(bad.status == 422)
        #expect(bad.errorField == "redirect_uris")
        await harness.close()
    }

    @Test(
        "clients register as the original backend took them too: form fields, redirect_uris comma-separated, scopes space-separated"
    )
    func formRegistration() async throws {
        let fixture = try await ProviderFixture.make()
        let form = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/clients",
            [
                ("client_name", "Form app"), ("redirect_uris", "https://a.example/cb, https://b.example/cb"),
                ("client_type", "confidential"), ("scopes", "read write"),
            ], token: fixture.root)
        #expect(form.status == 201, "\(form.json)")
        #expect(form.json["redirect_uris"] as? [String] == ["https://a.example/cb", "https://b.example/cb"])
        #expect(form.json["client_secret"] is String)
        let stringScopes = try await fixture.harness.send(
            "POST", "/api/v1/oauth/provider/clients",
            json:
                #"{"client_name":"J","redirect_uris":["https://a.example/cb"],"client_type":"public","scopes":"read write"}"#,
            token: fixture.root)
        #expect(stringScopes.status == 201)
        #expect(Set(stringScopes.json["scopes"] as? [String] ?? []) == ["read", "write"])
        let missing = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/clients", [("client_name", "X")], token: fixture.root)
        #expect(missing.status == 422)
        #expect(
            missing.errorField == "redirect_uris" || missing.errorField == "client_type"
                || missing.errorField == "scopes")
        await fixture.harness.close()
    }

    @Test("metadata names every endpoint; with EdDSA the JWKS document publishes the key that signs")
    func metadataAndJWKS() async throws {
        let fixture = try await ProviderFixture.make(eddsa: true)
        let metadata = try await fixture.harness.send("GET", "/.well-known/oauth-authorization-server")
        #expect(metadata.json["issuer"] as? String == "http://tessera.test")
        #expect(
            metadata.json["introspection_endpoint"] as? String == "http://tessera.test/api/v1/oauth/provider/introspect"
        )
        #expect(metadata.json["code_challenge_methods_supported"] as? [String] == ["S256"])
        #expect(metadata.json["authorization_response_iss_parameter_supported"] as? Bool == true)
        let jwks = try await fixture.harness.send("GET", "/.well-known/jwks.json")
        let keys = try #require(jwks.json["keys"] as? [[String: Any]])
        // The access tokens' Ed25519 key, shared with EdDSA ID tokens, and the RS256 and ES256 ID token keys.
        #expect(keys.compactMap { $0["alg"] as? String }.sorted() == ["ES256", "EdDSA", "RS256"])
        let ed25519 = try #require(keys.first { $0["crv"] as? String == "Ed25519" })
        let header = try #require(fixture.user.token.split(separator: ".").first)
        let decoded = try #require(
            Data(base64Encoded: String(header) + String(repeating: "=", count: (4 - header.count % 4) % 4)))
        #expect(String(decoding: decoded, as: UTF8.self).contains(#""kid":"\#(ed25519["kid"] as? String ?? "")""#))
        #expect(try await fixture.harness.send("GET", "/api/v1/users/me", token: fixture.user.token).status == 200)
        await fixture.harness.close()
    }

    @Test("when the log fails, the token endpoint and introspection answer 503 temporarily_unavailable")
    func logFailure() async throws {
        let key = UUID().uuidString
        let fixture = try await ProviderFixture.make { configuration in
            configuration.logDeviceFactory = { () throws(WALError) in BreakableDevice(key: key) }
        }
        let issued = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token", [("grant_type", "client_credentials")],
            basic: fixture.confidential)
        let access = try #require(issued.json["access_token"] as? String)
        BreakableDevice.broken.withLock { _ = $0.insert(key) }
        let refused = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [("grant_type", "client_credentials")], basic: fixture.confidential)
        #expect(refused.status == 503)
        #expect(refused.json["error"] as? String == "temporarily_unavailable")
        // Memory may hold changes that were never acknowledged: introspection does not read it any more.
        let introspection = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/introspect", [("token", access)],
            basic: fixture.confidential)
        #expect(introspection.status == 503)
        #expect(introspection.json["error"] as? String == "temporarily_unavailable")
        await fixture.harness.close()
    }
}
