import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address a host name resolved to.
package struct ResolvedAddress: Sendable, Hashable {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    package let bytes: [UInt8]

    package var isIPv4: Bool { bytes.count == 4 }

    /// The address as text (`192.0.2.1`, `2001:db8::1`).
    package var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer {
                inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count))
            }
        }
        guard ok != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether this is a public unicast address (see `AddressPolicy`).
    package var isPublic: Bool { isIPv4 ? AddressPolicy.isPublic(ipv4: bytes) : AddressPolicy.isPublic(ipv6: bytes) }
}

/// Host names to addresses with the system's resolver (`getaddrinfo`, run on NIO's thread pool, since it blocks),
/// so that the caller can judge every address before connecting to one — and then connect to that address and no
/// other, leaving no second lookup for a hostile DNS server to answer differently.
package enum HostResolver {
    /// The address an IP literal (`192.0.2.1`, `2001:db8::1`, with or without brackets) is, or nil for a name.
    package static func literal(_ host: String) -> ResolvedAddress? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return ResolvedAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) }) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 { return ResolvedAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) }) }
        return nil
    }

    /// Every address of `host`, IPv4 first, without repeats; empty when it does not resolve.
    package static func addresses(of host: String) async -> [ResolvedAddress] {
        if let literal = literal(host) { return [literal] }
        let found = try? await NIOThreadPool.singleton.runIfActive { lookUp(host) }
        return found ?? []
    }

    private static func lookUp(_ host: String) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var found: [ResolvedAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            next = entry.pointee.ai_next
            guard let address = entry.pointee.ai_addr else { continue }
            switch entry.pointee.ai_family {
            case AF_INET:
                var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                found.append(ResolvedAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) }))
            case AF_INET6:
                var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                found.append(ResolvedAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) }))
            default: continue
            }
        }
        var seen = Set<ResolvedAddress>()
        let unique = found.filter { seen.insert($0).inserted }
        return unique.filter(\.isIPv4) + unique.filter { !$0.isIPv4 }
    }
}
