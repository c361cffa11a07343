import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Real OAuth clients against the real server")
struct OAuthInteropTests {
    /// A port that was free a moment ago: the issuer URL must name the port before the server starts.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw CrashTestError("no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(
        "authlib runs code + PKCE, client_secret_basic, refresh, introspection and revocation; PyJWT verifies EdDSA via JWKS"
    )
    func authlibAndPyJWT() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-interop-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + "/serve.log", superuser: true,
            arguments: [
                "--signing", "eddsa", "--port", String(port),
                "--issuer", "http://127.0.0.1:\(port)",
                // authlib plays an application whose own front end asks for consent.
                "--consent-url", "https://app.example/oauth/consent",
            ])
        defer { server.kill9() }
        let (status, text) = try ChildProcess.python(
            "authlib_flow.py", ["http://127.0.0.1:\(server.port)", "root@example.com", "Correct-Horse-42"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }

    @Test(
        "the official MCP Python SDK, with its default settings, discovers Tessera, registers itself, authorizes for the MCP server's resource, calls a tool, refreshes and calls again"
    )
    func mcpSDK() async throws {
        try await Self.runMCPFlow(clientMetadata: false)
    }

    @Test(
        "the official MCP Python SDK names itself by its client ID metadata document (served over HTTPS on this machine) instead of registering, and goes through the same flow"
    )
    func mcpSDKWithClientMetadataDocument() async throws {
        try await Self.runMCPFlow(clientMetadata: true)
    }

    static func runMCPFlow(clientMetadata: Bool) async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-mcp-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        var arguments = ["--port", String(port), "--issuer", "http://127.0.0.1:\(port)"]
        var flowArguments: [String] = []
        if clientMetadata {
            let certificates = directory + "/certificates"
            let made = try ChildProcess.python("tls_documents.py", ["certificates", certificates])
            #expect(made.status == 0, "\(made.output)")
            arguments += ["--outbound-private-addresses", "--outbound-ca-file", certificates + "/ca.pem"]
            flowArguments = ["--client-metadata", certificates]
        }
        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + "/serve.log", superuser: true, arguments: arguments)
        defer { server.kill9() }
        let (status, text) = try ChildProcess.python(
            "mcp_flow.py",
            [
                "http://127.0.0.1:\(server.port)", "root@example.com", "Correct-Horse-42",
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts/pages").path,
            ] + flowArguments)
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }

    @Test(
        "pyoidc and authlib's OpenID Connect clients, with headless Chromium: discovery, code + PKCE + nonce, ID tokens they verify (RS256, ES256), userinfo, refresh, RP-initiated logout and a back-channel logout token PyJWT verifies"
    )
    func openIDConnectRelyingParties() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-oidc-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = directory + "/certificates"
        let made = try ChildProcess.python("tls_documents.py", ["certificates", certificates])
        #expect(made.status == 0, "\(made.output)")
        let port = try Self.freePort()
        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + "/serve.log", superuser: true,
            arguments: [
                "--port", String(port), "--issuer", "http://127.0.0.1:\(port)", "--outbound-private-addresses",
                "--outbound-ca-file", certificates + "/ca.pem",
            ])
        defer { server.kill9() }
        let (status, text) = try ChildProcess.python(
            "oidc_flow.py",
            [
                "http://127.0.0.1:\(server.port)", "root@example.com", "Correct-Horse-42", certificates,
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts/pages").path,
            ])
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }

    @Test(
        "Tessera signs in with Tessera: one tessera serve is the OpenID Connect social login provider of another, and a person signs in on B through A's pages in headless Chromium"
    )
    func tesseraAsItsOwnRelyingParty() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-rp-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A on localhost and B on 127.0.0.1: the browser keeps their cookies apart.
        let (portA, portB) = (try Self.freePort(), try Self.freePort())
        let issuerA = "http://localhost:\(portA)"
        let providerA = try ServerProcess(
            data: directory + "/a", outputPath: directory + "/a.log", superuser: true,
            arguments: ["--port", String(portA), "--issuer", issuerA])
        defer { providerA.kill9() }
        let root = try await HTTPHarness.send(
            port: portA, "POST", "/api/v1/auth/login",
            json: #"{"email":"root@example.com","password":"Correct-Horse-42"}"#)
        let client = try await HTTPHarness.send(
            port: portA, "POST", "/api/v1/oauth/provider/clients",
            json:
                #"{"client_name":"Tessera B","client_type":"confidential","redirect_uris":["http://127.0.0.1:\#(portB)/signin/tessera/callback"],"scopes":["openid","email","profile"]}"#,
            token: try #require(root.json["access_token"] as? String))
        #expect(client.status == 201, "\(client.json)")
        let person = try await HTTPHarness.send(
            port: portA, "POST", "/api/v1/auth/register",
            json: #"{"email":"alice@example.com","password":"Correct-Horse-42","first_name":"Alice"}"#)
        #expect(person.status == 201)
        let relyingPartyB = try ServerProcess(
            data: directory + "/b", outputPath: directory + "/b.log",
            // A does not verify addresses itself (its ID tokens say email_verified: false): B, whose operator runs
            // A too, trusts them — without this, B refuses the sign-in and says why (the page the browser sees).
            arguments: [
                "--port", String(portB), "--issuer", "http://127.0.0.1:\(portB)", "--social-trust-unverified-emails",
                "on",
            ],
            environment: [
                "TESSERA_OIDC_PROVIDERS": "tessera", "TESSERA_OIDC_TESSERA_ISSUER": issuerA,
                "TESSERA_OIDC_TESSERA_CLIENT_ID": try #require(client.json["client_id"] as? String),
                "TESSERA_OIDC_TESSERA_CLIENT_SECRET": try #require(client.json["client_secret"] as? String),
                "TESSERA_OIDC_TESSERA_DISPLAY_NAME": "Tessera A",
            ])
        defer { relyingPartyB.kill9() }
        let (status, text) = try ChildProcess.python(
            "tessera_rp_browser.py",
            [
                "http://127.0.0.1:\(portB)", "Tessera A", "alice@example.com", "Correct-Horse-42",
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts/pages").path,
            ])
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }
}
