package import Auth
import Engine
package import Logging
import NIOCore

/// What a route knows of its request besides the request itself: who is calling (once a guard has
/// authenticated them), from which address, the request's number, and where to log. Guards fill it in; a
/// route asks for what it needs with `requireIdentity()` or `requireClient()`.
public struct RequestContext: Sendable {
    /// Unique within this process; log lines about the request carry it as `request_id`.
    package let requestID: UInt64
    /// Where lines about this request go.
    package let logger: Logger
    private let socketAddress: SocketAddress?
    /// `X-Forwarded-For`, read only when some proxy is trusted.
    private let forwardedFor: String?
    private let trustedProxies: Set<String>
    /// The client's address as a peer node of a cluster vouched for it (a request it forwarded).
    private let vouchedClient: String?
    /// The caller, set by `Authenticated`.
    var identity: AccessClaims?
    /// The OAuth client and its form, set by `OAuthClientAuthenticated`.
    var client: AuthenticatedClient?

    init(
        request: HTTPRequest, requestID: UInt64, logger: Logger, trustedProxies: Set<String>,
        vouchedClient: String? = nil
    ) {
        self.requestID = requestID
        self.logger = logger
        self.trustedProxies = trustedProxies
        self.vouchedClient = vouchedClient
        socketAddress = request.remoteAddress
        forwardedFor = trustedProxies.isEmpty ? nil : request.headers.first(name: "x-forwarded-for")
    }

    /// The client's address: the one a peer node vouched for; else the socket's, or — when the socket is a
    /// trusted proxy — the right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Formatted
    /// when asked: most routes never ask.
    package var clientAddress: String {
        if let vouchedClient { return vouchedClient }
        let socket = socketAddress?.ipAddress ?? "unknown"
        guard let forwardedFor, trustedProxies.contains(socket) else { return socket }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? socket
    }

    /// The authenticated caller; a route behind `Authenticated` always has one.
    package func requireIdentity() throws(APIError) -> AccessClaims {
        guard let identity else { throw APIError.authenticationRequired }
        return identity
    }

    /// The authenticated OAuth client and its form; a route behind `OAuthClientAuthenticated` always has one.
    func requireClient() throws(OAuthError) -> AuthenticatedClient {
        guard let client else { throw OAuthError.invalidClient("client authentication is required") }
        return client
    }

    /// `logger`'s metadata for this request.
    var metadata: Logger.Metadata { ["request_id": "\(requestID)"] }
}

/// An OAuth client that authenticated itself (RFC 6749 §2.3), with the form it sent.
struct AuthenticatedClient: Sendable {
    let form: [String: String]
    let client: OAuthClient

    var formAndClient: ([String: String], OAuthClient) { (form, client) }
}
