import Bytes
import Foundation
import Testing

@Suite("JSONText writes JSON that a JSON parser reads back exactly")
struct JSONTextTests {
    static func roundTrip(_ value: String) throws -> String {
        var out: [UInt8] = []
        JSONText.appendString(value, to: &out)
        return try JSONDecoder().decode(String.self, from: Data(out))
    }

    @Test(
        "plain, quoted, backslashed, control characters, non-ASCII, short and long strings",
        arguments: [
            "", "ada@example.com", "a", #"Ada "the first""#, #"C:\path\"#, "tab\there\nline\u{1}\u{1f}",
            "Zoë 日本 🚀", String(repeating: "x", count: 300), String(repeating: "\"", count: 40),
        ])
    func strings(value: String) throws {
        #expect(try Self.roundTrip(value) == value)
    }

    @Test("escapes are the short ones for quote and backslash, \\u00XX for control characters")
    func escapes() {
        var out: [UInt8] = []
        JSONText.appendString("\"\\\u{1}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""\"\\\u0001""#)
    }

    @Test("UUIDs in lower case, integers of every sign and size")
    func uuidsAndIntegers() {
        var out: [UInt8] = []
        let uuid = UUID(uuidString: "6F1C2A8E-0D3B-4C55-9A77-1B2C3D4E5F60")!
        JSONText.appendUUID(uuid, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "6f1c2a8e-0d3b-4c55-9a77-1b2c3d4e5f60")
        for value: Int64 in [0, 7, -7, 1_800_000_000, .max, .min] {
            var digits: [UInt8] = []
            JSONText.appendInteger(value, to: &digits)
            #expect(String(decoding: digits, as: UTF8.self) == String(value))
        }
    }
}
