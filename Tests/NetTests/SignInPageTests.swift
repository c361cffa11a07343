import Foundation
import Testing

/// Tessera's sign-in page over HTTP: the form, its CSRF defence, the browser session it opens, where it goes next.
@Suite("The sign-in page: a CSRF-checked form that opens a real, listed session kept in an HttpOnly cookie")
struct SignInPageTests {
    /// The `name=value` of a `Set-Cookie` header, and its attributes.
    static func cookie(_ answer: HTTPHarness.Answer, _ name: String) -> (value: String, attributes: String)? {
        guard
            let header = answer.headers["set-cookie"]?.split(separator: "\n").first(where: { $0.hasPrefix(name + "=") })
        else { return nil }
        let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
        return (String(value), String(header.dropFirst(name.count + 1 + value.count)))
    }

    static func form(_ fields: [(String, String)]) -> Data {
        Data(
            fields.map { name, value in
                name + "=" + value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            }.joined(separator: "&").utf8)
    }

    static func signIn(
        _ harness: HTTPHarness, csrf: String?, cookieCSRF: String?, email: String, password: String, next: String = "/"
    ) async throws -> HTTPHarness.Answer {
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let cookieCSRF { headers["Cookie"] = "tessera_csrf=\(cookieCSRF)" }
        var fields = [("email", email), ("password", password), ("next", next)]
        if let csrf { fields.append(("csrf", csrf)) }
        return try await harness.send("POST", "/signin", body: Self.form(fields), headers: headers)
    }

    @Test("the page is a labelled form with a CSRF token that its cookie (HttpOnly, SameSite=Strict) repeats")
    func page() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let page = try await harness.send("GET", "/signin?next=/docs")
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        let csrf = try #require(Self.cookie(page, "tessera_csrf"))
        #expect(csrf.attributes.contains("HttpOnly") && csrf.attributes.contains("SameSite=Strict"))
        #expect(csrf.attributes.contains("Secure"), "the issuer is not plain HTTP on this machine")
        #expect(html.contains("name=\"csrf\" value=\"\(csrf.value)\""))
        #expect(html.contains("<label for=\"email\">") && html.contains("<label for=\"password\">"))
        #expect(html.contains("name=\"next\" value=\"/docs\""))
        #expect(page.headers["cache-control"] == "no-store")
    }

    @Test("a right password opens a session kept in an HttpOnly SameSite=Lax cookie, listed with the user's others")
    func signsIn() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let user = try await TestUser.signUp(harness, "page")
        let token = String(repeating: "A", count: 43)
        let answer = try await Self.signIn(
            harness, csrf: token, cookieCSRF: token, email: "page@example.com", password: HTTPHarness.password,
            next: "/docs")
        #expect(answer.status == 303)
        #expect(answer.headers["location"] == "/docs")
        let session = try #require(Self.cookie(answer, "tessera_session"))
        #expect(session.attributes.contains("HttpOnly") && session.attributes.contains("SameSite=Lax"))
        let sessionID = try #require(session.value.split(separator: ".").first)
        let listed = try await harness.send("GET", "/api/v1/sessions/me", token: user.token)
        #expect(String(decoding: listed.body, as: UTF8.self).lowercased().contains(sessionID.lowercased()))
    }

    @Test("without the CSRF cookie, or with another token, the form is refused (403) and no session opens")
    func csrf() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        _ = try await TestUser.signUp(harness, "csrf")
        let token = String(repeating: "A", count: 43)
        for (field, cookie) in [(token, nil), (nil, token), (token, String(repeating: "B", count: 43))] {
            let answer = try await Self.signIn(
                harness, csrf: field, cookieCSRF: cookie, email: "csrf@example.com", password: HTTPHarness.password)
            #expect(answer.status == 403)
            #expect(Self.cookie(answer, "tessera_session") == nil)
        }
    }

    @Test("a wrong password shows the form again with an error and the email, escaped; no session opens")
    func wrongPassword() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        let token = String(repeating: "A", count: 43)
        let answer = try await Self.signIn(
            harness, csrf: token, cookieCSRF: token, email: "<b>x</b>@example.com", password: "wrong")
        #expect(answer.status == 401)
        let html = String(decoding: answer.body, as: UTF8.self)
        #expect(html.contains("role=\"alert\"") && html.contains("&lt;b&gt;x&lt;/b&gt;@example.com"))
        #expect(!html.contains("<b>x</b>"))
        #expect(Self.cookie(answer, "tessera_session") == nil)
    }

    @Test(
        "signed in, / says who and offers to sign out; signing out (with the CSRF token) ends the session and clears the cookie"
    )
    func signOut() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        _ = try await TestUser.signUp(harness, "leave")
        let csrf = String(repeating: "A", count: 43)
        let signedIn = try await Self.signIn(
            harness, csrf: csrf, cookieCSRF: csrf, email: "leave@example.com", password: HTTPHarness.password)
        let session = try #require(Self.cookie(signedIn, "tessera_session")).value
        let cookies = "tessera_session=\(session); tessera_csrf=\(csrf)"
        let front = try await harness.send("GET", "/", headers: ["Cookie": cookies])
        let html = String(decoding: front.body, as: UTF8.self)
        #expect(
            html.contains("Signed in as <strong>leave@example.com</strong>") && html.contains("action=\"/signout\""))

        func signOut(_ field: String?) async throws -> HTTPHarness.Answer {
            try await harness.send(
                "POST", "/signout", body: Self.form(field.map { [("csrf", $0)] } ?? []),
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies])
        }
        #expect(try await signOut(nil).status == 403)
        #expect(
            String(decoding: try await harness.send("GET", "/", headers: ["Cookie": cookies]).body, as: UTF8.self)
                .contains("Signed in as"), "a refused form ends nothing")
        let out = try await signOut(csrf)
        #expect(out.status == 303 && out.headers["location"] == "/signin")
        #expect(out.headers["set-cookie"]?.hasPrefix("tessera_session=; ") == true)
        #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        let after = try await harness.send("GET", "/", headers: ["Cookie": cookies])
        #expect(
            !String(decoding: after.body, as: UTF8.self).contains("Signed in as"), "the old cookie is worth nothing")
    }

    @Test("next is a path on this server only: another host or a URL goes to /")
    func safeNext() async throws {
        let harness = try await HTTPHarness()
        defer { Task { await harness.close() } }
        _ = try await TestUser.signUp(harness, "next")
        let token = String(repeating: "A", count: 43)
        for next in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
            let answer = try await Self.signIn(
                harness, csrf: token, cookieCSRF: token, email: "next@example.com", password: HTTPHarness.password,
                next: next)
            #expect(answer.headers["location"] == "/", "\(next)")
        }
    }
}
