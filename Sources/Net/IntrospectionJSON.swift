import Auth
import Bytes
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
        if let clientDocumentURL { string("client_id", clientDocumentURL) } else { uuid("client_id", clientID) }
        string("username", username)
        string("token_type", tokenType)
        number("exp", expiresAt)
        number("iat", issuedAt)
        number("nbf", notBefore)
        uuid("sub", subject)
        if let audience {
            if audience.count == 1 {
                string("aud", audience[0])
            } else {
                key("aud")
                out.append(UInt8(ascii: "["))
                for (position, resource) in audience.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    JSONText.appendString(resource, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        string("iss", issuer)
        uuid("jti", tokenID)
        uuid("sid", sessionID)
        out.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: out)
    }
}
