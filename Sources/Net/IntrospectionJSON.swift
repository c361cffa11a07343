import Auth
import Foundation
import NIOCore

extension Introspection {
    /// The RFC 7662 answer, written straight into a buffer: no Foundation coder on the hot path.
    func json() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(active ? 512 : 16)
        guard active else {
            buffer.writeStaticString(#"{"active":false}"#)
            return buffer
        }
        buffer.writeStaticString(#"{"active":true"#)
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            buffer.writeStaticString(",\"")
            buffer.writeStaticString(name)
            buffer.writeStaticString("\":")
            buffer.writeJSONString(value)
        }
        func uuid(_ name: StaticString, _ value: UUID?) {
            guard let value else { return }
            buffer.writeStaticString(",\"")
            buffer.writeStaticString(name)
            buffer.writeStaticString("\":\"")
            buffer.writeLowercasedUUID(value)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        func number(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            buffer.writeStaticString(",\"")
            buffer.writeStaticString(name)
            buffer.writeStaticString("\":")
            buffer.writeString(String(value))
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
        buffer.writeStaticString("}")
        return buffer
    }
}

extension ByteBuffer {
    /// The UUID's 36 characters in lower case, written in place.
    mutating func writeLowercasedUUID(_ uuid: UUID) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid.uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { writeInteger(UInt8(ascii: "-")) }
                writeInteger(digits.utf8Start[Int(byte >> 4)])
                writeInteger(digits.utf8Start[Int(byte & 15)])
            }
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    mutating func writeJSONString(_ value: String) {
        writeInteger(UInt8(ascii: "\""))
        let utf8 = value.utf8
        let clean = utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if clean {
            writeString(value)
        } else {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): writeStaticString("\\\"")
                case UInt8(ascii: "\\"): writeStaticString("\\\\")
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    writeStaticString("\\u00")
                    writeInteger(hex[Int(byte >> 4)])
                    writeInteger(hex[Int(byte & 15)])
                default: writeInteger(byte)
                }
            }
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
