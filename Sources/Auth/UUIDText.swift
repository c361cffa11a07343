import Bytes
package import FoundationEssentials

/// UUIDs as text on the hot paths: Foundation's `UUID(uuidString:)` goes through `sscanf`, and `uuidString`
/// plus `lowercased()` allocates twice; these read and write the 36 bytes directly.
package enum UUIDText {
    /// The UUID in `8-4-4-4-12` hexadecimal form (either case), or nil.
    package static func parse(_ text: some StringProtocol) -> UUID? {
        var text = String(text)
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// The UUID in the 36 bytes, or nil.
    package static func parse(bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard bytes.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &value) { out -> Bool in
            var index = 0
            var position = 0
            while position < 36 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard bytes[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                    continue
                }
                guard let high = hexDigitValue(bytes[position]), let low = hexDigitValue(bytes[position + 1]) else {
                    return false
                }
                out[index] = high << 4 | low
                index += 1
                position += 2
            }
            return true
        }
        return ok ? UUID(uuid: value) : nil
    }

    /// The UUID in lower case, `8-4-4-4-12`.
    package static func lowercased(_ uuid: UUID) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        JSONText.appendUUID(uuid, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
