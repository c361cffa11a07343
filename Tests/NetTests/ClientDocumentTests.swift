import Auth
import Engine
import Foundation
import Synchronization
import Testing

/// Documents served from memory, as a client's web server would, with every fetch counted. The network side
/// (TLS, addresses, redirects, size) is the real fetcher's and has tests of its own.
final class DocumentServer: ClientDocumentFetcher {
    private let documents = Mutex<[String: FetchedClientDocument]>([:])
    private let fetches = Mutex<[String]>([])

    func serve(
        _ url: String, status: Int = 200, contentType: String? = "application/json", cacheControl: String? = nil,
        _ json: String
    ) {
        documents.withLock {
            $0[url] = FetchedClientDocument(
                status: status, contentType: contentType, cacheControl: cacheControl, body: Array(json.utf8))
        }
    }

    var fetched: [String] { fetches.withLock { $0 } }

    func fetch(_ url: String, maxBytes: Int) async throws(ClientDocumentFetchError) -> FetchedClientDocument {
        fetches.withLock { $0.append(url) }
        guard let document = documents.withLock({ $0[url] }) else {
            throw ClientDocumentFetchError("could not be reached")
        }
        return document
    }
}

@Suite("Client ID metadata documents: a client named by the URL of its document, over HTTP")
struct ClientDocumentTests {
    static let url = "https://tool.example/oauth/client.json"

    static func document(
        clientID: String = url, name: String = "Tool", redirect: String = ProviderFixture.redirect, extra: String = ""
    ) -> String {
        #"{"client_id":"\#(clientID)","client_name":"\#(name)","redirect_uris":["\#(redirect)"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none","scope":"read write"\#(extra)}"#
    }

    static func fixture(clock: ManualClock? = nil) async throws -> (ProviderFixture, DocumentServer) {
        let server = DocumentServer()
        let fixture = try await ProviderFixture.make(clock: clock, documents: server)
        return (fixture, server)
    }

