import Auth
import Foundation
import Social
import Testing

@Suite("Client ID metadata documents fetched for real: over HTTPS, never from where a stranger should not reach")
struct ClientDocumentFetchTests {
    @Test(
        "a real tessera serve fetches documents from HTTPS servers: a good one signs a client in, a redirect, an oversized, an HTML, a silent and an untrusted one are refused saying why"
    )
    func overHTTPS() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-documents-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = directory + "/certificates"
        let made = try ChildProcess.python("tls_documents.py", ["certificates", certificates])
        #expect(made.status == 0, "\(made.output)")
        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + "/serve.log", superuser: true,
            arguments: [
                "--outbound-private-addresses", "--outbound-ca-file", certificates + "/ca.pem",
            ])
        defer { server.kill9() }
        let (status, text) = try ChildProcess.python(
            "client_documents.py",
            ["http://127.0.0.1:\(server.port)", "root@example.com", "Correct-Horse-42", certificates])
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }

    @Test(
        "by default a document on a loopback, private, link-local or reserved address is never fetched, whatever name leads there"
    )
    func neverPrivateAddresses() async throws {
        let fixture = try await ProviderFixture.make(documents: GuardedHTTPClient())
        defer { Task { await fixture.harness.close() } }
        for url in [
            "https://localhost:9/client.json", "https://127.0.0.1:9/client.json", "https://[::1]:9/client.json",
            "https://10.0.0.1/client.json", "https://169.254.169.254/latest/client.json",
            "https://[::ffff:127.0.0.1]/client.json", "https://[fe80::1]/client.json",
        ] {
            let answer = try await fixture.harness.send(
                "GET", fixture.authorizePath(client: url, challenge: ProviderFixture.challenge("v")),
                token: fixture.user.token)
            #expect(answer.status == 400, "\(url)")
            #expect(
                answer.errorMessage?.contains("loopback, private or reserved address") == true,
                "\(url): \(answer.errorMessage ?? "")")
        }
    }

    @Test("--outbound-ca-file must name a PEM file of certificates; --client-id-metadata-documents is on or off")
    func options() throws {
        for arguments in [
            ["--outbound-ca-file", "/nonexistent.pem"], ["--client-id-metadata-documents", "maybe"],
        ] {
            let (status, output) = try ChildProcess.run(
                ChildProcess.tessera, ["serve", "--data", "/nonexistent/never"] + arguments)
            #expect(status != 0)
            #expect(output.contains(arguments[0]), "\(output)")
        }
    }
}
