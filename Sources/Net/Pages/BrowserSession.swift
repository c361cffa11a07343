import Auth
import Bytes
import Engine
import Foundation
import NIOHTTP1

/// Tessera's own browser session: after a sign-in on its pages, a cookie holding the session's refresh token —
/// a real session, listed with the user's others and revocable like them — never readable by scripts
/// (`HttpOnly`), sent on top-level navigations from other sites only (`SameSite=Lax`), `Secure` unless the
/// issuer is plain HTTP on this machine.
struct BrowserSession {
    static let cookieName = "tessera_session"

    let auth: AuthService

    /// The signed-in user of this request's cookie, while its session is active and the secret is the
    /// session's current one.
    func user(of request: HTTPRequest) -> (userID: UUID, sessionID: UUID)? {
        guard let text = Cookies.value(Self.cookieName, in: request), let token = SecretToken(parsing: text),
            let found = auth.engine.activeSession(token.id), found.grant == nil,
            found.session.refreshDigest.constantTimeEquals(token.digest)
        else { return nil }
        return (found.session.userID, found.session.id)
    }

    /// The `Set-Cookie` value that makes the browser forget its session.
    var clearingCookie: String {
        "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
            + (Cookies.secure(issuer: auth.signer.issuer) ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that keeps `refreshToken` as the browser's session.
    func cookie(_ refreshToken: String) -> String {
        "\(Self.cookieName)=\(refreshToken); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(7 * 86_400)"
            + (Cookies.secure(issuer: auth.signer.issuer) ? "; Secure" : "")
    }
}

/// Cookies of a request, and whether the ones Tessera sets need `Secure`.
enum Cookies {
    /// The value of cookie `name` in the request's `Cookie` headers.
    static func value(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return String(parts[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// `Secure` everywhere but on an issuer that is plain HTTP on this machine (a browser would not send a Secure
    /// cookie there, and nothing leaves the machine).
    static func secure(issuer: String) -> Bool {
        guard let url = URLComponents(string: issuer), url.scheme == "http" else { return true }
        return !RedirectURI.isLoopbackHost(url.host ?? "")
    }
}

/// The double-submit defence of every form: a random token in a cookie only this site sends (`SameSite=Strict`,
/// `HttpOnly`) and in a hidden field; a form whose field is not the cookie is refused.
enum CSRF {
    static let cookieName = "tessera_csrf"
    static let fieldName = "csrf"

    /// The request's token, or a new one with the `Set-Cookie` that stores it.
    static func token(for request: HTTPRequest, issuer: String) -> (token: String, setCookie: String?) {
        if let existing = Cookies.value(cookieName, in: request), existing.utf8.count == 43 { return (existing, nil) }
        let token = Base64URL.encode(SecretToken.randomSecret())
        let cookie =
            "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
            + (Cookies.secure(issuer: issuer) ? "; Secure" : "")
        return (token, cookie)
    }

    /// Whether the form's token is the cookie's (compared in constant time).
    static func isValid(form: [String: String], request: HTTPRequest) -> Bool {
        guard let cookie = Cookies.value(cookieName, in: request), let field = form[fieldName],
            cookie.utf8.count == 43, field.utf8.count == 43
        else { return false }
        return zip(cookie.utf8, field.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
