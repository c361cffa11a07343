import Engine
import Foundation
import Synchronization
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// A log device whose `fdatasync` starts failing with EIO when told to.
final class BreakableDevice: LogDevice {
    static let broken = Mutex<Set<String>>([])
    let key: String
    var name: String { "breakable" }

    init(key: String) { self.key = key }

    func write(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int, sync: Bool) throws(DeviceFailure) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            guard written > 0 else { throw DeviceFailure(operation: "write", errno: errno) }
            done += written
        }
        if sync { try self.sync(fd: fd) }
    }

    func sync(fd: Int32) throws(DeviceFailure) {
        if Self.broken.withLock({ $0.contains(key) }) { throw DeviceFailure(operation: "fdatasync", errno: EIO) }
        guard fdatasync(fd) == 0 else { throw DeviceFailure(operation: "fdatasync", errno: errno) }
    }
}

@Suite("When the log cannot be written")
struct LogFailureTests {
    @Test("a failed fsync: the change is not acknowledged (503 SYS_007), nor any later one; health says so")
    func failedSync() async throws {
        let key = UUID().uuidString
        let harness = try await HTTPHarness(configure: { configuration in
            configuration.logDeviceFactory = { () throws(WALError) in BreakableDevice(key: key) }
        })
        _ = try await harness.signUp("ada@example.com")
        BreakableDevice.broken.withLock { _ = $0.insert(key) }
        let refused = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"bob@example.com","password":"Correct-Horse-42","first_name":"B"}"#)
        #expect(refused.status == 503)
        #expect(refused.errorCode == "SYS_007")
        #expect(refused.headers["retry-after"] == "1", "a 503 says when to try again")
        let later = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)
        #expect(later.status == 503)
        let health = try await harness.send("GET", "/health")
        #expect(health.status == 503)
        #expect((health.json["checks"] as? [String: String])?["wal"]?.hasPrefix("failed") == true)
        await harness.close()
    }

    @Test("after the log failed, a change answered 503 is never read back: every route but health answers 503 SYS_007")
    func noDirtyReads() async throws {
        let key = UUID().uuidString
        let harness = try await HTTPHarness(configure: { configuration in
            configuration.logDeviceFactory = { () throws(WALError) in BreakableDevice(key: key) }
        })
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        BreakableDevice.broken.withLock { _ = $0.insert(key) }
        let change = try await harness.send(
            "PATCH", "/api/v1/users/me", json: #"{"first_name":"Unacknowledged"}"#, token: token)
        #expect(change.status == 503)
        let read = try await harness.send("GET", "/api/v1/users/me", token: token)
        #expect(read.status == 503, "a read after the failure answered \(read.status)")
        #expect(read.errorCode == "SYS_007")
        #expect(!String(decoding: read.body, as: UTF8.self).contains("Unacknowledged"))
        #expect(try await harness.send("GET", "/api/v1/openapi.json").status == 503)
        #expect(try await harness.send("GET", "/health").status == 503)
        #expect(try await harness.send("GET", "/health").json["status"] as? String == "unavailable")
        await harness.close()
    }
}
