import Auth
import Bytes
import Crypto
import Engine

/// The random values of a sign-in flow and what is kept of them: the state's secret (only its digest is
/// stored), the PKCE verifier and its S256 challenge (RFC 7636 §4.2), the OpenID Connect nonce, and the value
/// the browser keeps in a cookie (only its digest is stored with the state).
enum FlowSecrets {
    /// 43 base64url characters of 256 random bits: a PKCE verifier, a nonce, a browser binding.
    static func randomText() -> String { Base64URL.encode(SecretToken.randomSecret()) }

    /// `BASE64URL(SHA256(verifier))`.
    static func challenge(of verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    /// The digest kept of a browser binding, or nil when `text` is not one (43 base64url characters of 256
    /// bits, as `randomText` makes them).
    static func bindingDigest(_ text: String) -> SecretDigest? {
        guard text.utf8.count == 43, let bytes = Base64URL.decode(Substring(text)),
            bytes.count == SecretToken.secretSize
        else { return nil }
        return SecretToken.digest(ofSecret: bytes)
    }
}
