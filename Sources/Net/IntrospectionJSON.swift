import Auth
import Foundation
import NIOCore

extension Introspection {
    /// The RFC 7662 answer, written as bytes into one array and handed to a buffer: no Foundation coder, no
    /// intermediate strings, one allocation for the bytes on the hot path.
    func json() -> ByteBuffer {
        guard active else { return ByteBuffer(staticString: #"{"active":false}"#) }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"{"active":true"#.utf8)
        func key(_ name: StaticString) {
            out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "\"")])
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONText.appendString(value, to: &out)
        }
        func uuid(_ name: StaticString, _ value: UUID?) {
            guard let value else { return }
            key(name)
            out.append(UInt8(ascii: "\""))
            JSONText.appendUUID(value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func number(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            key(name)
            JSONText.appendInteger(value, to: &out)
        }
        string("scope", scope)
        uuid("client_id", clientID)
        string("username", username)
        string("token_type", tokenType)
        number("exp", expiresAt)
        number("iat", issuedAt)
        number("nbf", notBefore)
        uuid("sub", subject)
        uuid("aud", audience)
        string("iss", issuer)
        uuid("jti", tokenID)
        uuid("sid", sessionID)
        out.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: out)
    }
}

/// JSON values appended as bytes.
enum JSONText {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A string literal: quotes, backslashes and control characters escaped.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The UUID's 36 characters, lower case.
    static func appendUUID(_ uuid: UUID, to out: inout [UInt8]) {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
                out.append(hexDigits[Int(bytes[index] >> 4)])
                out.append(hexDigits[Int(bytes[index] & 15)])
            }
        }
    }

    /// A decimal integer.
    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }
}
