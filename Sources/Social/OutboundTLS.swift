import NIOSSL

/// TLS for Tessera's outgoing HTTPS (social login providers, client ID metadata documents): the system's trust
/// roots, plus the operator's own CA certificates when given (`--outbound-ca-file`).
package enum OutboundTLS {
    static func configuration(extraTrustRootsFile: String?) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let extraTrustRootsFile { tls.additionalTrustRoots = [.file(extraTrustRootsFile)] }
        return tls
    }

    /// Whether `path` is a readable PEM file holding at least one certificate.
    package static func isCertificateFile(_ path: String) -> Bool {
        (try? NIOSSLCertificate.fromPEMFile(path))?.isEmpty == false
    }
}
