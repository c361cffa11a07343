package import FoundationEssentials

/// Reads what `BinaryWriter` wrote. Every read checks bounds and throws `RecordDecodingError` instead of trapping:
/// a record or snapshot is data from disk, not a programmer's promise.
package struct BinaryReader {
    private let bytes: UnsafeRawBufferPointer
    package private(set) var offset = 0

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(RecordDecodingError) -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else { throw RecordDecodingError("truncated at \(offset)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    /// Steps over `count` bytes.
    package mutating func skip(_ count: Int) throws(RecordDecodingError) { _ = try take(count) }

    package mutating func read(_: UInt8.Type = UInt8.self) throws(RecordDecodingError) -> UInt8 { try take(1)[0] }

    package mutating func read(_: Bool.Type) throws(RecordDecodingError) -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw RecordDecodingError("invalid Bool \(other) at \(offset - 1)")
        }
    }

    package mutating func read<T: FixedWidthInteger>(_: T.Type) throws(RecordDecodingError) -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    package mutating func readLength() throws(RecordDecodingError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try read(UInt8.self)
            guard shift < 63 else { throw RecordDecodingError("length too long at \(offset)") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard value <= UInt64(Int32.max) else { throw RecordDecodingError("length \(value) too large") }
        return Int(value)
    }

    package mutating func read(_: String.Type) throws(RecordDecodingError) -> String {
        let count = try readLength()
        let utf8 = try take(count)
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw RecordDecodingError("invalid UTF-8 at \(offset - count)")
        }
        return string
    }

    package mutating func readOptional(_: String.Type) throws(RecordDecodingError) -> String? {
        try read(Bool.self) ? try read(String.self) : nil
    }

    package mutating func readOptional(_: Int64.Type) throws(RecordDecodingError) -> Int64? {
        try read(Bool.self) ? try read(Int64.self) : nil
    }

    package mutating func read(_: UUID.Type) throws(RecordDecodingError) -> UUID {
        let raw = try take(16)
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { $0.copyMemory(from: raw) }
        return UUID(uuid: uuid)
    }

    package mutating func read(_: SecretDigest.Type) throws(RecordDecodingError) -> SecretDigest {
        SecretDigest(
            word0: try read(UInt64.self), word1: try read(UInt64.self), word2: try read(UInt64.self),
            word3: try read(UInt64.self))
    }

    package mutating func readOptional(_: SecretDigest.Type) throws(RecordDecodingError) -> SecretDigest? {
        try read(Bool.self) ? try read(SecretDigest.self) : nil
    }
}

/// Bytes from disk that do not decode as the format says.
public struct RecordDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    package init(_ description: String) { self.description = description }
}
