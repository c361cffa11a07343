/// The contract's rule for an email address, shared by registration, the admin API and social sign-in.
package enum EmailAddress {
    /// One `@` with something before it, a dotted domain that neither starts nor ends with a dot, no
    /// whitespace, no control character (NUL among them) and no bidirectional control, at most 254 bytes.
    package static func isValid(_ email: String) -> Bool {
        guard email.utf8.count <= 254, email.unicodeScalars.allSatisfy({ TextRules.isAllowed($0) }) else {
            return false
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: \.isWhitespace)
    }
}
