/// The contract's rule for an email address, shared by registration, the admin API and social sign-in.
package enum EmailAddress {
    /// One `@` with something before it, a dotted domain that neither starts nor ends with a dot, no
    /// whitespace, at most 254 characters.
    package static func isValid(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: \.isWhitespace)
    }
}
