import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder for one test, removed when the test ends.
struct TemporaryFolder {
    let path: String

    init(_ prefix: String) {
        var template = Array("\(NSTemporaryDirectory())/tessera-\(prefix)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func text(_ name: String) -> String { (try? String(contentsOfFile: path + "/" + name, encoding: .utf8)) ?? "" }
}

/// `tessera serve` as an operator runs it: what a start does with the data directory it is given.
@Suite("Operating tessera serve: first start, restarts and what they say")
struct ServeOperationsTests {
    @Test("the first superuser is made on the first start only: deleted, it does not come back at the next start")
    func firstSuperuserOnce() async throws {
        let folder = TemporaryFolder("bootstrap")
        defer { folder.remove() }
        let first = try ServerProcess(data: folder.path + "/data", outputPath: folder.path + "/first.log", superuser: true)
        let client = Client(port: first.port)
        let root = try #require(await client.login("root@example.com"))
        let (created, body) = await client.post("/api/v1/admin/users", #"{"email":"second@example.com","password":"Correct-Horse-42","first_name":"S","is_superuser":true}"#,
                                                token: root)
        #expect(created == 201, "\(body)")
        let second = try #require(await client.login("second@example.com"))
        let (_, me) = await client.send("GET", "/api/v1/users/me", token: root)
        let rootID = try #require((me as? [String: Any])?["id"] as? String)
        #expect(await client.send("DELETE", "/api/v1/admin/users/\(rootID)", token: second).0 == 200)
        #expect(first.terminate() == 0)

        let restarted = try ServerProcess(data: folder.path + "/data", outputPath: folder.path + "/second.log", superuser: true)
        #expect(await Client(port: restarted.port).login("root@example.com") == nil, "the deleted first superuser came back")
        #expect(folder.text("second.log").contains("TESSERA_FIRST_SUPERUSER_* ignored"))
        restarted.kill9()
    }
}
