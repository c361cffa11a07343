/// A SHA-256 digest (of a refresh-token secret, a reset token, a client secret): 32 bytes held inline as four
/// words, so a session stores its digests without an allocation. Compared in constant time.
public struct SecretDigest: Sendable, Hashable {
    package let word0: UInt64
    package let word1: UInt64
    package let word2: UInt64
    package let word3: UInt64

    public init(word0: UInt64, word1: UInt64, word2: UInt64, word3: UInt64) {
        self.word0 = word0
        self.word1 = word1
        self.word2 = word2
        self.word3 = word3
    }

    /// The digest whose 32 bytes are `bytes` (precondition: exactly 32).
    package init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self = Array(bytes).withUnsafeBytes { SecretDigest(rawBytes: $0) }
    }

    /// The digest whose 32 bytes are `rawBytes`, read as four little-endian words without a copy.
    package init(rawBytes: UnsafeRawBufferPointer) {
        precondition(rawBytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.init(
            word0: UInt64(littleEndian: rawBytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            word1: UInt64(littleEndian: rawBytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            word2: UInt64(littleEndian: rawBytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            word3: UInt64(littleEndian: rawBytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// Equality that takes the same time wherever the digests differ.
    package func constantTimeEquals(_ other: SecretDigest) -> Bool {
        ((word0 ^ other.word0) | (word1 ^ other.word1) | (word2 ^ other.word2) | (word3 ^ other.word3)) == 0
    }
}
