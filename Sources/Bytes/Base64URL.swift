import ExtrasBase64

/// Base64url without padding, as JWTs and Tessera's refresh tokens use it. Inlinable: token signing and
/// verification call it on the hot paths, with concrete collection types worth specializing for.
package enum Base64URL {
    @inlinable
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// The encoding as bytes, to append to a buffer without a String in between.
    @inlinable
    package static func encodeToBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Base64.encodeToBytes(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// The bytes, or nil when `text` is not base64url.
    @inlinable
    package static func decode(_ text: Substring) -> [UInt8]? {
        try? Base64.decode(bytes: text.utf8, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// The bytes, or nil when `bytes` are not base64url text.
    @inlinable
    package static func decode(bytes: some Collection<UInt8>) -> [UInt8]? {
        try? Base64.decode(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
