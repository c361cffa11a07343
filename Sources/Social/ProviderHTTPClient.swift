import AsyncHTTPClient
import Bytes
import Foundation
import NIOCore
import NIOHTTP1

/// Why a sign-in with a provider failed: the provider could not be reached or answered something unusable, it
/// refused the code, or the identity it vouched for did not verify. Messages name the step, never a secret.
package struct SocialError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// Unreachable, too slow, or an answer that cannot be used (its discovery document, its keys): the
        /// provider's fault, worth trying again later.
        case providerUnavailable
        /// The provider refused the code (unknown, used, expired, another redirect URI or PKCE verifier).
        case codeRefused
        /// The provider's answer did not prove the identity: an ID token that does not verify (signature,
        /// issuer, audience, expiry, nonce) or a profile without an id.
        case identityRejected
    }

    package let kind: Kind
    package let description: String
    /// The ID token names a key the provider's published set lacks (worth one more fetch of the keys).
    let isUnknownKey: Bool

    /// A failure of this kind; `description` names the step and the provider, never a secret.
    package init(_ kind: Kind, _ description: String) { self.init(kind, description, isUnknownKey: false) }

    init(_ kind: Kind, _ description: String, isUnknownKey: Bool) {
        self.kind = kind
        self.description = description
        self.isUnknownKey = isUnknownKey
    }
}

/// How Tessera talks to providers: AsyncHTTPClient, redirects not followed, a deadline on every request and a
/// cap on the size of answers, so that a slow or hostile provider can hold neither a sign-in nor memory.
package final class ProviderHTTPClient: Sendable {
    struct Answer: Sendable {
        let status: Int
        let body: [UInt8]
    }

    private let client: HTTPClient
    private let timeout: TimeAmount
    static let maxAnswerBytes = 1 << 20

    /// A client whose every request must be answered within `timeoutSeconds`, trusting the system's CAs and
    /// those of `extraTrustRootsFile` (PEM).
    package init(timeoutSeconds: Int64 = 10, extraTrustRootsFile: String? = nil) {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: OutboundTLS.configuration(extraTrustRootsFile: extraTrustRootsFile))
        configuration.redirectConfiguration = .disallow
        // A refused connection is retried (with backoff) for this long, not until the request's deadline: a
        // provider that is down fails a sign-in in seconds, not in `timeoutSeconds`.
        configuration.timeout.connect = .seconds(min(3, timeoutSeconds))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        timeout = .seconds(timeoutSeconds)
    }

    /// Ends the client's connections; call once, when the server stops.
    package func shutdown() async {
        try? await client.shutdown()
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws(SocialError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(contentsOf: headers)
        return try await send(request)
    }

    /// POSTs `form` as `application/x-www-form-urlencoded`.
    func postForm(
        _ url: String, form: [(String, String)], headers: [(String, String)] = []
    ) async throws(SocialError)
        -> Answer
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(contentsOf: headers)
        request.headers.replaceOrAdd(name: "content-type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encoded(form)))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws(SocialError) -> Answer {
        var request = request
        request.headers.replaceOrAdd(name: "accept", value: "application/json")
        request.headers.replaceOrAdd(name: "user-agent", value: "Tessera")
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
            return Answer(status: Int(response.status.code), body: Array(body.readableBytesView))
        } catch {
            throw SocialError(
                .providerUnavailable,
                "the provider at \(Self.origin(of: request.url)) could not be reached or answered too much")
        }
    }

    /// Scheme, host and port of `url`, for messages (never its path or query, which may carry codes).
    static func origin(of url: String) -> String {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else { return "?" }
        return parsed.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
