/// What text a person typed (a name, a label, an email) may hold, shared by the HTTP API's checks, the
/// email rule and the names a social sign-in takes from its provider.
package enum TextRules {
    /// Whether a character may appear in such text: no control character (NUL among them; tab and line breaks
    /// only where `multiline`), no bidirectional embedding, override or isolate (U+202E and its kin, which make
    /// text display other than it reads), no line or paragraph separator, no byte-order mark.
    package static func isAllowed(_ scalar: Unicode.Scalar, multiline: Bool = false) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: multiline
        case 0x00...0x1F, 0x7F...0x9F: false
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: false
        case 0x2028, 0x2029, 0xFEFF: false
        default: true
        }
    }

    /// Four bytes of UTF-8 a character: the byte bound that goes with a bound in characters (a bound in
    /// characters alone lets one character of combining marks be megabytes).
    package static func maxBytes(forCharacters characters: Int) -> Int { 4 * characters }

    /// Whether `text` is not blank, holds at most `maxCharacters` characters (and their bytes) and no character
    /// `isAllowed` refuses: text that may be shown to a person as it is.
    package static func isCleanText(_ text: String, maxCharacters: Int) -> Bool {
        !text.allSatisfy(\.isWhitespace) && text.utf8.count <= maxBytes(forCharacters: maxCharacters)
            && text.count <= maxCharacters && text.unicodeScalars.allSatisfy { isAllowed($0) }
    }

    /// `text` without the characters `isAllowed` refuses, cut to at most `maxCharacters` characters and their
    /// bytes: for text from elsewhere (a provider's profile) that is kept rather than refused.
    package static func cleaned(_ text: String, maxCharacters: Int) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { isAllowed($0) })
        var result = String(String(scalars).prefix(maxCharacters))
        while result.utf8.count > maxBytes(forCharacters: maxCharacters) { result.removeLast() }
        return result
    }
}
