import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("tessera serve with social login configured by its environment")
struct SocialServeTests {
    @Test("the providers of the environment sign users in; after a SIGKILL the replayed log still knows the identity")
    func configuredAndDurable() async throws {
        let oidc = try await LocalOpenIDProvider.start()
        let github = try await LocalGitHubProvider.start()
        let directory = NSTemporaryDirectory() + "/tessera-social-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = oidc.environment(name: "acme").merging(github.environment) { $1 }

        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + ".log", environment: environment)
        let listed = try await HTTPHarness.send(port: server.port, "GET", "/api/v1/oauth/providers")
        let names = (listed.json["providers"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["acme", "github"])
        let flow = SocialFlow(port: server.port)
        let first = try await flow.signIn("acme")
        #expect(first.status == 200 && first.json["is_new_user"] as? Bool == true, "\(first.json)")
        let linked = try await flow.signIn("github", token: try #require(first.json["access_token"] as? String))
        #expect(linked.status == 200, "\(linked.json)")
        // A flow started before the crash finishes after it.
        let browser = SocialFlow.Browser()
        let started = try await flow.authorize("acme", browser: browser)
        server.kill9()

        let restarted = try ServerProcess(
            data: directory + "/data", outputPath: directory + ".log2", environment: environment)
        let after = SocialFlow(port: restarted.port)
        let (code, state) = try await after.visitProvider(try #require(started.json["authorization_url"] as? String))
        let finished = try await after.finish("acme", code: code, state: state, browser: browser)
        #expect(finished.status == 200 && finished.json["is_new_user"] as? Bool == false, "\(finished.json)")
        #expect(SocialLoginFixture.userID(finished) == SocialLoginFixture.userID(first))
        let viaGitHub = try await after.signIn("github")
        #expect(SocialLoginFixture.userID(viaGitHub) == SocialLoginFixture.userID(first))
        #expect(restarted.terminate() == 0)
        await oidc.stop()
        await github.stop()
        try? FileManager.default.removeItem(atPath: directory + ".log")
        try? FileManager.default.removeItem(atPath: directory + ".log2")
    }

    @Test("a provider missing a variable stops the start with the variable's name")
    func misconfigured() async throws {
        let directory = NSTemporaryDirectory() + "/tessera-social-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: CrashTestError.self) {
            try ServerProcess(
                data: directory + "/data", outputPath: directory + ".log",
                environment: ["TESSERA_OIDC_PROVIDERS": "acme", "TESSERA_OIDC_ACME_ISSUER": "https://id.acme.example"])
        }
        let output = (try? String(contentsOfFile: directory + ".log", encoding: .utf8)) ?? ""
        #expect(output.contains("TESSERA_OIDC_ACME_CLIENT_ID"), "\(output)")
        try? FileManager.default.removeItem(atPath: directory + ".log")
    }
}
