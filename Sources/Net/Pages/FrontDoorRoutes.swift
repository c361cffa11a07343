import Auth
import Bytes
import NIOCore

/// What a person opening the server in a browser sees: `/` says what this server is, `/docs` is the API
/// reference rendered from the OpenAPI document, `/static/tessera.css` the pages' one stylesheet.
extension Endpoints {
    func addFrontDoorRoutes(to root: RouteGroup) {
        let front = frontPage()
        root.get("/") { request, _ in
            guard let user = BrowserSession(auth: auth).user(of: request),
                let email = await engine.user(id: user.userID)?.email
            else { return front }
            return signedInFrontPage(email: email, request: request)
        }
        let reference = referencePage()
        root.get("/docs") { _, _ in reference }
        let stylesheet = ByteBuffer(string: HTML.stylesheet)
        root.get("/static/tessera.css") { _, _ in
            HTTPResponse(
                status: .ok, headers: ["content-type": "text/css; charset=utf-8", "cache-control": "max-age=3600"],
                body: stylesheet)
        }
    }

    private func frontPage(signedIn: String = "") -> HTTPResponse {
        let issuer = auth.signer.issuer
        let base = issuer.withoutTrailingSlash
        func link(_ path: String, _ label: String) -> String {
            "<li><a href=\"\(HTML.escaped(path))\">\(HTML.escaped(label))</a> <code>\(HTML.escaped(path))</code></li>"
        }
        let body = """
            <h1>Tessera</h1>
            <p class="lead">An authentication service: accounts, sessions, organizations, and an OAuth 2.0 authorization
            server for applications and MCP clients.</p>
            \(signedIn)
            <dl class="facts">
            <dt>Issuer</dt><dd><code>\(HTML.escaped(issuer))</code></dd>
            <dt>Version</dt><dd>\(HTML.escaped(version))</dd>
            <dt>Client registration</dt><dd>\(HTML.escaped(registrationSummary))</dd>
            </dl>
            <h2>For developers</h2>
            <ul>
            \(link("/docs", "API reference"))
            \(link("/api/v1/openapi.json", "OpenAPI document"))
            \(link("/.well-known/oauth-authorization-server", "Authorization server metadata (RFC 8414)"))
            \(link("/health", "Health"))
            </ul>
            <p class="muted">Applications send people here to sign in through <code>\(HTML.escaped(base))/api/v1/oauth/provider/authorize</code>.</p>
            """
        return HTML.page(title: "Tessera", body: body)
    }

    /// The front page for a signed-in browser: who it is, and a way to sign out.
    private func signedInFrontPage(email: String, request: HTTPRequest) -> HTTPResponse {
        let (token, setCookie) = CSRF.token(for: request, issuer: auth.signer.issuer)
        var response = frontPage(
            signedIn: """
                <form method="post" action="/signout" class="inline">
                <p>Signed in as <strong>\(HTML.escaped(email))</strong>.
                <input type="hidden" name="\(CSRF.fieldName)" value="\(token)">
                <button type="submit" class="secondary">Sign out</button></p>
                </form>
                """)
        response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
        if let setCookie { response.headers.add(name: "set-cookie", value: setCookie) }
        return response
    }

    private var registrationSummary: String {
        switch registration.policy {
        case .open: "open: clients may register themselves (RFC 7591)"
        case .token: "with an initial access token (RFC 7591)"
        case .off: "off: clients are registered by an administrator"
        }
    }

    private func referencePage() -> HTTPResponse {
        var sections: [(name: String, rows: [String])] = []
        for operation in OpenAPIDocument.operations {
            let parts = operation.path.split(separator: "/")
            // `/api/v1/<section>/…`; the service's own documents (health, metadata, this reference) apart.
            let section =
                parts.count >= 3 && parts[0] == "api" && !parts[2].contains(".") ? String(parts[2]) : "service"
            let access =
                operation.bearerOptional ? "Bearer optional" : operation.authenticated ? "Bearer token" : "none"
            let errors = operation.errors.map(String.init).joined(separator: " ")
            let row = """
                <tr><td><span class="method">\(operation.method.uppercased())</span></td>\
                <td><code>\(HTML.escaped(operation.path))</code><br>\(HTML.escaped(operation.summary))</td>\
                <td class="optional">\(operation.body.map { HTML.escaped($0) } ?? "—")</td>\
                <td class="optional">\(HTML.escaped(access))</td>\
                <td>\(operation.success.status)<span class="muted"> \(HTML.escaped(errors))</span></td></tr>
                """
            if let index = sections.firstIndex(where: { $0.name == section }) {
                sections[index].rows.append(row)
            } else {
                sections.append((section, [row]))
            }
        }
        let tables = sections.map { section in
            """
            <h2 id="\(HTML.escaped(section.name))">\(HTML.escaped(section.name))</h2>
            <table>
            <thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col" class="optional">Body</th>\
            <th scope="col" class="optional">Authentication</th><th scope="col">Answers</th></tr></thead>
            <tbody>
            \(section.rows.joined(separator: "\n"))
            </tbody>
            </table>
            """
        }
        let body = """
            <h1>API reference</h1>
            <p class="lead">Every operation this server answers, from its <a href="/api/v1/openapi.json">OpenAPI
            document</a> (schemas, parameters and examples are there). Errors use the envelope
            <code>{"success": false, "errors": [{"code", "message", "field"}]}</code>; the OAuth protocol endpoints
            answer RFC 6749 objects.</p>
            \(tables.joined(separator: "\n"))
            """
        return HTML.page(title: "API reference", body: body)
    }
}
