/// The password rule of the contract: at least 12 characters with a lower-case letter, an upper-case letter,
/// a digit and a symbol, and not a common password; at most 72 bytes (what bcrypt reads).
package enum PasswordPolicy {
    package static let minimumLength = 12
    /// bcrypt reads 72 bytes and ignores the rest; a longer password would be weaker than it looks.
    package static let maximumBytes = PasswordHasher.maximumPasswordBytes

    /// What the password lacks, in words; empty when it is acceptable.
    package static func violations(of password: String) -> [String] {
        var missing: [String] = []
        if password.count < minimumLength { missing.append("at least \(minimumLength) characters") }
        if password.utf8.count > maximumBytes { missing.append("at most \(maximumBytes) bytes in UTF-8") }
        // bcrypt is given a C string: it would read only what comes before a NUL.
        if password.utf8.contains(0) { missing.append("no NUL character") }
        if !password.contains(where: { $0.isLowercase }) { missing.append("a lower-case letter") }
        if !password.contains(where: { $0.isUppercase }) { missing.append("an upper-case letter") }
        if !password.contains(where: { $0.isNumber }) { missing.append("a digit") }
        if !password.contains(where: { !$0.isLetter && !$0.isNumber && !$0.isWhitespace }) {
            missing.append("a symbol")
        }
        if commonPasswords.contains(password.lowercased()) { missing.append("not a common password") }
        return missing
    }

    /// Common passwords that would pass the character rules.
    static let commonPasswords: Set<String> = [
        "password123!", "password1234!", "p@ssw0rd1234", "p@ssword1234", "qwerty123456!", "welcome12345!",
        "administrator1!", "letmein12345!", "iloveyou1234!", "changeme123!", "passw0rd!234", "admin@123456",
    ]
}
