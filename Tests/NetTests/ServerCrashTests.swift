import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `tessera serve` binary, built next to this test binary.
final class ServerProcess {
    let process = Process()
    let outputPath: String
    private(set) var port = 0

    /// With `superuser`, the server creates `root@example.com` on its first start; `arguments` are added to
    /// `serve`'s (a later `--port` wins), `environment` to the test's.
    /// With `openFiles`, the server starts under that open-files limit (set by the shell, as `ulimit` would).
    init(
        data: String, outputPath: String, superuser: Bool = false, arguments: [String] = [],
        environment extra: [String: String] = [:], openFiles: (soft: Int, hard: Int)? = nil
    ) throws {
        self.outputPath = outputPath
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let tessera = (executable as NSString).deletingLastPathComponent + "/tessera"
        let serve =
            [
                "serve", "--data", data, "--port", "0", "--bcrypt-cost", "4", "--shards", "4",
                "--snapshot-every-records", "200", "--rate-limit", "off",
            ] + arguments
        if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments =
                [
                    "-c", "ulimit -Sn \(openFiles.soft) && ulimit -Hn \(openFiles.hard) && exec \"$0\" \"$@\"",
                    tessera,
                ] + serve
        } else {
            process.executableURL = URL(fileURLWithPath: tessera)
            process.arguments = serve
        }
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = process.standardOutput
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        if superuser {
            environment["TESSERA_FIRST_SUPERUSER_EMAIL"] = "root@example.com"
            environment["TESSERA_FIRST_SUPERUSER_PASSWORD"] = "Correct-Horse-42"
        }
        process.environment = environment
        try process.run()
        // Bounded wait for the line that names the port (a minute: a busy machine starts a debug build slowly).
        for _ in 0..<1200 {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "serving on http://127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
                if port > 0 { return }
            }
            if !process.isRunning { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw CrashTestError(
            "the server did not start: \((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")")
    }

    /// SIGTERM, then the exit status.
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct CrashTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A minimal JSON client for the crash test.
struct Client {
    let port: Int

    func post(_ path: String, _ body: String, token: String? = nil) async -> (Int, [String: Any]) {
        let (status, json) = await send("POST", path, body, token: token)
        return (status, json as? [String: Any] ?? [:])
    }

