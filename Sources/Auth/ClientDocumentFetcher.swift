/// What fetching a client ID metadata document brought back: the answer as HTTP gave it, before any rule of the
/// draft is applied (those are `ClientDocuments`').
package struct FetchedClientDocument: Sendable, Hashable {
    package let status: Int
    package let contentType: String?
    package let cacheControl: String?
    package let body: [UInt8]

    package init(status: Int, contentType: String?, cacheControl: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.body = body
    }
}

/// Why a document could not be fetched: the sentence completes "the client's metadata document at <url> …".
package struct ClientDocumentFetchError: Error, Sendable, Hashable {
    package let reason: String

    package init(_ reason: String) { self.reason = reason }
}

/// Fetches client ID metadata documents: one `GET` with a deadline and a size cap, redirects not followed, and
/// never to an address this server should not reach on a stranger's say-so (SSRF). Social's implementation
/// speaks HTTPS; tests plug in their own.
package protocol ClientDocumentFetcher: Sendable {
    /// The answer to `GET url`, whose body is at most `maxBytes`.
    func fetch(_ url: String, maxBytes: Int) async throws(ClientDocumentFetchError) -> FetchedClientDocument
}
