import Auth
import Engine
import Foundation
import NIOHTTP1

/// Tessera's consent page: which application asks, where it will send the person back, for what, and approve or
/// deny. The form posts to `/api/v1/oauth/provider/authorize/consent` with every parameter of the request and the
/// CSRF token.
extension Endpoints {
    func consentPage(_ prompt: ConsentPrompt, for request: HTTPRequest) -> HTTPResponse {
        let (token, setCookie) = CSRF.token(for: request, issuer: auth.signer.issuer)
        let redirect = URLComponents(string: prompt.redirectURI)
        let redirectHost = redirect?.host ?? prompt.redirectURI
        let origin: String
        var facts: [(String, String)] = []
        switch prompt.client.registration?.origin {
        case .anonymous?: origin = "It registered itself; Tessera has not verified who runs it."
        case .initialAccessToken?: origin = "It registered itself with an administrator's registration token."
        case .metadataDocument?:
            // The name is the document's say-so; the host that serves the document is the one fact a person can
            // check, so it is shown first (the draft's advice), with a warning when the redirect goes elsewhere.
            let documentHost = prompt.client.documentURL.flatMap { URLComponents(string: $0)?.host } ?? "?"
            origin =
                "It describes itself in a document published at \(documentHost); Tessera has not verified who runs it."
            facts.append(("Published by", documentHost))
            if documentHost.lowercased() != redirectHost.lowercased() && !RedirectURI.isLoopbackHost(redirectHost) {
                facts.append(("Note", "it sends you back to another host than the one that publishes it"))
            }
        case nil: origin = "An administrator registered it."
        }
        facts.append(("Sends you back to", redirectHost))
        let hidden = prompt.parameters.map { parameter in
            "<input type=\"hidden\" name=\"\(HTML.escaped(parameter.name))\" value=\"\(HTML.escaped(parameter.value))\">"
        }.joined(separator: "\n")
        let scopes = prompt.scope.map {
            "<li><code>\(HTML.escaped($0))</code> — \(HTML.escaped(Self.meaning(of: $0)))</li>"
        }
        let resources = prompt.resources.map { "<li><code>\(HTML.escaped($0))</code></li>" }
        let body = """
            <h1>Allow \(HTML.escaped(prompt.client.name))?</h1>
            <p class="lead">\(HTML.escaped(origin))</p>
            <dl class="facts">
            \(facts.map { "<dt>\(HTML.escaped($0.0))</dt><dd><strong>\(HTML.escaped($0.1))</strong></dd>" }.joined())
            </dl>
            <h2>It asks to</h2>
            <ul>\(scopes.joined())</ul>
            \(resources.isEmpty ? "" : "<h2>For use with</h2><ul>\(resources.joined())</ul>")
            <form method="post" action="/api/v1/oauth/provider/authorize/consent" class="stack">
            <input type="hidden" name="\(CSRF.fieldName)" value="\(token)">
            \(hidden)
            <button type="submit" name="approved" value="true">Allow</button>
            <button type="submit" name="approved" value="false" class="secondary">Deny</button>
            </form>
            """
        var response = HTML.page(title: "Allow \(prompt.client.name)?", body: body)
        response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
        // The answer to the form redirects to the client: browsers hold that redirect to form-action too.
        let target = redirect.flatMap { parts in
            parts.scheme.map { scheme in scheme + "://" + (parts.host ?? "") + (parts.port.map { ":\($0)" } ?? "") }
        }
        response.contentSecurityPolicy =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'"
            + (target.map { " " + $0 } ?? "") + "; base-uri 'none'; frame-ancestors 'none'"
        if let setCookie { response.headers.add(name: "set-cookie", value: setCookie) }
        return response
    }

    /// A scope in words, for a person deciding.
    static func meaning(of scope: String) -> String {
        switch scope {
        case "openid": "know who you are"
        case "offline_access": "keep access while you are signed out"
        case "profile": "see your name"
        case "email": "see your email address"
        case "read:users": "read users' profiles"
        case "write:users": "change users' profiles"
        case "read:organizations": "read your organizations"
        case "write:organizations": "change your organizations"
        case "admin": "act as an administrator"
        default: "the \(scope) permission"
        }
    }
}
