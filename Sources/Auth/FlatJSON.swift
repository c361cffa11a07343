import Bytes

/// The JSON of token headers and claims: one flat object of strings, integers, booleans and arrays of strings (an
/// `aud` naming several resources, RFC 8707). Written by hand
/// and read by a strict parser of exactly that shape, so that verifying a token needs no Foundation JSON
/// (it runs on every authenticated request) and anything else is refused.
enum FlatJSON {
    enum Value: Equatable, Sendable {
        case string(String)
        case integer(Int64)
        case bool(Bool)
        case strings([String])
        /// An object whose members are empty objects: `{"a":{}}` (a logout token's `events`). Written, never read.
        case emptyMembers([String])
    }

    /// `{"key":value,…}` in the order given.
    static func encode(_ fields: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let string): JSONText.appendString(string, to: &out)
            case .integer(let number): JSONText.appendInteger(number, to: &out)
            case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
            case .strings(let strings):
                out.append(UInt8(ascii: "["))
                for (position, string) in strings.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    JSONText.appendString(string, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .emptyMembers(let names):
                out.append(UInt8(ascii: "{"))
                for (position, name) in names.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    JSONText.appendString(name, to: &out)
                    out.append(contentsOf: ":{}".utf8)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses a flat object; nil for anything else (objects or other arrays inside, floats, null, duplicate keys,
    /// trailing bytes).
    static func decode(_ bytes: [UInt8]) -> [String: Value]? {
        var parser = Parser(bytes: bytes)
        return parser.object()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 9, 10, 13, 32: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var result: [String: Value] = [:]
            if expect(UInt8(ascii: "}")) { return atEnd() ? result : nil }
            repeat {
                skipSpace()
                guard let key = string(), expect(UInt8(ascii: ":")), let value = value(), result[key] == nil else {
                    return nil
                }
                result[key] = value
            } while expect(UInt8(ascii: ","))
            guard expect(UInt8(ascii: "}")), atEnd() else { return nil }
            return result
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return index == bytes.count
        }

        mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "["): return strings().map(Value.strings)
            default: return integer().map(Value.integer)
            }
        }

        /// `["a","b"]`: strings only, at most 64 of them.
        mutating func strings() -> [String]? {
            guard expect(UInt8(ascii: "[")) else { return nil }
            var result: [String] = []
            if expect(UInt8(ascii: "]")) { return result }
            repeat {
                skipSpace()
                guard result.count < 64, let element = string() else { return nil }
                result.append(element)
            } while expect(UInt8(ascii: ","))
            return expect(UInt8(ascii: "]")) ? result : nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let utf8 = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - index >= utf8.count, bytes[index..<index + utf8.count].elementsEqual(utf8) else {
                return false
            }
            index += utf8.count
            return true
        }

        mutating func integer() -> Int64? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
            guard index > digitsStart, index - digitsStart <= 18 else { return nil }
            if index < bytes.count,
                bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e")
                    || bytes[index] == UInt8(ascii: "E")
            {
                return nil
            }
            // At most 18 digits: no overflow.
            var value: Int64 = 0
            for digit in bytes[digitsStart..<index] { value = value * 10 + Int64(digit - 48) }
            return start == digitsStart ? value : -value
        }

        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            // Without escapes (every string Tessera writes but a quoted name), the bytes become the string at once.
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
                bytes[end] >= 0x20
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                defer { index = end + 1 }
                return String(validating: bytes[index..<end], as: UTF8.self)
            }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "u"):
                        guard bytes.count - index >= 4,
                            let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                            let scalar = Unicode.Scalar(code)
                        else { return nil }
                        index += 4
                        out.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    out.append(byte)
                }
            }
            return nil
        }
    }
}
