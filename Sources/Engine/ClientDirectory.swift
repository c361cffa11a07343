import FoundationEssentials

/// The OAuth clients that are not deleted, by id, and those known by a client ID metadata document by the
/// document's URL: what client authentication and the authorization endpoint read without a shard hop.
package struct ClientDirectory: Sendable {
    private(set) var byID: [UUID: OAuthClient] = [:]
    private var byDocumentURL: [String: UUID] = [:]

    init(_ clients: some Sequence<OAuthClient>) {
        for client in clients where !client.isDeleted { insert(client) }
    }

    /// Adds `client`, or replaces the client with its id.
    mutating func insert(_ client: OAuthClient) {
        if let previous = byID.updateValue(client, forKey: client.id), let url = previous.documentURL {
            byDocumentURL[url] = nil
        }
        if let url = client.documentURL { byDocumentURL[url] = client.id }
    }

    mutating func remove(_ id: UUID) {
        guard let removed = byID.removeValue(forKey: id) else { return }
        if let url = removed.documentURL, byDocumentURL[url] == id { byDocumentURL[url] = nil }
    }

    subscript(id: UUID) -> OAuthClient? { byID[id] }

    /// The live client whose metadata document is at `url` (compared as a plain string).
    func client(documentURL url: String) -> OAuthClient? { byDocumentURL[url].flatMap { byID[$0] } }
}

/// Counts of the changes behind a read (see `Engine.changeStamp`).
package struct ChangeStamp: Sendable, Hashable {
    package let shard: UInt64
    package let clients: UInt64
}

extension OAuthClient {
    /// The URL of the client's metadata document, for a client that names itself by it.
    package var documentURL: String? { registration?.documentURL }

    /// The `client_id` clients and resource servers know: the document's URL, or the id in lower case.
    package var clientIdentifier: String { documentURL ?? id.uuidString.lowercased() }
}
