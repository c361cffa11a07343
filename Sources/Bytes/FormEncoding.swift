/// `application/x-www-form-urlencoded` components (and query strings): `+` is a space, `%XX` a byte.
package enum FormEncoding {
    /// RFC 3986 percent-encoding of everything but the unreserved characters (`A–Z a–z 0–9 - . _ ~`): safe in a
    /// query, a form body and HTTP Basic credentials (RFC 6749 §2.3.1).
    package static func percentEncoded(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5a, 0x61...0x7a, 0x30...0x39, 0x2d, 0x2e, 0x5f, 0x7e:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 15)]))
            }
        }
        return out
    }

    /// `a=1&b=2`, each name and value percent-encoded.
    package static func encoded(_ pairs: [(String, String)]) -> String {
        pairs.map { percentEncoded($0.0) + "=" + percentEncoded($0.1) }.joined(separator: "&")
    }

    /// The decoded text. `strict` refuses (nil) a `%` not followed by two hex digits and bytes that are not
    /// UTF-8; otherwise such a `%` is kept as it is and bad bytes are repaired. A component with neither `+` nor
    /// `%` is taken as it is, without a copy through a buffer.
    package static func decoded(_ text: UnsafeRawBufferPointer, strict: Bool) -> String? {
        guard text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return strict ? String(validating: text, as: UTF8.self) : String(decoding: text, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 1 < text.count, let high = hexDigitValue(text[index]),
                let low = hexDigitValue(text[index + 1])
            {
                bytes.append(high << 4 | low)
                index += 2
            } else if byte == UInt8(ascii: "%") && strict {
                return nil
            } else {
                bytes.append(byte)
            }
        }
        return strict ? String(validating: bytes, as: UTF8.self) : String(decoding: bytes, as: UTF8.self)
    }

    /// The same for a piece of a string.
    package static func decoded(_ text: Substring, strict: Bool) -> String? {
        var text = text
        return text.withUTF8 { decoded(UnsafeRawBufferPointer($0), strict: strict) }
    }
}

/// The value of one hexadecimal digit (either case), or nil.
package func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
}

extension StringProtocol {
    /// Whether the text starts with `prefix`, ASCII letters compared without regard to case (HTTP header values
    /// such as `Basic …`, `Bearer …`, `application/x-www-form-urlencoded; …`); no copy is made.
    package func hasPrefixIgnoringASCIICase(_ prefix: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        var actual = utf8.makeIterator()
        for byte in expected {
            guard let next = actual.next(), Self.lowercasedASCII(next) == Self.lowercasedASCII(byte) else {
                return false
            }
        }
        return true
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (0x41...0x5a).contains(byte) ? byte | 0x20 : byte
    }
}

extension StringProtocol {
    /// The text without one trailing `/`: an issuer or a base URL to which paths are appended.
    package var withoutTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : String(self) }
}
