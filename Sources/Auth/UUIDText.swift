public import FoundationEssentials

/// UUIDs as text on the hot paths: Foundation's `UUID(uuidString:)` goes through `sscanf`, and `uuidString`
/// plus `lowercased()` allocates twice; these read and write the 36 bytes directly.
public enum UUIDText {
    /// The UUID in `8-4-4-4-12` hexadecimal form (either case), or nil.
    public static func parse(_ text: some StringProtocol) -> UUID? {
        var text = String(text)
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// The UUID in the 36 bytes, or nil.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
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
                guard let high = hex(bytes[position]), let low = hex(bytes[position + 1]) else { return false }
                out[index] = high << 4 | low
                index += 1
                position += 2
            }
            return true
        }
        return ok ? UUID(uuid: value) : nil
    }

    /// The UUID in lower case, `8-4-4-4-12`.
    public static func lowercased(_ uuid: UUID) -> String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = digits.utf8Start[Int(byte >> 4)]
                    out[position + 1] = digits.utf8Start[Int(byte & 15)]
                    position += 2
                }
                return 36
            }
        }
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
