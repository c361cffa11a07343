/// `application/x-www-form-urlencoded` components (and query strings): `+` is a space, `%XX` a byte.
public enum FormEncoding {
    /// The decoded text. `strict` refuses (nil) a `%` not followed by two hex digits and bytes that are not
    /// UTF-8; otherwise such a `%` is kept as it is and bad bytes are repaired. A component with neither `+` nor
    /// `%` is taken as it is, without a copy through a buffer.
    public static func decoded(_ text: some Collection<UInt8>, strict: Bool) -> String? {
        guard text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return strict ? String(validating: Array(text), as: UTF8.self) : String(decoding: text, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            index = text.index(after: index)
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index != text.endIndex, let high = hexValue(text[index]),
                      text.index(after: index) != text.endIndex, let low = hexValue(text[text.index(after: index)]) {
                bytes.append(high << 4 | low)
                index = text.index(index, offsetBy: 2)
            } else if byte == UInt8(ascii: "%") && strict {
                return nil
            } else {
                bytes.append(byte)
            }
        }
        return strict ? String(validating: bytes, as: UTF8.self) : String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