    /// The claims of a JWT.
    static func claims(_ token: String) throws -> [String: Any] {
        var base64 = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!) as? [String: Any])
    }

    func exchange(_ fixture: ProviderFixture, code: String, verifier: String) async throws -> HTTPHarness.Answer {
        try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("client_id", Self.url), ("code_verifier", verifier),
            ])
    }

    @Test(
        "the metadata says so; code + PKCE, tokens and introspection name the client by its URL; refresh works; the consent is listed under the URL and revoked by it"
    )
    func wholeFlow() async throws {
        let (fixture, server) = try await Self.fixture()
        defer { Task { await fixture.harness.close() } }
        server.serve(Self.url, Self.document())
        let metadata = try await fixture.harness.send("GET", "/.well-known/oauth-authorization-server")
        #expect(metadata.json["client_id_metadata_document_supported"] as? Bool == true)

        let verifier = ProviderFixture.verifier()
        let code = try await fixture.code(client: Self.url, challenge: ProviderFixture.challenge(verifier))
        let tokens = try await exchange(fixture, code: code, verifier: verifier)
        #expect(tokens.status == 200, "\(tokens.json)")
        let access = try #require(tokens.json["access_token"] as? String)
        let claims = try Self.claims(access)
        #expect(claims["client_id"] as? String == Self.url)
        #expect(claims["aud"] as? String == Self.url, "without a resource, the audience is the client")
        let introspection = try await fixture.introspect(access)
        #expect(introspection["active"] as? Bool == true)
        #expect(introspection["client_id"] as? String == Self.url)
        let refresh = try #require(tokens.json["refresh_token"] as? String)
        #expect(try await fixture.introspect(refresh)["client_id"] as? String == Self.url)

        let refreshed = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Self.url)])
        #expect(refreshed.status == 200, "\(refreshed.json)")
        let renewed = try #require(refreshed.json["access_token"] as? String)

        let consents = try await fixture.harness.send(
            "GET", "/api/v1/oauth/provider/consents", token: fixture.user.token)
        #expect(consents.array.map { $0["client_id"] as? String } == [Self.url])
        let clients = try await fixture.harness.send("GET", "/api/v1/oauth/provider/clients", token: fixture.root)
        let listed = try #require(clients.array.first { $0["client_id"] as? String == Self.url })
        #expect(listed["registered_by"] as? String == "metadata_document")
        #expect(listed["client_type"] as? String == "public")

        let encoded = Self.url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let revoked = try await fixture.harness.send(
            "DELETE", "/api/v1/oauth/provider/consents/\(encoded)", token: fixture.user.token)
        #expect(revoked.status == 200, "\(revoked.json)")
        #expect(try await fixture.introspect(renewed)["active"] as? Bool == false, "its tokens went with it")
        #expect(server.fetched == [Self.url], "one fetch: the answer is kept for its cache lifetime")

        let deleted = try await fixture.harness.send(
            "DELETE", "/api/v1/oauth/provider/clients/\(encoded)", token: fixture.root)
        #expect(deleted.status == 200, "a superuser deletes it by its URL")
        let again = try await fixture.harness.send(
            "DELETE", "/api/v1/oauth/provider/clients/\(encoded)", token: fixture.root)
        #expect(again.status == 404 && again.errorCode == "SYS_002")
    }

    @Test("the token endpoint knows a document client only once a user approved it: before, invalid_client")
    func unknownAtTokenEndpoint() async throws {
        let (fixture, server) = try await Self.fixture()
        defer { Task { await fixture.harness.close() } }
        server.serve(Self.url, Self.document())
        let answer = try await exchange(fixture, code: "x.y", verifier: ProviderFixture.verifier())
        #expect(answer.status == 401)
        #expect(answer.json["error"] as? String == "invalid_client")
        #expect(server.fetched.isEmpty, "the token endpoint never fetches")
    }

    @Test(
        "a document that breaks a rule refuses the authorization (400, never a redirect), saying which document and why"
    )
    func documentRules() async throws {
        let (fixture, server) = try await Self.fixture()
        defer { Task { await fixture.harness.close() } }
        let cases: [(String, (String) -> Void, String)] = [
            (
                "another client_id", { server.serve($0, Self.document(clientID: "https://evil.example/c.json")) },
                "names another client_id"
            ),
            (
                "another redirect URI",
                { server.serve($0, Self.document(clientID: $0, redirect: "https://evil.example/cb")) }, ""
            ),
            (
                "a secret", { server.serve($0, Self.document(clientID: $0, extra: #","client_secret":"s""#)) },
                "holds a client secret"
            ),
            (
                "client_secret_basic",
                {
                    server.serve(
                        $0,
                        Self.document(clientID: $0).replacingOccurrences(
                            of: #""none""#, with: #""client_secret_basic""#))
                },
                "only none"
            ),
            ("a redirect", { server.serve($0, status: 302, "") }, "redirects are not followed"),
            ("a 404", { server.serve($0, status: 404, "") }, "answered HTTP 404"),
            (
                "HTML", { server.serve($0, contentType: "text/html", Self.document(clientID: $0)) },
                "is not application/json"
            ),
            ("not JSON", { server.serve($0, "{nope") }, "is not a JSON object"),
            (
                "a redirect URI with a fragment",
                { server.serve($0, Self.document(clientID: $0, redirect: "https://client.example/cb#x")) },
                "not an https URI"
            ),
            ("an unreachable host", { _ in }, "could not be reached"),
        ]
        for (index, (what, serve, says)) in cases.enumerated() {
            let url = "https://tool.example/clients/\(index).json"
            serve(url)
            let answer = try await fixture.harness.send(
                "GET", fixture.authorizePath(client: url, challenge: ProviderFixture.challenge("v")),
                token: fixture.user.token)
            #expect(answer.status == 400, "\(what): \(answer.status)")
            #expect(answer.headers["location"] == nil, "\(what): never redirected")
            // Refused authorizations answer in the contract's envelope (VAL_006), the reason in its message.
            #expect(answer.errorCode == "VAL_006", "\(what): \(answer.json)")
            let message = answer.errorMessage ?? ""
            if what == "another redirect URI" {
                #expect(message.contains("not registered"), "\(what): \(message)")
            } else {
                #expect(message.contains(url) && message.contains(says), "\(what): \(message)")
            }
        }
    }

    @Test("a client_id that is a URL but cannot be a document's is refused, and nothing is fetched")
    func urlShape() async throws {
        let (fixture, server) = try await Self.fixture()
        defer { Task { await fixture.harness.close() } }
        for url in [
            "https://tool.example", "https://tool.example/", "https://tool.example/c.json?v=1",
            "https://user@tool.example/c.json", "https://tool.example/a/../c.json",
            "https://tool.example/a/%2E%2E/c.json",
        ] {
            let answer = try await fixture.harness.send(
                "GET", fixture.authorizePath(client: url, challenge: ProviderFixture.challenge("v")),
                token: fixture.user.token)
            #expect(answer.status == 400, "\(url)")
            #expect(
                answer.errorMessage?.contains("a client_id that is a URL must be one") == true, "\(url): \(answer.json)"
            )
        }
        #expect(server.fetched.isEmpty)
    }

    @Test(
        "the answer is kept for its max-age (clock injected), no-store is never kept, and a changed document changes the recorded client at the next approval"
    )
    func caching() async throws {
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let (fixture, server) = try await Self.fixture(clock: clock)
        defer { Task { await fixture.harness.close() } }
        server.serve(Self.url, cacheControl: "public, max-age=60", Self.document())
        let path = fixture.authorizePath(client: Self.url, challenge: ProviderFixture.challenge("v"))
        _ = try await fixture.code(client: Self.url, challenge: ProviderFixture.challenge(ProviderFixture.verifier()))
        _ = try await fixture.harness.send("GET", path, token: fixture.user.token)
        #expect(server.fetched.count == 1)
        clock.advance(byMilliseconds: 59_000)
        _ = try await fixture.harness.send("GET", path, token: fixture.user.token)
        #expect(server.fetched.count == 1, "still fresh")
        server.serve(Self.url, cacheControl: "no-store", Self.document(name: "Tool 2"))
        clock.advance(byMilliseconds: 1_000)
        let approved = try await fixture.harness.send("GET", path, token: fixture.user.token)
        #expect(approved.status == 302, "consent given before covers it: a code at once")
        #expect(server.fetched.count == 2, "stale: fetched again")
        _ = try await fixture.harness.send("GET", path, token: fixture.user.token)
        #expect(server.fetched.count == 3, "no-store: never kept")
        let clients = try await fixture.harness.send("GET", "/api/v1/oauth/provider/clients", token: fixture.root)
        let listed = clients.array.filter { $0["client_id"] as? String == Self.url }
        #expect(listed.map { $0["client_name"] as? String } == ["Tool 2"], "one record, following its document")
    }
}
