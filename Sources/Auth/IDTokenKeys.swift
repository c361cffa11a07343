import Bytes
import Synchronization
import WAL

/// The keys ID tokens and logout tokens are signed with: one ring per algorithm in `<data>/keys/<name>/`
/// (`rs256`, `es256`, `ed25519`), each made at its first use and rotated like the access tokens' EdDSA keys. The
/// JWKS document publishes every key that verifies, of every ring and of the access tokens' EdDSA ring when
/// there is one (which the `ed25519` ring then is: one Ed25519 ring per data directory).
package final class IDTokenKeys: Sendable {
    private let directory: String
    private let rotationSeconds: Int64?
    private let retentionSeconds: Int64
    private let rings: Mutex<[SigningAlgorithm: SigningKeyRing]>

    /// `accessTokenRing`: the access tokens' EdDSA ring, shared for EdDSA ID tokens.
    package init(
        directory: String, rotationSeconds: Int64?, retentionSeconds: Int64, accessTokenRing: SigningKeyRing? = nil
    ) {
        self.directory = directory
        self.rotationSeconds = rotationSeconds
        self.retentionSeconds = retentionSeconds
        rings = Mutex(accessTokenRing.map { [.eddsa: $0] } ?? [:])
    }

    /// The ring of `algorithm`, loaded (or its first key made) at the first call.
    package func ring(_ algorithm: SigningAlgorithm, nowSeconds: Int64) throws(KeyStoreError) -> SigningKeyRing {
        if let ring = rings.withLock({ $0[algorithm] }) { return ring }
        do { try Durable.makeDirectories(directory) } catch {
            throw KeyStoreError("cannot prepare \(directory): \(error.message)")
        }
        let made = try SigningKeyRing(
            directory: directory + "/" + algorithm.keyName, algorithm: algorithm, nowSeconds: nowSeconds,
            rotationSeconds: rotationSeconds, retentionSeconds: retentionSeconds)
        // Two first uses at once: the first ring stored wins, and both read the same files.
        return rings.withLock { rings in
            if let existing = rings[algorithm] { return existing }
            rings[algorithm] = made
            return made
        }
    }

    /// A compact JWS of `claims` with the current key of `algorithm`; `type` is the header's `typ`.
    func sign(
        _ claims: [(String, FlatJSON.Value)], algorithm: SigningAlgorithm, type: String = "JWT", nowSeconds: Int64
    ) throws(KeyStoreError) -> String {
        let key = try ring(algorithm, nowSeconds: nowSeconds).signingKey
        let header = Base64URL.encode(
            FlatJSON.encode([("alg", .string(algorithm.rawValue)), ("typ", .string(type)), ("kid", .string(key.kid))]))
        let signingInput = header + "." + Base64URL.encode(FlatJSON.encode(claims))
        return signingInput + "." + Base64URL.encode(key.key.sign(Array(signingInput.utf8)))
    }

    /// The claims of a JWS one of these keys signed (any algorithm; the header's `alg` must be the key's), or nil.
    func verifiedClaims(_ token: String) -> [String: FlatJSON.Value]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let header = FlatJSON.decode(headerBytes), case .string(let alg)? = header["alg"],
            case .string(let kid)? = header["kid"], let algorithm = SigningAlgorithm(rawValue: alg),
            let ring = rings.withLock({ $0[algorithm] }), let key = ring.key(kid: Substring(kid)),
            let signature = Base64URL.decode(parts[2]), let payload = Base64URL.decode(parts[1])
        else { return nil }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard signingInput.withUnsafeBytes({ key.key.isValidSignature(signature, for: $0) }) else { return nil }
        return FlatJSON.decode(payload)
    }

    /// Every key of every ring that verifies: the JWKS document. Makes the rings not used yet, so that a relying
    /// party that caches the document early knows every key an ID token may name.
    package func jwks(nowSeconds: Int64) throws(KeyStoreError) -> [UInt8] {
        var all: [SigningKeyRing] = []
        for algorithm in SigningAlgorithm.allCases { all.append(try ring(algorithm, nowSeconds: nowSeconds)) }
        return JWKS.document(all)
    }

    /// Reads every ring in use again from its files (a cluster's follower, after the leader's keys were
    /// mirrored here).
    package func reload() throws(KeyStoreError) {
        for ring in rings.withLock({ Array($0.values) }) { try ring.reload() }
    }

    /// Rotates every ring in use whose newest key is due (a maintenance tick); true when one rotated.
    @discardableResult
    package func rotateIfDue(nowSeconds: Int64) throws(KeyStoreError) -> Bool {
        var rotated = false
        for ring in rings.withLock({ Array($0.values) }) where try ring.rotateIfDue(nowSeconds: nowSeconds) {
            rotated = true
        }
        return rotated
    }
}
