import Bytes
import Crypto
import FoundationEssentials
import _CryptoExtras

/// The asymmetric JWS algorithms Tessera signs with: EdDSA (Ed25519) for access tokens when configured, and
/// for ID tokens RS256 (which OpenID Connect requires every provider to offer), ES256 and EdDSA per client.
public enum SigningAlgorithm: String, Sendable, CaseIterable {
    case eddsa = "EdDSA"
    case es256 = "ES256"
    case rs256 = "RS256"

    /// The folder of `<data>/keys/` its keys live in, and the prefix of their `kid`.
    package var keyName: String {
        switch self {
        case .eddsa: "ed25519"
        case .es256: "es256"
        case .rs256: "rs256"
        }
    }
}

/// A private signing key of one algorithm: made, stored as bytes (Ed25519's and P-256's raw scalar, RSA's
/// PKCS #1 DER), used to sign and verify, published as a JWK.
struct SigningKey: Sendable {
    private enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    private let backing: Backing

    var algorithm: SigningAlgorithm {
        switch backing {
        case .ed25519: .eddsa
        case .p256: .es256
        case .rsa: .rs256
        }
    }

    /// A new key (RSA: 2,048 bits).
    init(generating algorithm: SigningAlgorithm) throws(KeyStoreError) {
        switch algorithm {
        case .eddsa: backing = .ed25519(Curve25519.Signing.PrivateKey())
        case .es256: backing = .p256(P256.Signing.PrivateKey())
        case .rs256:
            do { backing = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)) } catch {
                throw KeyStoreError("cannot make an RSA key: \(error)")
            }
        }
    }

    /// The key whose stored bytes are `bytes`.
    init(algorithm: SigningAlgorithm, bytes: [UInt8]) throws(KeyStoreError) {
        do {
            switch algorithm {
            case .eddsa: backing = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: bytes))
            case .es256: backing = .p256(try P256.Signing.PrivateKey(rawRepresentation: bytes))
            case .rs256: backing = .rsa(try _RSA.Signing.PrivateKey(derRepresentation: bytes))
            }
        } catch {
            throw KeyStoreError("not an \(algorithm.rawValue) private key")
        }
    }

    /// What is written to the key's file.
    var bytes: [UInt8] {
        switch backing {
        case .ed25519(let key): Array(key.rawRepresentation)
        case .p256(let key): Array(key.rawRepresentation)
        case .rsa(let key): Array(key.derRepresentation)
        }
    }

    /// The JWS signature of `input` (ES256: `r ‖ s`, 64 bytes, as RFC 7518 §3.4 wants). Signing in memory
    /// with a valid key does not fail in swift-crypto; an empty signature would never verify.
    func sign(_ input: [UInt8]) -> [UInt8] {
        switch backing {
        case .ed25519(let key): (try? key.signature(for: input)).map(Array.init) ?? []
        case .p256(let key): (try? key.signature(for: input)).map { Array($0.rawRepresentation) } ?? []
        case .rsa(let key):
            (try? key.signature(for: input, padding: .insecurePKCS1v1_5)).map { Array($0.rawRepresentation) } ?? []
        }
    }

    func isValidSignature(_ signature: [UInt8], for input: UnsafeRawBufferPointer) -> Bool {
        switch backing {
        case .ed25519(let key): return key.publicKey.isValidSignature(signature, for: input)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.publicKey.isValidSignature(parsed, for: input)
        case .rsa(let key):
            return key.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: input, padding: .insecurePKCS1v1_5)
        }
    }

    /// The public key's JWK members (RFC 7517/7518/8037), without `kid`, `use` and `alg`.
    var publicJWK: [(String, FlatJSON.Value)] {
        switch backing {
        case .ed25519(let key):
            return [
                ("kty", .string("OKP")), ("crv", .string("Ed25519")),
                ("x", .string(Base64URL.encode(Array(key.publicKey.rawRepresentation)))),
            ]
        case .p256(let key):
            let point = Array(key.publicKey.rawRepresentation)
            return [
                ("kty", .string("EC")), ("crv", .string("P-256")),
                ("x", .string(Base64URL.encode(Array(point[0..<32])))),
                ("y", .string(Base64URL.encode(Array(point[32..<64])))),
            ]
        case .rsa(let key):
            let primitives = try? key.publicKey.getKeyPrimitives()
            return [
                ("kty", .string("RSA")),
                ("n", .string(Base64URL.encode(Array(primitives?.modulus ?? Data())))),
                ("e", .string(Base64URL.encode(Array(primitives?.publicExponent ?? Data())))),
            ]
        }
    }
}
