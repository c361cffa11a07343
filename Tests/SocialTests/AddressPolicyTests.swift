import Social
import Testing

@Suite("Which addresses a stranger's URL may make Tessera fetch from: public unicast only")
struct AddressPolicyTests {
    static func address(_ text: String) -> ResolvedAddress { HostResolver.literal(text)! }

    @Test("loopback, private, shared, link-local, documentation, benchmarking, multicast and reserved IPv4 are refused")
    func ipv4() {
        for text in [
            "0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.1",
            "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.7", "203.0.113.9",
            "224.0.0.1", "240.0.0.1", "255.255.255.255",
        ] {
            #expect(!Self.address(text).isPublic, "\(text)")
        }
        for text in ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.15.0.1", "172.32.0.1", "192.0.3.1"] {
            #expect(Self.address(text).isPublic, "\(text)")
        }
    }

    @Test("IPv6: only global unicast, with the IPv4 an address embeds judged as IPv4")
    func ipv6() {
        for text in [
            "::", "::1", "[::1]", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1",
            "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001::1", "100::1",
        ] {
            #expect(!Self.address(text).isPublic, "\(text)")
        }
        for text in ["2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            #expect(Self.address(text).isPublic, "\(text)")
        }
    }

    @Test("an IP literal is read as itself, a name is not a literal, and addresses print as text")
    func literals() async {
        #expect(HostResolver.literal("tool.example") == nil)
        #expect(Self.address("192.0.2.1").text == "192.0.2.1")
        #expect(Self.address("[2001:db8::1]").text == "2001:db8::1")
        let local = await HostResolver.addresses(of: "localhost")
        #expect(!local.isEmpty && local.allSatisfy { !$0.isPublic }, "localhost resolves to loopback only")
    }
}
