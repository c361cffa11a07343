import Auth

/// Input rules of the contract, in one place: every route checks its fields here.
enum Validation {
    static func isEmail(_ text: String) -> Bool { EmailAddress.isValid(text.trimmingSpaces()) }

    /// `+` or `0`, then 8 to 14 digits.
    static func isPhoneNumber(_ text: String) -> Bool {
        guard let first = text.first, first == "+" || first == "0" else { return false }
        let digits = text.dropFirst()
        return (8...14).contains(digits.count) && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    /// A person's first name (required) or last name: at most 100 characters and 400 bytes.
    static func checkName(_ text: String, field: String, required: Bool) throws(APIError) {
        try checkText(text, field: field, required: required, maxCharacters: 100)
    }

    /// A text field: at most `maxCharacters` characters and their bytes (`TextRules.maxBytes`), not blank when
    /// `required`, and no character `TextRules.isAllowed` refuses.
    static func checkText(
        _ text: String, field: String, required: Bool, maxCharacters: Int,
        multiline: Bool = false
    ) throws(APIError) {
        if required && text.trimmingSpaces().isEmpty {
            throw APIError(.unprocessableEntity, "VAL_001", "\(field) is required", field: field)
        }
        guard text.utf8.count <= TextRules.maxBytes(forCharacters: maxCharacters), text.count <= maxCharacters else {
            throw APIError(
                .unprocessableEntity, "VAL_001", "\(field): at most \(maxCharacters) characters", field: field)
        }
        if let refused = text.unicodeScalars.first(where: { !TextRules.isAllowed($0, multiline: multiline) }) {
            let code = String(refused.value, radix: 16, uppercase: true)
            throw APIError(
                .unprocessableEntity, "VAL_001", "\(field) cannot hold the character U+\(code)", field: field)
        }
    }
}
