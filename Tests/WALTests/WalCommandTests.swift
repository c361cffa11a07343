import Foundation
import Testing

@testable import WAL

/// Runs the real `tessera` binary, built next to the test binary.
func runTessera(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let process = Process()
    process.executableURL = URL(fileURLWithPath: (executable as NSString).deletingLastPathComponent + "/tessera")
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
        process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
    )
}

@Suite("tessera wal inspect, verify and stats")
struct WalCommandTests {
    @Test("verify exits 0 on an intact log and prints the summary line")
    func verifyIntact() async throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        _ = try await DamageTests.writeLog(directory)
        let result = try runTessera(["wal", "verify", directory.path])
        #expect(result.status == 0)
        #expect(result.output.contains("intact: segments=3 records=190 first_lsn=1 last_lsn=190 torn_bytes=0"))
    }

    @Test("verify exits non-zero on damage naming file and offset; --recover=truncate keeps the prefix")
    func verifyDamaged() async throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let segments = try await DamageTests.writeLog(directory)
        try DamageTests.flipBit(in: segments[1], at: DamageTests.recordOffset(2) + 40)
        let result = try runTessera(["wal", "verify", directory.path])
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("damaged:"))
        #expect(result.error.contains((segments[1] as NSString).lastPathComponent))
        #expect(result.error.contains("offset \(DamageTests.recordOffset(2))"))

        let repaired = try runTessera(["wal", "verify", directory.path, "--recover=truncate"])
        #expect(repaired.status == 0)
        let after = try runTessera(["wal", "verify", directory.path])
        #expect(after.status == 0)
        let firstOfSegment = try #require(SegmentName.firstLSN(of: (segments[1] as NSString).lastPathComponent))
        #expect(after.output.contains("last_lsn=\(firstOfSegment + 1)"))
    }

    @Test("verify exits 0 on a torn tail and reports the torn bytes")
    func verifyTorn() async throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let segments = try await DamageTests.writeLog(directory)
        // The last segment holds records 133…190; damage the last one.
        try DamageTests.flipBit(in: segments[2], at: DamageTests.recordOffset(57) + 30)
        let result = try runTessera(["wal", "verify", directory.path])
        #expect(result.status == 0)
        #expect(result.output.contains("intact (torn tail)"))
        #expect(result.output.contains("last_lsn=189"))
    }

    @Test("inspect prints a line per record, marks a bad checksum, and --json lines parse")
    func inspect() async throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let segments = try await DamageTests.writeLog(directory)
        try DamageTests.flipBit(in: segments[0], at: DamageTests.recordOffset(5) + 100)
        let text = try runTessera(["wal", "inspect", directory.path])
        #expect(text.status == 0)
        let lines = text.output.split(separator: "\n")
        #expect(lines.count == 190)
        #expect(lines[5].contains("lsn=6 type=1 length=918 checksum=bad"))
        #expect(lines[6].contains("checksum=ok"))

        let json = try runTessera(["wal", "inspect", "--json", directory.path])
        let objects = try json.output.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == 190)
        #expect(objects[5]?["checksum"] as? String == "bad")
        #expect(objects[189]?["lsn"] as? Int == 190)
    }

    @Test("stats counts records per type")
    func stats() async throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        _ = try await DamageTests.writeLog(directory)
        let result = try runTessera(["wal", "stats", directory.path])
        #expect(result.status == 0)
        #expect(result.output.contains("records:         190"))
        #expect(result.output.contains("type 1: records=190 payload_bytes=171000"))
    }
}
