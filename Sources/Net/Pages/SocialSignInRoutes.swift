import Auth
import Foundation
import NIOHTTP1
import Social

/// Signing in on Tessera's own page with a social login provider: `GET /signin/{provider}` sends the browser to
/// the provider (its callback is Tessera's `/signin/{provider}/callback`, which the operator registers with the
/// provider), and the callback opens a browser session as the password form does, then goes on to `next`.
/// The flow is bound to the browser that started it (a cookie whose digest the state keeps), so a code and
/// state lifted from one browser cannot sign another in.
extension Endpoints {
    /// The cookie binding a sign-in with a provider to the browser that started it.
    static let signInBindingCookie = "tessera_signin_binding"
    /// Where the person was going, kept across the provider's pages.
    static let signInNextCookie = "tessera_signin_next"

    func addSocialSignInRoutes(to root: RouteGroup) {
        root.get("/signin/{provider}", limit: .socialAuthorize) { request, context in
            let next = Self.safeNext(request.query["next"])
            guard let social, let provider = request.parameters["provider"],
                let configuration = social.providers.first(where: { $0.configuration.name == provider })?.configuration
            else {
                return signInPage(
                    for: request, next: next, error: "There is no such way to sign in.", email: "", status: .notFound)
            }
            let binding =
                Cookies.value(Self.signInBindingCookie, in: request).flatMap {
                    SocialLogin.isBrowserBinding($0) ? $0 : nil
                } ?? SocialLogin.newBrowserBinding()
            let started: SocialAuthorization
            do throws(SocialLoginError) {
                started = try await social.start(
                    provider: provider, redirectURI: callbackURL(provider), browserBinding: binding)
            } catch {
                // The one refusal of a start that is nobody's fault but the configuration's: an issuer a provider
                // cannot send a browser back to.
                if error.code == .invalidRequest {
                    context.logger.error(
                        "sign-in with \(provider) cannot start: \(error.message) (set --issuer to this server's https URL)"
                    )
                    return signInPage(
                        for: request, next: next, error: "Signing in with \(configuration.displayName) is not set up.",
                        email: "", status: .serviceUnavailable)
                }
                let (message, status) = Self.sentence(for: error, provider: configuration.displayName)
                return signInPage(for: request, next: next, error: message, email: "", status: status)
            }
            var response = HTTPResponse(
                status: .seeOther, headers: ["location": started.authorizationURL, "cache-control": "no-store"])
            response.headers.add(name: "set-cookie", value: flowCookie(Self.signInBindingCookie, binding))
            response.headers.add(
                name: "set-cookie",
                value: flowCookie(
                    Self.signInNextCookie, next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!))
            return response
        }
        root.get("/signin/{provider}/callback", limit: .socialCallback) { request, context in
            let next = Self.safeNext(Cookies.value(Self.signInNextCookie, in: request)?.removingPercentEncoding)
            let provider = request.parameters["provider"] ?? ""
            let displayName =
                social?.providers.first { $0.configuration.name == provider }?.configuration.displayName ?? provider
            guard let social else {
                return signInPage(
                    for: request, next: next, error: "There is no such way to sign in.", email: "", status: .notFound)
            }
            if request.query["error"] != nil {
                return signInPage(
                    for: request, next: next, error: "The sign-in with \(displayName) was cancelled.", email: "",
                    status: .badRequest)
            }
            do throws(SocialLoginError) {
                let signIn = try await social.finishSignIn(
                    provider: provider, code: request.query["code"] ?? "", state: request.query["state"] ?? "",
                    browserBinding: Cookies.value(Self.signInBindingCookie, in: request),
                    device: device(of: request, context))
                var response = HTTPResponse(
                    status: .seeOther, headers: ["location": next, "cache-control": "no-store"])
                response.headers.add(
                    name: "set-cookie", value: BrowserSession(auth: auth).cookie(signIn.tokens.refreshToken))
                response.headers.add(name: "set-cookie", value: expiredFlowCookie(Self.signInNextCookie))
                return response
            } catch {
                let (message, status) = Self.sentence(for: error, provider: displayName)
                return signInPage(for: request, next: next, error: message, email: "", status: status)
            }
        }
    }

    /// The provider's way back to this server.
    private func callbackURL(_ provider: String) -> String {
        auth.signer.issuer.withoutTrailingSlash + "/signin/" + provider + "/callback"
    }

    /// A cookie of the flow: only for `/signin`, ten minutes, never readable by scripts, sent when the
    /// provider's page sends the browser back (`SameSite=Lax`).
    private func flowCookie(_ name: String, _ value: String) -> String {
        "\(name)=\(value); Path=/signin; Max-Age=600; HttpOnly; SameSite=Lax"
            + (Cookies.secure(issuer: auth.signer.issuer) ? "; Secure" : "")
    }

    private func expiredFlowCookie(_ name: String) -> String {
        "\(name)=; Path=/signin; Max-Age=0; HttpOnly; SameSite=Lax"
            + (Cookies.secure(issuer: auth.signer.issuer) ? "; Secure" : "")
    }

    /// What the sign-in page says when a sign-in with a provider fails, and with which status.
    static func sentence(for error: SocialLoginError, provider: String) -> (String, HTTPResponseStatus) {
        switch error.code {
        case .stateInvalid, .invalidRequest:
            ("The sign-in took too long or began in another browser. Please try again.", .badRequest)
        case .providerUnavailable: ("\(provider) cannot be reached right now. Please try again later.", .badGateway)
        case .codeRefused, .identityRejected:
            ("\(provider) did not confirm who you are. Please try again.", .badRequest)
        case .emailRequired: ("\(provider) did not share an email address, which an account needs.", .badRequest)
        case .emailUnverified: ("\(provider) has not verified your email address.", .forbidden)
        case .userInactive: ("This account is deactivated.", .forbidden)
        case .unavailable: ("Tessera cannot sign you in right now. Please try again later.", .serviceUnavailable)
        case .unknownProvider: ("There is no such way to sign in.", .notFound)
        case .alreadyLinked, .notLinked, .lastSignInMethod: (error.message, .conflict)
        }
    }
}
