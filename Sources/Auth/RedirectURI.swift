import FoundationEssentials

/// The rules for the redirect URIs of clients that register themselves, and how a redirect URI given at
/// authorization matches a registered one.
package enum RedirectURI {
    /// What a redirect URI is, by its scheme and host.
    package enum Kind: Sendable, Equatable {
        /// `https` to a host that is not this machine.
        case https
        /// `http` (or `https`) to the loopback interface: `localhost`, `127.0.0.1`, `[::1]` (RFC 8252 §7.3).
        case loopback
    }

    /// The kind of an absolute redirect URI Tessera accepts for a client registering itself — `https`, or
    /// `http` to the loopback interface; no fragment, no user information, at most 2,000 bytes — or nil.
    package static func kind(of text: String) -> Kind? {
        guard text.utf8.count <= 2000, !text.contains("#"), !text.contains(where: { $0.isWhitespace }),
            let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil,
            components.password == nil
        else { return nil }
        let loopback = isLoopbackHost(host)
        switch scheme {
        case "https": return loopback ? .loopback : .https
        case "http": return loopback ? .loopback : nil
        default: return nil
        }
    }

    /// Whether `host` names this machine's loopback interface: `localhost`, `127.0.0.1` or `::1` (bracketed or
    /// not). The one list every "https, or http to this machine" rule reads.
    package static func isLoopbackHost(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
    }

    /// Whether `given` is `registered`: exactly, or — for a loopback `http` URI — with any port, since a native
    /// app listens on whatever port the system gives it at the time (RFC 8252 §7.3).
    package static func matches(registered: String, given: String) -> Bool {
        if registered == given { return true }
        guard kind(of: registered) == .loopback, kind(of: given) == .loopback,
            var registeredParts = URLComponents(string: registered), var givenParts = URLComponents(string: given)
        else { return false }
        registeredParts.port = nil
        givenParts.port = nil
        return registeredParts.scheme?.lowercased() == "http" && registeredParts == givenParts
    }
}
