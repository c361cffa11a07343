import AsyncHTTPClient
package import Auth
import Bytes
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS to URLs strangers chose (a client ID metadata document's URL, a self-registered client's back-channel
/// logout URI), guarded against their authors: the host is resolved here and every address judged (public
/// unicast only, unless `allowPrivateAddresses`, for development and tests), then the connection goes to a
/// judged address — the certificate still checked against the host's name — so a second DNS answer cannot
/// point it elsewhere; redirects are not followed; one deadline covers the request and the answer; the body is
/// capped.
package final class GuardedHTTPClient: Sendable {
    /// An answer as HTTP gave it.
    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }
    /// What the operator allows.
    package struct Settings: Sendable {
        /// Fetch from loopback and private addresses too (`--outbound-private-addresses`): a
        /// development and test setting, never for a server strangers can reach.
        package var allowPrivateAddresses = false
        package var timeoutSeconds: Int64 = 5
        /// PEM certificates trusted besides the system's (`--outbound-ca-file`).
        package var extraTrustRootsFile: String?

        package init() {}
    }

    let settings: Settings
    private let tls: TLSConfiguration

    package init(settings: Settings = Settings()) {
        self.settings = settings
        tls = OutboundTLS.configuration(extraTrustRootsFile: settings.extraTrustRootsFile)
    }

    /// Sends `request` (to an `https` URL) and reads at most `maxBytes` of the answer; errors complete "the
    /// document at <url> …".
    func send(_ request: HTTPClientRequest, maxBytes: Int) async throws(ClientDocumentFetchError) -> Answer {
        let url = request.url
        guard let parts = URLComponents(string: url), parts.scheme == "https", let host = parts.host, !host.isEmpty
        else { throw ClientDocumentFetchError("is not an https URL") }
        let deadline = NIODeadline.now() + .seconds(settings.timeoutSeconds)
        let addresses = await HostResolver.addresses(of: host)
        guard !addresses.isEmpty else {
            throw ClientDocumentFetchError("could not be reached: \(host) does not resolve")
        }
        let allowed = settings.allowPrivateAddresses ? addresses : addresses.filter(\.isPublic)
        guard !allowed.isEmpty else {
            throw ClientDocumentFetchError(
                "is on a loopback, private or reserved address (\(addresses[0].text)), which Tessera does not fetch from"
            )
        }
        var failure = ClientDocumentFetchError("could not be reached")
        // A second address only when the first could not be connected to (an IPv6 address of a server that
        // listens on IPv4 only, say), within the one deadline.
        for address in allowed.prefix(2) {
            switch await send(request, host: host, address: address, maxBytes: maxBytes, deadline: deadline) {
            case .success(let answer): return answer
            case .failure(let attempt):
                failure = attempt.error
                if !attempt.mayTryAnotherAddress { throw failure }
            }
        }
        throw failure
    }

    /// Why one address did not give the document, and whether another address of the host might.
    private struct AttemptFailure: Error {
        let error: ClientDocumentFetchError
        let mayTryAnotherAddress: Bool
    }

    private func send(
        _ request: HTTPClientRequest, host: String, address: ResolvedAddress, maxBytes: Int, deadline: NIODeadline
    ) async -> Result<Answer, AttemptFailure> {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        // One judged address per attempt: a refused connection fails at once, and the next address is tried.
        configuration.connectionPool.retryConnectionEstablishment = false
        if HostResolver.literal(host) == nil { configuration.dnsOverride = [host: address.text] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = request
        request.headers.replaceOrAdd(name: "user-agent", value: "Tessera")
        let result: Result<Answer, AttemptFailure>
        do {
            let response = try await client.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: maxBytes)
            result = .success(
                Answer(
                    status: Int(response.status.code), headers: response.headers,
                    body: Array(body.readableBytesView)))
        } catch {
            result = .failure(Self.failure(error, maxBytes: maxBytes))
        }
        try? await client.shutdown()
        return result
    }

    /// What went wrong, in words that complete "the client's metadata document at <url> …".
    private static func failure(_ error: any Error, maxBytes: Int) -> AttemptFailure {
        func final(_ reason: String) -> AttemptFailure {
            AttemptFailure(error: ClientDocumentFetchError(reason), mayTryAnotherAddress: false)
        }
        if error is NIOTooManyBytesError { return final("is larger than \(maxBytes) bytes") }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return final("did not answer in time")
            default: break
            }
        }
        if error is NIOSSLError || error is BoringSSLError {
            return final("could not be reached over TLS (its certificate did not verify)")
        }
        return AttemptFailure(error: ClientDocumentFetchError("could not be reached"), mayTryAnotherAddress: true)
    }
}

extension GuardedHTTPClient: ClientDocumentFetcher {
    /// `GET url` for a client ID metadata document.
    package func fetch(_ url: String, maxBytes: Int) async throws(ClientDocumentFetchError) -> FetchedClientDocument {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "accept", value: "application/json")
        let answer = try await send(request, maxBytes: maxBytes)
        return FetchedClientDocument(
            status: answer.status, contentType: answer.headers.first(name: "content-type"),
            cacheControl: answer.headers["cache-control"].joined(separator: ", ").nilIfEmpty, body: answer.body)
    }
}

extension GuardedHTTPClient: LogoutTokenDelivery {
    /// `POST url` with `logout_token=<token>`; a 2xx answer is a delivery.
    package func deliver(_ token: String, to url: String) async -> String? {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "logout_token=" + FormEncoding.percentEncoded(token)))
        do {
            let answer = try await send(request, maxBytes: 64 * 1024)
            return (200..<300).contains(answer.status) ? nil : "answered HTTP \(answer.status)"
        } catch {
            return "\(url.prefix(200)) \(error.reason)"
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
