import FoundationEssentials

/// The shape of a `client_id` that is the URL of a client ID metadata document (draft-ietf-oauth-client-id-
/// metadata-document, §3): `https`, a host, a path other than `/` without `.` or `..` segments, no fragment, no
/// user information, no query (which the draft advises against and which would let one client appear under
/// endless names). It is compared as a plain string, never normalized.
package enum ClientIDURL {
    /// At most this many bytes.
    static let maxLength = 2000

    /// Whether `text` looks like a URL at all (so that an error can say what is wrong with it rather than
    /// "unknown client").
    package static func looksLikeURL(_ text: String) -> Bool {
        text.utf8.count > 8 && text.prefix(8).lowercased() == "https://"
    }

    /// Why `text` cannot be a document client's id, or nil when it can.
    package static func problem(with text: String) -> String? {
        guard text.utf8.count <= maxLength else { return "is longer than \(maxLength) bytes" }
        guard !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true })
        else { return "contains blanks or control characters" }
        guard let parts = URLComponents(string: text), parts.scheme == "https" else {
            return "is not an https URL (in lower case)"
        }
        guard let host = parts.host, !host.isEmpty else { return "has no host" }
        guard parts.user == nil, parts.password == nil else { return "carries user information" }
        guard parts.fragment == nil, !text.contains("#") else { return "has a fragment" }
        guard parts.query == nil, !text.contains("?") else { return "has a query" }
        let path = parts.percentEncodedPath
        guard !path.isEmpty, path != "/" else { return "has no path" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.removingPercentEncoding ?? String($0)
        }
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return "has a . or .. segment" }
        return nil
    }
}
