/// Which resources (RFC 8707 resource indicators) tokens may be issued for: the `resource` parameter of the
/// authorization and token requests, bound into the code and the grant, and the access token's `aud`.
package struct ResourcePolicy: Sendable {
    /// Exactly these resource URIs; nil: any `https` URI, or `http` to this machine (`--resources`).
    package let allowed: Set<String>?
    /// A request names at most this many.
    package static let maxResources = 8

    package init(allowed: [String]? = nil) {
        self.allowed = allowed.map(Set.init)
    }

    /// The resources a request's `resource` parameter names (repeated values arrive joined by spaces), each an
    /// absolute URI without a fragment that the policy allows; `invalid_target` otherwise (RFC 8707 §2).
    package func resources(_ parameter: String?) throws(OAuthError) -> [String] {
        guard let parameter else { return [] }
        let resources = Scope.normalized(parameter.split(separator: " ").map(String.init))
        guard !resources.isEmpty, resources.count <= Self.maxResources else {
            throw OAuthError("invalid_target", "resource: 1 to \(Self.maxResources) absolute URIs")
        }
        for resource in resources {
            if let allowed {
                guard allowed.contains(resource) else {
                    throw OAuthError("invalid_target", "\(resource.prefix(200)) is not a resource of this server")
                }
            } else if RedirectURI.kind(of: resource) == nil {
                throw OAuthError(
                    "invalid_target",
                    "\(resource.prefix(200)) is not an https URI (or http to this machine) without a fragment")
            }
        }
        return resources
    }

    /// `requested` when it names some — each one `granted` holds — or else all of `granted`: a token may be
    /// for fewer resources than its grant, never for others.
    static func narrowed(_ requested: [String], granted: [String]) throws(OAuthError) -> [String] {
        guard !requested.isEmpty else { return granted }
        guard requested.allSatisfy(granted.contains) else {
            throw OAuthError("invalid_target", "a token may only be for resources its authorization named")
        }
        return requested
    }
}
