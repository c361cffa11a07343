import Foundation
import Testing

/// `tessera client create|list|delete`, as an operator runs it: offline on a stopped service's data directory,
/// and through a running service as a superuser.
@Suite("tessera client: OAuth clients from the command line")
struct ClientCommandTests {
    static func tessera(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String) {
        try ChildProcess.run(ChildProcess.tessera, arguments, environment: extra)
    }

    @Test(
        "offline: create prints the id and the secret once, list shows it, delete removes it; a running service's directory is refused"
    )
    func offline() async throws {
        let folder = TemporaryFolder("client-cli")
        defer { folder.remove() }
        let data = folder.path + "/data"
        let (created, text) = try Self.tessera([
            "client", "create", "--data", data, "--name", "Reports", "--redirect-uri", "https://reports.example/cb",
            "--scopes", "openid email",
        ])
        #expect(created == 0, "\(text)")
        let id = try #require(text.split(separator: "\n").first { $0.hasPrefix("client_id ") }?.dropFirst(10))
        #expect(text.contains("client_secret "))
        let (listed, list) = try Self.tessera(["client", "list", "--data", data])
        #expect(listed == 0 && list.contains(String(id)) && list.contains("Reports"), "\(list)")
        let (refused, why) = try Self.tessera([
            "client", "create", "--data", data, "--name", "x", "--redirect-uri", "ftp://x", "--type", "public",
        ])
        #expect(refused != 0 && why.contains("--redirect-uri"), "\(why)")

        let server = try ServerProcess(data: data, outputPath: folder.path + "/serve.log")
        let (busy, busyText) = try Self.tessera(["client", "list", "--data", data])
        #expect(busy != 0 && busyText.contains("--url"), "\(busyText)")
        server.kill9()

        let (deleted, _) = try Self.tessera(["client", "delete", "--data", data, String(id)])
        #expect(deleted == 0)
        #expect(try !Self.tessera(["client", "list", "--data", data]).1.contains(String(id)))
    }

    @Test("online: a superuser's credentials register, list and delete through the running service")
    func online() async throws {
        let folder = TemporaryFolder("client-cli")
        defer { folder.remove() }
        let server = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log", superuser: true)
        defer { server.kill9() }
        let target = ["--url", "http://127.0.0.1:\(server.port)", "--email", "root@example.com"]
        let password = ["TESSERA_PASSWORD": "Correct-Horse-42"]
        let (created, text) = try Self.tessera(
            ["client", "create"] + target + [
                "--name", "CLI", "--redirect-uri", "http://localhost:8080/cb", "--type", "public",
            ],
            environment: password)
        #expect(created == 0, "\(text)")
        let id = try #require(text.split(separator: "\n").first { $0.hasPrefix("client_id ") }?.dropFirst(10))
        #expect(!text.contains("client_secret"), "a public client has no secret")
        let (_, list) = try Self.tessera(["client", "list"] + target, environment: password)
        #expect(list.contains(String(id)) && list.contains("registered by superuser"), "\(list)")
        #expect(try Self.tessera(["client", "delete"] + target + [String(id)], environment: password).0 == 0)
        #expect(try !Self.tessera(["client", "list"] + target, environment: password).1.contains(String(id)))
        let (wrong, why) = try Self.tessera(["client", "list"] + target, environment: ["TESSERA_PASSWORD": "nope"])
        #expect(wrong != 0 && why.contains("401"), "\(why)")
    }
}
