import Crypto
import FoundationEssentials

/// HMAC-SHA256 under one key, with the key's inner block hashed once: each code then costs the message and
/// the outer hash only. Refresh signs an access token and derives two secrets per call, where setting the key
/// up again each time was a measurable part of its CPU.
struct PreparedHMAC: Sendable {
    private let keyed: HMAC<SHA256>

    init(key: SymmetricKey) { keyed = HMAC(key: key) }

    /// The code of `message`.
    func code(_ message: some DataProtocol) -> HashedAuthenticationCode<SHA256> {
        var mac = keyed
        mac.update(data: message)
        return mac.finalize()
    }

    /// Whether `signature` is the code of `message`, compared in constant time.
    func isValid(_ signature: some DataProtocol, authenticating message: some DataProtocol) -> Bool {
        code(message) == signature
    }
}
