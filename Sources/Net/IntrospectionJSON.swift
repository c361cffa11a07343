import Auth
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
        func number(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            buffer.writeStaticString(",\"")
            buffer.writeStaticString(name)
            buffer.writeStaticString("\":")
            buffer.writeString(String(value))
        }
        string("scope", scope)
        string("client_id", clientID)
        string("username", username)
        string("token_type", tokenType)
        number("exp", expiresAt)
        number("iat", issuedAt)
        number("nbf", notBefore)
        string("sub", subject)
        string("aud", audience)
        string("iss", issuer)
        string("jti", tokenID)
        string("sid", sessionID)
        buffer.writeStaticString("}")
        return buffer
    }
}

extension ByteBuffer {
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
