/// Which addresses Tessera fetches from on a stranger's say-so (a client ID metadata document's URL is chosen by
/// whoever sends the authorization request): only public unicast addresses, so that the URL cannot make Tessera
/// reach its own machine, its private network or a cloud metadata service (SSRF).
package enum AddressPolicy {
    /// Whether the IPv4 address (4 bytes, network order) is public unicast: not "this network" (0/8), private
    /// (10/8, 172.16/12, 192.168/16), shared (100.64/10), loopback (127/8), link-local (169.254/16, where cloud
    /// metadata services live), IETF protocol assignments (192.0.0/24), documentation (192.0.2/24,
    /// 198.51.100/24, 203.0.113/24), benchmarking (198.18/15), multicast (224/4), reserved (240/4), broadcast.
    package static func isPublic(ipv4 bytes: [UInt8]) -> Bool {
        guard bytes.count == 4 else { return false }
        let (a, b, c) = (bytes[0], bytes[1], bytes[2])
        switch a {
        case 0, 10, 127: return false
        case 100 where (64...127).contains(b): return false
        case 169 where b == 254: return false
        case 172 where (16...31).contains(b): return false
        case 192 where b == 168: return false
        case 192 where b == 0 && (c == 0 || c == 2): return false
        case 198 where b == 18 || b == 19: return false
        case 198 where b == 51 && c == 100: return false
        case 203 where b == 0 && c == 113: return false
        case 224...255: return false
        default: return true
        }
    }

    /// Whether the IPv6 address (16 bytes) is public unicast: global unicast (2000::/3) outside documentation
    /// (2001:db8::/32), ORCHID and benchmarking ranges, with an IPv4-embedding prefix (NAT64 64:ff9b::/96, 6to4
    /// 2002::/16) judged by the IPv4 address it carries; IPv4-mapped addresses (::ffff:0:0/96) by theirs. The
    /// unspecified and loopback addresses, unique-local (fc00::/7), link-local (fe80::/10) and multicast are not.
    package static func isPublic(ipv6 bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return false }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return isPublic(ipv4: Array(bytes[12..<16]))
        }
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b
            && bytes[4..<12].allSatisfy({ $0 == 0 })
        {
            return isPublic(ipv4: Array(bytes[12..<16]))
        }
        guard bytes[0] & 0xe0 == 0x20 else { return false }
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return isPublic(ipv4: Array(bytes[2..<6])) }
        if bytes[0] == 0x20 && bytes[1] == 0x01 {
            if bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }
            // 2001::/23 holds the IETF's special-purpose blocks (Teredo, benchmarking, ORCHID): none is a server.
            if bytes[2] < 0x02 { return false }
        }
        return true
    }
}
