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
        let first = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/first.log", superuser: true)
        let client = Client(port: first.port)
        let root = try #require(await client.login("root@example.com"))
        let (created, body) = await client.post(
            "/api/v1/admin/users",
            #"{"email":"second@example.com","password":"Correct-Horse-42","first_name":"S","is_superuser":true}"#,
            token: root)
        #expect(created == 201, "\(body)")
        let second = try #require(await client.login("second@example.com"))
        let (_, me) = await client.send("GET", "/api/v1/users/me", token: root)
        let rootID = try #require((me as? [String: Any])?["id"] as? String)
        #expect(await client.send("DELETE", "/api/v1/admin/users/\(rootID)", token: second).0 == 200)
        #expect(first.terminate() == 0)

        let restarted = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/second.log", superuser: true)
        #expect(
            await Client(port: restarted.port).login("root@example.com") == nil, "the deleted first superuser came back"
        )
        #expect(folder.text("second.log").contains("TESSERA_FIRST_SUPERUSER_* ignored"))
        restarted.kill9()
    }

    @Test("serve raises the soft open-files limit to the hard one and caps connections below it")
    func raisesOpenFilesLimit() async throws {
        let folder = TemporaryFolder("nofile")
        defer { folder.remove() }
        let server = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log",
            openFiles: (soft: 512, hard: 4096))
        let log = folder.text("serve.log")
        #expect(log.contains("open files 512 → 4096"), "\(log)")
        #expect(log.contains("at most 3840 connections"))
        server.kill9()
    }

    @Test(
        "out of descriptors (EMFILE), serve backs off instead of spinning on accept, and serves again once some close")
    func acceptBacksOffWhenOutOfDescriptors() async throws {
        let folder = TemporaryFolder("emfile")
        defer { folder.remove() }
        // 64 descriptors and a cap above that: connections past the limit wait in the backlog, and accept fails.
        let server = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log",
            arguments: ["--max-connections", "1000"], openFiles: (soft: 64, hard: 64))
        // One change first, so that the log has its segment open before descriptors run out (the log itself
        // needs descriptors to open files: that is why the default cap keeps some free).
        let (registered, _) = await Client(port: server.port).post(
            "/api/v1/auth/register", #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#)
        #expect(registered == 201)
        var held: [RawConnection] = []
        for _ in 0..<100 { held.append(try RawConnection(port: server.port)) }
        // Give accept time to hit EMFILE, then measure the server's CPU over a stretch of wall time.
        try await Task.sleep(for: .milliseconds(500))
        try #require(server.process.isRunning, "the server stopped: \(folder.text("serve.log"))")
        let before = try Self.cpuSeconds(of: server.process.processIdentifier)
        let started = Date()
        try await Task.sleep(for: .seconds(2))
        try #require(
            server.process.isRunning,
            "the server stopped: \(server.process.terminationReason == .uncaughtSignal ? "signal" : "exit") \(server.process.terminationStatus) \(folder.text("serve.log"))"
        )
        let used = try Self.cpuSeconds(of: server.process.processIdentifier) - before
        let elapsed = Date().timeIntervalSince(started)
        #expect(used < elapsed * 0.25, "the server used \(used) s of CPU in \(elapsed) s while out of descriptors")
        held.removeAll()
        #expect(await eventually { await Client(port: server.port).send("GET", "/health").0 == 200 })
        server.kill9()
    }

    /// User and system CPU time a process has used, from /proc.
    static func cpuSeconds(of pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test(
        "the data directory and everything in it are its owner's alone (0700, 0600); a looser existing one is named at start"
    )
    func dataDirectoryIsPrivate() async throws {
        let folder = TemporaryFolder("modes")
        defer { folder.remove() }
        let data = folder.path + "/data"
        let server = try ServerProcess(
            data: data, outputPath: folder.path + "/serve.log", arguments: ["--signing", "eddsa"])
        let client = Client(port: server.port)
        #expect(
            await client.post(
                "/api/v1/auth/register", #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#
            ).0 == 201)
        _ = await client.post("/api/v1/auth/password-reset/request", #"{"email":"ada@example.com"}"#)
        #expect(server.terminate() == 0, "a graceful stop writes a snapshot too")
        #expect(!folder.text("serve.log").contains("others may read"))
        var checked = 0
        for path in [data] + (FileManager.default.subpaths(atPath: data) ?? []).map({ data + "/" + $0 }) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int) ?? 0o777
            #expect(mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(checked >= 8, "the log, a snapshot, the keys, the lock and the outbox were all looked at")

        chmod(data, 0o755)
        let loose = try ServerProcess(data: data, outputPath: folder.path + "/loose.log")
        #expect(folder.text("loose.log").contains("has mode 755: others may read its log and snapshots"))
        loose.kill9()
    }

    @Test("--recover truncate names what it gave up: how many records after the damage, and their LSNs")
    func truncationSaysWhatItDropped() async throws {
        let folder = TemporaryFolder("truncate")
        defer { folder.remove() }
        let data = folder.path + "/data"
        let server = try ServerProcess(data: data, outputPath: folder.path + "/first.log")
        let client = Client(port: server.port)
        for index in 0..<10 {
            #expect(
                await client.post(
                    "/api/v1/auth/register",
                    #"{"email":"u\#(index)@example.com","password":"Correct-Horse-42","first_name":"U"}"#
                ).0 == 201)
        }
        server.kill9()
        // Damage the fourth record: walk the frames (length first, 8-byte aligned) after the 4 KiB header.
        let segment =
            data + "/wal/"
            + (try #require(
                try FileManager.default.contentsOfDirectory(atPath: data + "/wal")
                    .filter { $0.hasPrefix("wal-") && $0.hasSuffix(".log") }.sorted().first))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        var offset = 4096
        for _ in 0..<3 {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16
            offset += (length + 7) & ~7
        }
        bytes[offset + 20] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: segment))

        let strict = try? ServerProcess(data: data, outputPath: folder.path + "/strict.log")
        #expect(strict == nil, "a damaged log started without --recover truncate")
        let truncated = try ServerProcess(
            data: data, outputPath: folder.path + "/truncated.log", arguments: ["--recover", "truncate"])
        let log = folder.text("truncated.log")
        #expect(log.contains("--recover=truncate cut the log at LSN 4"), "\(log)")
        #expect(log.contains("6 records after it dropped (LSNs 5…10)"), "\(log)")
        #expect(await Client(port: truncated.port).login("u2@example.com") != nil)
        #expect(await Client(port: truncated.port).login("u4@example.com") == nil)
        truncated.kill9()
    }

    @Test("key files gone from a data directory with state: the start is refused naming them, unless --new-keys")
    func missingKeysRefused() async throws {
        let folder = TemporaryFolder("keys")
        defer { folder.remove() }
        let data = folder.path + "/data"
        let first = try ServerProcess(data: data, outputPath: folder.path + "/first.log")
        #expect(
            await Client(port: first.port).post(
                "/api/v1/auth/register", #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#
            ).0 == 201)
        first.kill9()
        for name in ["access-hs256.key", "refresh-rotation.key"] {
            try FileManager.default.removeItem(atPath: data + "/keys/" + name)
        }

        let refused = try? ServerProcess(data: data, outputPath: folder.path + "/refused.log")
        #expect(refused == nil, "new keys were made silently")
        let log = folder.text("refused.log")
        #expect(
            log.contains("access-hs256.key") && log.contains("refresh-rotation.key") && log.contains("--new-keys"),
            "\(log)")
        #expect(!log.contains("USAGE"), "an operating error is not a usage error")

        let renewed = try ServerProcess(data: data, outputPath: folder.path + "/renewed.log", arguments: ["--new-keys"])
        #expect(await Client(port: renewed.port).login("ada@example.com") != nil)
        renewed.kill9()
    }

    @Test(
        "the log folder gone from a data directory that served: the start is refused naming it, unless --accept-lost-state"
    )
    func missingLogRefused() async throws {
        let folder = TemporaryFolder("lost")
        defer { folder.remove() }
        let data = folder.path + "/data"
        let first = try ServerProcess(data: data, outputPath: folder.path + "/first.log")
        #expect(folder.text("first.log").contains("IDENTITY written"))
        #expect(
            await Client(port: first.port).post(
                "/api/v1/auth/register", #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#
            ).0 == 201)
        first.kill9()
        try FileManager.default.removeItem(atPath: data + "/wal")

        let refused = try? ServerProcess(data: data, outputPath: folder.path + "/refused.log")
        #expect(refused == nil, "the server started empty over a lost log")
        refused?.kill9()
        let log = folder.text("refused.log")
        #expect(log.contains(data + "/wal") && log.contains("--accept-lost-state"), "\(log)")
        #expect(!log.contains("USAGE"), "an operating error is not a usage error")
        #expect(!FileManager.default.fileExists(atPath: data + "/wal"), "the refused start changed the directory")

        let accepted = try ServerProcess(
            data: data, outputPath: folder.path + "/accepted.log", arguments: ["--accept-lost-state"])
        #expect(folder.text("accepted.log").contains("started without the log folder"))
        #expect(
            await Client(port: accepted.port).login("ada@example.com") == nil, "the user lived only in the lost log")
        accepted.kill9()
    }

    @Test("--segment-size-bytes below 256 KiB or not a multiple of 4096 is refused as a usage error")
    func segmentSizeValidated() async throws {
        let folder = TemporaryFolder("segment")
        defer { folder.remove() }
        for size in ["65536", "300000"] {
            let refused = try? ServerProcess(
                data: folder.path + "/data", outputPath: folder.path + "/\(size).log",
                arguments: ["--segment-size-bytes", size])
            #expect(refused == nil)
            refused?.kill9()
            #expect(folder.text("\(size).log").contains("--segment-size-bytes"))
        }
    }

    @Test(
        "the registration and resource options refuse a value outside their range, naming the option",
        arguments: [
            ("--client-registration", "sometimes"), ("--max-anonymous-clients", "-1"), ("--unused-client-hours", "0"),
            ("--resources", "ftp://mcp.example/"), ("--resources", "https://mcp.example/#x"),
        ])
    func registrationOptionsValidated(option: String, value: String) async throws {
        let folder = TemporaryFolder("options")
        defer { folder.remove() }
        let refused = try? ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log", arguments: [option, value])
        #expect(refused == nil, "\(option) \(value) was accepted")
        refused?.kill9()
        #expect(folder.text("serve.log").contains(option), "\(folder.text("serve.log"))")
    }

    @Test("a disk too small for the first log segment: the start fails naming ENOSPC and the size it needed")
    func diskTooSmallAtFirstStart() async throws {
        let folder = TemporaryFolder("tiny")
        defer { folder.remove() }
        let mountPoint = folder.path + "/disk"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        // An 8 MiB file system: root may mount one here; where it may not, there is no small disk to try.
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint]) == 0 else { return }
        defer { _ = Self.run("/bin/umount", [mountPoint]) }
        let server = try? ServerProcess(
            data: mountPoint + "/data", outputPath: folder.path + "/serve.log", superuser: true)
        #expect(server == nil, "the server started on a disk with no room for its log")
        server?.kill9()
        let log = folder.text("serve.log")
        #expect(log.contains("ENOSPC"), "\(log)")
        #expect(log.contains("64 MiB log segment"), "\(log)")
        #expect(!log.contains("USAGE"))
    }

    /// Runs a program to its end; its exit status.
    static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(
        "the original backend's defaults: its OAuth scopes (and OpenID Connect's offline_access), and a refresh grace window set by --refresh-grace-seconds"
    )
    func originalDefaults() async throws {
        let folder = TemporaryFolder("defaults")
        defer { folder.remove() }
        let server = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log",
            arguments: ["--refresh-grace-seconds", "0"])
        let client = Client(port: server.port)
        let (_, metadata) = await client.send("GET", "/.well-known/oauth-authorization-server")
        #expect(
            (metadata as? [String: Any])?["scopes_supported"] as? [String] == [
                "openid", "profile", "email", "offline_access", "read:users", "write:users", "read:organizations",
                "write:organizations", "admin",
            ])
        _ = await client.post(
            "/api/v1/auth/register", #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#)
        let (_, login) = await client.post(
            "/api/v1/auth/login", #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)
        let t0 = try #require(login["refresh_token"] as? String)
        #expect(await client.post("/api/v1/auth/refresh", #"{"refresh_token":"\#(t0)"}"#).0 == 200)
        // With no grace window, the same token again at once is a reuse: 401, and the session is over.
        #expect(await client.post("/api/v1/auth/refresh", #"{"refresh_token":"\#(t0)"}"#).0 == 401)
        server.kill9()
    }
}
