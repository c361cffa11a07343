import Auth
import Engine
import Foundation
import NIOHTTP1

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), the metadata's `end_session_endpoint`:
/// `GET` or `POST /api/v1/oauth/provider/logout` with `id_token_hint`, `post_logout_redirect_uri`, `state`,
/// `client_id`. Ends Tessera's browser session — and so, by back-channel logout, tells the clients concerned —
/// then goes back to the client's registered URI, or says so on a page. Without a hint proving the request
/// comes from the signed-in person's application, the person is asked first (a CSRF-checked form).
extension Endpoints {
    func addLogoutRoutes(to root: RouteGroup) {
        for method in [HTTPMethod.GET, .POST] {
            root.on(method, "/api/v1/oauth/provider/logout") { request, _ in
                let form =
                    method == .POST
                    ? HTTPRequest.parseQuery(Substring(String(buffer: request.body))) : request.query
                let confirmed = method == .POST && form["confirm"] == "yes"
                if confirmed && !CSRF.isValid(form: form, request: request) {
                    return logoutPage(
                        for: request, title: "The form expired", text: "Open the page you came from again.",
                        status: .forbidden)
                }
                let browser = BrowserSession(auth: auth).user(of: request)
                let logout = LogoutRequest(parameters: form)
                switch provider.judgeLogout(logout, browserUserID: browser?.userID, confirmed: confirmed) {
                case .refused(let reason):
                    return logoutPage(
                        for: request, title: "This sign-out cannot be done", text: reason, status: .badRequest)
                case .confirm(let client):
                    return confirmationPage(logout, client: client, for: request)
                case .signOut(let redirect):
                    if let browser, let token = Cookies.value(BrowserSession.cookieName, in: request) {
                        try await auth.logout(userID: browser.userID, refreshToken: token)
                    }
                    var response =
                        redirect.map {
                            HTTPResponse(status: .seeOther, headers: ["location": $0, "cache-control": "no-store"])
                        }
                        ?? logoutPage(
                            for: request, title: "You are signed out", text: "You may close this window.", status: .ok)
                    response.headers.add(name: "set-cookie", value: BrowserSession(auth: auth).clearingCookie)
                    return response
                }
            }
        }
    }

    private func confirmationPage(
        _ logout: LogoutRequest, client: OAuthClient?, for request: HTTPRequest
    ) -> HTTPResponse {
        let (token, setCookie) = CSRF.token(for: request, issuer: auth.signer.issuer)
        let hidden = logout.parameters.map {
            "<input type=\"hidden\" name=\"\(HTML.escaped($0.0))\" value=\"\(HTML.escaped($0.1))\">"
        }.joined(separator: "\n")
        let asking =
            client.map { "\(HTML.escaped($0.name)) asks to sign you out of Tessera." }
            ?? "An application asks to sign you out of Tessera."
        let body = """
            <h1>Sign out?</h1>
            <p class="lead">\(asking)</p>
            <form method="post" action="/api/v1/oauth/provider/logout" class="stack">
            <input type="hidden" name="\(CSRF.fieldName)" value="\(token)">
            <input type="hidden" name="confirm" value="yes">
            \(hidden)
            <button type="submit">Sign out</button>
            </form>
            """
        var response = HTML.page(title: "Sign out?", body: body)
        response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
        if let setCookie { response.headers.add(name: "set-cookie", value: setCookie) }
        return response
    }

    private func logoutPage(
        for request: HTTPRequest, title: String, text: String, status: HTTPResponseStatus
    ) -> HTTPResponse {
        var response = HTML.page(
            title: title, body: "<h1>\(HTML.escaped(title))</h1>\n<p class=\"lead\">\(HTML.escaped(text))</p>")
        response.status = status
        response.headers.replaceOrAdd(name: "cache-control", value: "no-store")
        return response
    }
}
