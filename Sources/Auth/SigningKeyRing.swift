import Bytes
import Crypto
import Synchronization
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Signing keys of one algorithm in `<data>/keys/<name>/` (`ed25519`, `es256`, `rs256`), one file per key named
/// by its creation time (Unix seconds), mode 0600. The newest signs. A key stops signing when a newer one is
/// created and stays — for verification and in the JWKS document — until every token it signed has expired
/// (`retentionSeconds` after it was replaced); then its file is deleted.
public final class SigningKeyRing: Sendable {
    struct Key: Sendable {
        let createdAt: Int64
        let key: SigningKey
        /// When the next key replaced it.
        var retiredAt: Int64?

        var kid: String { "\(key.algorithm.keyName)-\(createdAt)" }
    }

    package let algorithm: SigningAlgorithm
    private let directory: String
    private let rotationSeconds: Int64?
    private let retentionSeconds: Int64
    /// Oldest first; the last one signs.
    private let keys: Mutex<[Key]>

    /// Loads the keys, creating the first one (or a new one, when the newest is older than `rotationSeconds`).
    public init(
        directory: String, algorithm: SigningAlgorithm = .eddsa, nowSeconds: Int64, rotationSeconds: Int64?,
        retentionSeconds: Int64
    )
        throws(KeyStoreError)
    {
        self.algorithm = algorithm
        self.directory = directory
        self.rotationSeconds = rotationSeconds
        self.retentionSeconds = retentionSeconds
        do {
            try Durable.makeDirectory(directory)
            _ = try Durable.removeTemporaryFiles(in: directory)
        } catch {
            throw KeyStoreError("cannot prepare \(directory): \(error.message)")
        }
        keys = Mutex(try Self.load(directory: directory, algorithm: algorithm))
        _ = try rotateIfDue(nowSeconds: nowSeconds)
    }

    /// Reads the ring's files again (a cluster's follower, after the leader's keys were mirrored here); makes no
    /// key.
    package func reload() throws(KeyStoreError) {
        let loaded = try Self.load(directory: directory, algorithm: algorithm)
        // A ring always has a key to sign with, should this node come to lead.
        guard !loaded.isEmpty else { return }
        keys.withLock { $0 = loaded }
    }

    /// The keys in `directory`, oldest first, each retired by the next.
    private static func load(directory: String, algorithm: SigningAlgorithm) throws(KeyStoreError) -> [Key] {
        var loaded: [Key] = []
        for name in try keyFileNames(in: directory) {
            guard let createdAt = Int64(name.dropLast(4)) else { continue }
            let bytes = try KeyFile.read(directory + "/" + name, maxSize: 8192)
            guard let key = try? SigningKey(algorithm: algorithm, bytes: bytes) else {
                throw KeyStoreError("\(directory)/\(name) is not an \(algorithm.rawValue) key")
            }
            loaded.append(Key(createdAt: createdAt, key: key))
        }
        loaded.sort { $0.createdAt < $1.createdAt }
        for index in loaded.indices.dropLast() { loaded[index].retiredAt = loaded[index + 1].createdAt }
        return loaded
    }

    /// Creates a new signing key when there is none or the newest is older than the rotation period, and
    /// forgets keys whose tokens have all expired. True when it created one.
    @discardableResult
    package func rotateIfDue(nowSeconds: Int64) throws(KeyStoreError) -> Bool {
        let newest = keys.withLock { $0.last?.createdAt }
        let due = newest.map { newest in rotationSeconds.map { nowSeconds - newest >= $0 } ?? false } ?? true
        if due { try rotate(nowSeconds: nowSeconds) }
        try forgetExpired(nowSeconds: nowSeconds)
        return due
    }

    /// Creates a new signing key now; the previous one keeps verifying until its tokens expire.
    package func rotate(nowSeconds: Int64) throws(KeyStoreError) {
        let createdAt = max(nowSeconds, (keys.withLock { $0.last?.createdAt } ?? 0) + 1)
        let key = try SigningKey(generating: algorithm)
        try KeyFile.write(key.bytes, to: directory + "/\(createdAt).key")
        keys.withLock { keys in
            if !keys.isEmpty { keys[keys.count - 1].retiredAt = createdAt }
            keys.append(Key(createdAt: createdAt, key: key))
        }
    }

    private func forgetExpired(nowSeconds: Int64) throws(KeyStoreError) {
        let expired = keys.withLock { keys -> [Key] in
            let gone = keys.filter { $0.retiredAt.map { $0 + retentionSeconds < nowSeconds } ?? false }
            keys.removeAll { key in gone.contains { $0.createdAt == key.createdAt } }
            return gone
        }
        do { try Durable.remove(expired.map { directory + "/\($0.createdAt).key" }) } catch {
            throw KeyStoreError("cannot remove an expired signing key: \(error.message)")
        }
    }

    /// The key that signs now.
    var signingKey: Key { keys.withLock { $0.last! } }

    /// The key with this `kid`, while it verifies.
    func key(kid: Substring) -> Key? {
        keys.withLock { keys in keys.last { $0.kid == kid } }
    }

    /// The `kid` of every key that verifies, oldest first.
    package var kids: [String] { keys.withLock { $0.map(\.kid) } }

    /// Every key that verifies, as JWKS entries (with `kid`, `use: sig` and `alg`).
    var jwks: [[(String, FlatJSON.Value)]] {
        keys.withLock { keys in
            keys.map { key in
                key.key.publicJWK + [
                    ("kid", .string(key.kid)), ("use", .string("sig")), ("alg", .string(algorithm.rawValue)),
                ]
            }
        }
    }

    private static func keyFileNames(in directory: String) throws(KeyStoreError) -> [String] {
        guard let stream = opendir(directory) else { throw KeyStoreError("cannot read \(directory): errno \(errno)") }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".key"), name.dropLast(4).allSatisfy(\.isNumber) { names.append(name) }
        }
        return names
    }
}
