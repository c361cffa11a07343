package import FoundationEssentials

/// Appends values in the engine's record encoding: little-endian integers, LEB128 lengths, UTF-8 strings.
/// Records and snapshots are written with it and read back with `BinaryReader`; both are versioned by the
/// callers (a version byte first), so that a later format can still read older logs.
package struct BinaryWriter: Sendable {
    package private(set) var bytes: [UInt8]

    package init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    package mutating func write(_ value: UInt8) { bytes.append(value) }

    package mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// An unsigned LEB128 number: one byte for values below 128.
    package mutating func writeLength(_ value: Int) {
        precondition(value >= 0, "lengths are not negative")
        var remaining = UInt64(value)
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    package mutating func write(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            writeLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    package mutating func write(_ value: Int64?) {
        write(value != nil)
        if let value { write(value) }
    }

    package mutating func write(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(_ value: SecretDigest) {
        write(value.word0)
        write(value.word1)
        write(value.word2)
        write(value.word3)
    }

    package mutating func write(_ value: SecretDigest?) {
        write(value != nil)
        if let value { write(value) }
    }
}