    /// Any method; the answer's JSON as parsed (an object, an array, or nil), status 0 when the server is gone.
    func send(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async -> (Int, Any?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        // Generous: on a busy machine an answer may be slow; a request that times out is merely unknown.
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            let http = response as? HTTPURLResponse
        else { return (0, nil) }
        return (http.statusCode, try? JSONSerialization.jsonObject(with: data))
    }

    /// Logs in; the access token, or nil.
    func login(_ email: String, password: String = "Correct-Horse-42") async -> String? {
        await post("/api/v1/auth/login", #"{"email":"\#(email)","password":"\#(password)"}"#).1["access_token"]
            as? String
    }
}

/// What the clients saw acknowledged (a 2xx answer), and must therefore survive every crash.
actor Acknowledged {
    var users: [String] = []
    /// The newest refresh token of each live session, by session.
    var liveTokens: [String: String] = [:]
    /// Refresh tokens of sessions whose logout was acknowledged.
    var loggedOut: [String] = []

    func registered(_ email: String) { users.append(email) }
    /// A refresh or logout of this token is on its way: until it is acknowledged, the session's state is
    /// unknown (the change may be durable with its answer lost), so it is not checked.
    func begin(_ token: String) { liveTokens[String(token.split(separator: ".")[0])] = nil }
    func token(_ token: String) { liveTokens[String(token.split(separator: ".")[0])] = token }
    func logout(_ token: String) { loggedOut.append(token) }
}

@Suite("The server under load survives SIGKILL")
struct ServerCrashTests {
    @Test("SIGTERM stops the server gracefully: exit 0, a snapshot written, and the next start loads it")
    func gracefulStop() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-stop-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(data: directory + "/data", outputPath: directory + "/first.log")
        let (status, _) = await Client(port: server.port).post(
            "/api/v1/auth/register", #"{"email":"ada@example.com","password":"\#(Self.password)","first_name":"A"}"#)
        #expect(status == 201)
        #expect(server.terminate() == 0)
        let log = try String(contentsOfFile: directory + "/first.log", encoding: .utf8)
        #expect(log.contains("snapshot at LSN 1 written; stopped"))
        let again = try ServerProcess(data: directory + "/data", outputPath: directory + "/second.log")
        let startup = try String(contentsOfFile: directory + "/second.log", encoding: .utf8)
        #expect(startup.contains("recovered snapshot at LSN 1, 0 log records replayed, 1 users"))
        let (login, _) = await Client(port: again.port).post(
            "/api/v1/auth/login", #"{"email":"ada@example.com","password":"\#(Self.password)"}"#)
        #expect(login == 200)
        again.kill9()
    }

    static let password = "Correct-Horse-42"

    /// One client's loop: register, log in, refresh a few times, log out — recording each acknowledgement.
    static func clientLoop(
        _ client: Client, id: Int, round: Int, acknowledged: Acknowledged, until deadline: Date
    ) async {
        var counter = 0
        while Date() < deadline {
            counter += 1
            let email = "r\(round)-c\(id)-\(counter)@example.com"
            let (registered, _) = await client.post(
                "/api/v1/auth/register",
                #"{"email":"\#(email)","password":"\#(password)","first_name":"C"}"#)
            guard registered == 201 else { return }
            await acknowledged.registered(email)
            let (loggedIn, pair) = await client.post(
                "/api/v1/auth/login", #"{"email":"\#(email)","password":"\#(password)"}"#)
            guard loggedIn == 200, var refresh = pair["refresh_token"] as? String,
                let access = pair["access_token"] as? String
            else { return }
            await acknowledged.token(refresh)
            for _ in 0..<3 {
                await acknowledged.begin(refresh)
                let (status, next) = await client.post("/api/v1/auth/refresh", #"{"refresh_token":"\#(refresh)"}"#)
                guard status == 200, let token = next["refresh_token"] as? String else { return }
                refresh = token
                await acknowledged.token(refresh)
            }
            if counter % 2 == 0 {
                await acknowledged.begin(refresh)
                let (status, _) = await client.post(
                    "/api/v1/auth/logout", #"{"refresh_token":"\#(refresh)"}"#, token: access)
                guard status == 200 else { return }
                await acknowledged.logout(refresh)
            }
        }
    }

    /// Every acknowledged effect holds: users log in, live sessions refresh (their newest token is recorded),
    /// logged-out sessions stay ended.
    static func verify(_ client: Client, _ acknowledged: Acknowledged, round: Int) async {
        for email in await acknowledged.users {
            let (status, _) = await client.post(
                "/api/v1/auth/login", #"{"email":"\#(email)","password":"\#(password)"}"#)
            #expect(status == 200, "round \(round): acknowledged user \(email) cannot log in")
        }
        for (_, token) in await acknowledged.liveTokens {
            await acknowledged.begin(token)
            let (status, next) = await client.post("/api/v1/auth/refresh", #"{"refresh_token":"\#(token)"}"#)
            #expect(status == 200, "round \(round): an acknowledged refresh token was lost")
            if let newer = next["refresh_token"] as? String { await acknowledged.token(newer) }
        }
        for token in await acknowledged.loggedOut {
            let (status, _) = await client.post("/api/v1/auth/refresh", #"{"refresh_token":"\#(token)"}"#)
            #expect(status == 401, "round \(round): an acknowledged logout was undone")
        }
    }

    @Test(
        "killed at random moments under concurrent register, login, refresh and logout, it loses nothing acknowledged")
    func killRepeatedly() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-servercrash-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let acknowledged = Acknowledged()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let server = try ServerProcess(data: directory + "/data", outputPath: directory + "/serve-\(round).log")
            let client = Client(port: server.port)
            await Self.verify(client, acknowledged, round: round)
            let before = await acknowledged.users.count
            // The clients run until the kill ends their requests; the bound only stops a server that hangs.
            let until = Date().addingTimeInterval(180)
            let clients = Task {
                await withTaskGroup(of: Void.self) { group in
                    for id in 0..<8 {
                        group.addTask {
                            await Self.clientLoop(
                                client, id: id, round: round, acknowledged: acknowledged, until: until)
                        }
                    }
                }
            }
            // The kill comes at a random moment once the round has made progress (four registrations
            // acknowledged), however slow a busy machine makes it.
            #expect(
                await eventually(seconds: 120) { await acknowledged.users.count >= before + 4 },
                "round \(round) made no progress")
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &generator)))
            server.kill9()
            await clients.value
        }
        let server = try ServerProcess(data: directory + "/data", outputPath: directory + "/serve-final.log")
        await Self.verify(Client(port: server.port), acknowledged, round: 6)
        #expect(await acknowledged.users.count >= 24, "each round should have acknowledged four registrations at least")
        server.kill9()
    }
}
