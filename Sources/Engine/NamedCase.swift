/// An enumeration whose cases have a name in the API, and are found by it.
package protocol NamedCase: CaseIterable {
    /// The name in the API.
    var name: String { get }
}

extension NamedCase {
    /// The case with this name, or nil.
    package init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }
}
