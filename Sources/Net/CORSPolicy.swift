import NIOHTTP1

/// Which browser origins may call the API from scripts (CORS), and how: an origin on the list gets its own
/// name back in `Access-Control-Allow-Origin` (never `*`: the social login's binding cookie needs credentials),
/// with credentials allowed; a preflight from it is answered 204 with the methods and headers the API takes.
/// Every other origin gets no CORS header at all, so the browser keeps its answers from the page.
package struct CORSPolicy: Sendable, Hashable {
    package let allowedOrigins: Set<String>
    package var maxAgeSeconds: Int

    /// `allowedOrigins` as browsers send them: scheme, host and port, no path (`https://app.example`).
    package init(allowedOrigins: Set<String>, maxAgeSeconds: Int = 600) {
        self.allowedOrigins = allowedOrigins
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Whether `text` names an origin as `allowedOrigins` wants it.
    package static func isOrigin(_ text: String) -> Bool {
        guard let colon = text.range(of: "://") else { return false }
        let scheme = text[..<colon.lowerBound]
        let rest = text[colon.upperBound...]
        return (scheme == "https" || scheme == "http") && !rest.isEmpty && !rest.contains("/") && !rest.contains("?")
            && !rest.contains("#")
    }

    /// The request's origin when it is allowed.
    func allowedOrigin(of request: HTTPRequest) -> String? {
        guard let origin = request.headers.first(name: "origin"), allowedOrigins.contains(origin) else { return nil }
        return origin
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin. The
    /// origin's headers are added with every answer's (`decorate`), once: a browser refuses an answer that
    /// names the origin twice.
    func preflightAnswer(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == .OPTIONS, request.headers.contains(name: "access-control-request-method"),
            allowedOrigin(of: request) != nil
        else { return nil }
        var response = HTTPResponse(status: .noContent)
        response.headers.add(name: "access-control-allow-methods", value: "GET, POST, PUT, PATCH, DELETE")
        response.headers.add(name: "access-control-allow-headers", value: "Authorization, Content-Type, X-Device-Id")
        response.headers.add(name: "access-control-max-age", value: String(maxAgeSeconds))
        return response
    }

    /// Adds the CORS headers an allowed origin's answer carries.
    func decorate(_ response: inout HTTPResponse, for request: HTTPRequest) {
        guard let origin = allowedOrigin(of: request) else {
            // The answer depends on the origin all the same: caches must keep them apart.
            if request.headers.contains(name: "origin") { response.headers.add(name: "vary", value: "Origin") }
            return
        }
        decorate(&response, origin: origin)
    }

    private func decorate(_ response: inout HTTPResponse, origin: String) {
        response.headers.add(name: "access-control-allow-origin", value: origin)
        response.headers.add(name: "access-control-allow-credentials", value: "true")
        response.headers.add(name: "access-control-expose-headers", value: "Retry-After, WWW-Authenticate")
        response.headers.add(name: "vary", value: "Origin")
    }
}
