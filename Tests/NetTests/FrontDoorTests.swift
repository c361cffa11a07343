import Foundation
import Testing

@testable import Net

/// The pages a person opening the server in a browser sees, over HTTP.
@Suite("The front door: / says what this server is, /docs is the API reference, both plain HTML without script")
struct FrontDoorTests {
    @Test("/ names the issuer and links to the reference, the OpenAPI document, the metadata and health")
    func frontPage() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let page = try await harness.send("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("<code>http://tessera.test</code>"))
        for link in ["/docs", "/api/v1/openapi.json", "/.well-known/oauth-authorization-server", "/health"] {
            #expect(html.contains("href=\"\(link)\""), "\(link)")
        }
        #expect(html.contains("open: clients may register themselves"))
        #expect(!html.contains("<script"))
    }

    @Test("/docs lists every operation of the OpenAPI document, grouped, with its method and path")
    func reference() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let page = try await harness.send("GET", "/docs")
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        for operation in OpenAPIDocument.operations {
            #expect(html.contains("<code>\(HTML.escaped(operation.path))</code>"), "\(operation.path)")
        }
        for section in ["auth", "users", "organizations", "admin", "oauth"] {
            #expect(html.contains("<h2 id=\"\(section)\">"), "\(section)")
        }
    }

    @Test("every page carries a policy that runs no script and loads only this server's stylesheet")
    func securityHeaders() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        for path in ["/", "/docs"] {
            let page = try await harness.send("GET", path)
            let policy = try #require(page.headers["content-security-policy"])
            #expect(policy.contains("default-src 'none'") && policy.contains("style-src 'self'"))
            #expect(policy.contains("frame-ancestors 'none'") && !policy.contains("script-src"))
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(page.headers["x-content-type-options"] == "nosniff")
        }
        let css = try await harness.send("GET", "/static/tessera.css")
        #expect(css.status == 200 && css.headers["content-type"] == "text/css; charset=utf-8")
    }

    @Test(
        "in headless Chromium the pages render with their stylesheet and no policy violation, the reference is reached by keyboard, a person signs in on the page, and each page's screenshot is kept"
    )
    func realBrowser() async throws {
        let folder = TemporaryFolder("pages")
        defer { folder.remove() }
        let server = try ServerProcess(data: folder.path + "/data", outputPath: folder.path + "/serve.log")
        defer { server.kill9() }
        // Kept for a person to look at: .build/test-artifacts/pages/*.png.
        let artefacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts/pages").path
        let registered = try await HTTPHarness.send(
            port: server.port, "POST", "/api/v1/auth/register",
            json: #"{"email":"browser@example.com","password":"Correct-Horse-42","first_name":"Bo"}"#)
        #expect(registered.status == 201)
        let (status, text) = try ChildProcess.python(
            "pages_browser.py",
            ["http://127.0.0.1:\(server.port)", artefacts, "browser@example.com", "Correct-Horse-42"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
        for name in ["front.png", "docs.png", "docs-phone.png", "signin.png", "signin-error.png"] {
            #expect(FileManager.default.fileExists(atPath: artefacts + "/" + name), "\(name)")
        }
    }

    @Test("text put into a page is escaped: markup in it is shown, never run")
    func escaping() {
        #expect(
            HTML.escaped(#"<script>alert("x")</script> & 'y'"#)
                == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
    }
}
