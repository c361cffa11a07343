import Foundation
import Testing

@testable import WAL

@Suite("Acknowledged records survive SIGKILL")
struct CrashTests {
    /// The crash child, built next to this test binary.
    static var childPath: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("WALCrashChild")
    }

    /// Checks that a payload is one the crash child wrote, by the rule it was made by.
    static func isIntact(_ payload: [UInt8]) -> Bool {
        guard payload.count >= 12 else { return false }
        let producer = Int(payload[0..<4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let sequence = Int(payload[4..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        guard payload.count == 12 + (producer * 131 + sequence * 17) % 1500 else { return false }
        // The log's checksum already covers every byte; the ends tell a record from another one.
        return [8, payload.count - 1].allSatisfy {
            payload[$0] == UInt8(truncatingIfNeeded: $0 &* 13 &+ sequence &+ producer)
        }
    }

    @Test("a child killed at random moments loses no acknowledged LSN, many times over", arguments: allDevices)
    func killRepeatedly(device: DeviceSetup) async throws {
        let backend = device.backend
        #expect(FileManager.default.isExecutableFile(atPath: Self.childPath), "missing \(Self.childPath)")
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        let logDirectory = directory.file("wal")
        var generator = SeededGenerator(seed: (backend == .uring ? 7 : 11) + (device.directIO ? 100 : 0))
        var everAcknowledged = Set<LSN>()
        for round in 0..<20 {
            let output = directory.file("acks-\(round).txt")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: Self.childPath)
            child.arguments = [logDirectory, backend.rawValue, device.directIO ? "direct" : "buffered", output]
            try child.run()
            // The kill comes at a random moment once the child has made progress (ten acknowledgements), however
            // slowly a busy machine runs it; the bound only stops a child that hangs.
            let started = Date()
            while Self.acknowledgedLines(output) < 10 && Date().timeIntervalSince(started) < 120 && child.isRunning {
                try await Task.sleep(for: .milliseconds(5))
            }
            let lifetimeMilliseconds = Int.random(in: 0...200, using: &generator)
            try await Task.sleep(for: .milliseconds(lifetimeMilliseconds))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()

            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            // Only whole lines count: a line is written in one call after the acknowledgement.
            let acknowledged = text.split(separator: "\n", omittingEmptySubsequences: true)
                .dropLast(text.hasSuffix("\n") ? 0 : 1)
                .compactMap { LSN($0) }
            everAcknowledged.formUnion(acknowledged)

            var configuration = WALConfiguration(directory: logDirectory)
            configuration.backend = backend
            configuration.directIO = device.directIO
            configuration.segmentSizeBytes = 256 << 10
            var recovered: [LSN] = []
            var damaged = 0
            let log = try WriteAheadLog.open(configuration) { record in
                recovered.append(record.lsn)
                if !Self.isIntact(Array(record.payload)) { damaged += 1 }
            }
            await log.close()
            #expect(damaged == 0, "round \(round): records with wrong contents")
            #expect(
                recovered == Array(1...LSN(max(recovered.count, 1))).prefix(recovered.count).map { $0 },
                "round \(round): LSNs are not 1…n")
            let recoveredSet = Set(recovered)
            let lost = everAcknowledged.subtracting(recoveredSet)
            #expect(
                lost.isEmpty,
                "round \(round) (killed \(lifetimeMilliseconds) ms after progress): lost \(lost.sorted().prefix(10))")
        }
        #expect(everAcknowledged.count > 100, "the child should have acknowledged records before being killed")
    }
}

/// A small deterministic generator (SplitMix64), so that a failing run can be repeated.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension CrashTests {
    /// How many acknowledgement lines the child has written whole so far.
    static func acknowledgedLines(_ path: String) -> Int {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count - (text.isEmpty || text.hasSuffix("\n") ? 0 : 1)
    }
}
