import Auth
import Engine
import Foundation
import NIOHTTP1

/// `GET /signin` and `POST /signin`: Tessera's own sign-in page. A sign-in opens a real session (listed,
/// revocable) kept in the browser's cookie, then goes back to where the person was going (`next`, a path on
/// this server only).
extension Endpoints {
    func addSignInRoutes(to root: RouteGroup) {
        root.get("/signin") { request, _ in
            // `login_hint` (OpenID Connect): the email the application expects, suggested, never required.
            let hint = request.query["login_hint"].flatMap { $0.utf8.count <= 320 ? $0 : nil } ?? ""
            return signInPage(
                for: request, next: Self.safeNext(request.query["next"]), error: nil, email: hint, status: .ok)
        }
        root.post("/signin", limit: .login) { request, context in
            let form = HTTPRequest.parseQuery(Substring(String(buffer: request.body)))
            let next = Self.safeNext(form["next"])
            guard CSRF.isValid(form: form, request: request) else {
                return signInPage(
                    for: request, next: next, error: "The form expired. Please sign in again.",
                    email: form["email"] ?? "", status: .forbidden)
            }
            do throws(AuthError) {
                let pair = try await auth.login(
                    email: form["email"] ?? "", password: form["password"] ?? "", device: device(of: request, context))
                var response = HTTPResponse(
                    status: .seeOther, headers: ["location": next, "cache-control": "no-store"])
                response.headers.add(name: "set-cookie", value: BrowserSession(auth: auth).cookie(pair.refreshToken))
                return response
            } catch {
                let message =
                    switch error.code {
                    case .accountLocked: "Too many attempts. Please wait a little, then try again."
                    case .userInactive: "This account is deactivated."
                    default: "The email or the password is not right."
                    }
                return signInPage(
                    for: request, next: next, error: message, email: form["email"] ?? "", status: .unauthorized)
            }
        }
    }

    /// `POST /signout`: the browser's session ends (revoked like any other) and its cookie is cleared; the form
    /// needs its CSRF token like every other.
    func addSignOutRoute(to root: RouteGroup) {
        root.post("/signout") { request, _ in
            let form = HTTPRequest.parseQuery(Substring(String(buffer: request.body)))
            guard CSRF.isValid(form: form, request: request) else {
                throw APIError(.forbidden, "AUTH_004", "the form expired; open the page again")
            }
            if let user = BrowserSession(auth: auth).user(of: request),
                let token = Cookies.value(BrowserSession.cookieName, in: request)
            {
                try await auth.logout(userID: user.userID, refreshToken: token)
            }
            var response = HTTPResponse(
                status: .seeOther, headers: ["location": "/signin", "cache-control": "no-store"])
            response.headers.add(name: "set-cookie", value: BrowserSession(auth: auth).clearingCookie)
            return response
        }
    }

    /// A link per configured social login provider, to `GET /signin/{provider}`.
    private func socialButtons(next: String) -> String {
        guard let social, !social.providers.isEmpty else { return "" }
        let query = next == "/" ? "" : "?next=" + next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let links = social.providers.map { provider in
            let configuration = provider.configuration
            let path =
                "/signin/" + (configuration.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return
                "<a class=\"button secondary\" href=\"\(HTML.escaped(path + query))\">Continue with \(HTML.escaped(configuration.displayName))</a>"
        }
        return "<nav class=\"providers stack\" aria-label=\"Other ways to sign in\">\n<p class=\"muted\">or</p>\n"
            + links.joined(separator: "\n") + "\n</nav>"
    }

    /// `next` when it is a path on this server (`/…`, never `//host` or a URL), else `/`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.contains(where: { $0.isNewline || $0 == "\0" }), next.utf8.count <= 4096
        else { return "/" }
        return next
    }

    func signInPage(
        for request: HTTPRequest, next: String, error: String?, email: String, status: HTTPResponseStatus
    ) -> HTTPResponse {
        let (token, setCookie) = CSRF.token(for: request, issuer: auth.signer.issuer)
        let alert = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escaped($0))</p>" } ?? ""
        let body = """
            <h1>Sign in</h1>
            <p class="lead">to continue to \(HTML.escaped(next == "/" ? "Tessera" : "the application"))</p>
            \(alert)
            <form method="post" action="/signin" class="stack">
            <input type="hidden" name="\(CSRF.fieldName)" value="\(token)">
            <input type="hidden" name="next" value="\(HTML.escaped(next))">
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="username" required value="\(HTML.escaped(email))">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            \(socialButtons(next: next))
            """
        var response = HTML.page(title: "Sign in", body: body)
        response.status = status
        response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
        if let setCookie { response.headers.add(name: "set-cookie", value: setCookie) }
        return response
    }
}
