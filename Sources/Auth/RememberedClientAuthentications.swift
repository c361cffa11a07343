import Bytes
package import Engine
import FoundationEssentials

/// Client authentications by `Authorization: Basic` remembered by a digest of the exact header: a resource server
/// sends the same header with every introspection, and checking it costs a base64 decoding, form decoding and a
/// SHA-256 each time. The digest is two SipHash values under random keys of this process (a keyed hash: nobody
/// outside can aim at another header's digest), so no secret is kept in memory. An entry is only used while its
/// client is live and still has the secret's digest it had: a deleted client or a changed secret goes the full
/// way, and fails there. At most 4,096.
final class RememberedClientAuthentications: Sendable {
    struct Key: Hashable, Sendable {
        let first: Int
        let second: Int
    }

    struct Entry: Sendable {
        let clientID: UUID
        let secretDigest: SecretDigest
    }

    private let entries = PartitionedCache<Key, Entry>(capacity: 4_096) { $0.first }
    private let salts = (Int.random(in: .min ... .max), Int.random(in: .min ... .max))

    /// The digest of `header`.
    func key(_ header: String) -> Key {
        var first = Hasher()
        first.combine(salts.0)
        first.combine(header)
        var second = Hasher()
        second.combine(salts.1)
        second.combine(header)
        return Key(first: first.finalize(), second: second.finalize())
    }

    func entry(_ key: Key) -> Entry? { entries.value(for: key) }

    func remember(_ key: Key, _ entry: Entry) { entries.store(entry, for: key) }
}

extension OAuthProvider {
    /// The client a request's credentials prove (`Authorization: Basic`, or the form's `client_id` and
    /// `client_secret`), as `authenticate(_:)` decides; a Basic header seen before for a live confidential client
    /// whose secret has not changed is recognized by its digest, without decoding or hashing it again.
    package func authenticate(authorization: String?, form: [String: String]) throws(OAuthError) -> OAuthClient {
        guard let authorization, form["client_secret"] == nil, authorization.hasPrefixIgnoringASCIICase("basic ")
        else { return try authenticate(ClientCredentials.from(authorization: authorization, form: form)) }
        let key = rememberedClients.key(authorization)
        if let entry = rememberedClients.entry(key), let client = engine.liveClient(entry.clientID),
            client.secretDigest == entry.secretDigest,
            form["client_id"].map({ $0 == client.clientIdentifier }) ?? true,
            (client.registration?.tokenEndpointAuthMethod ?? "client_secret_basic") == "client_secret_basic"
        {
            return client
        }
        let client = try authenticate(ClientCredentials.from(authorization: authorization, form: form))
        if let digest = client.secretDigest {
            rememberedClients.remember(
                key, RememberedClientAuthentications.Entry(clientID: client.id, secretDigest: digest))
        }
        return client
    }
}
