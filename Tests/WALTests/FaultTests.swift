import Testing

@testable import WAL

#if canImport(Glibc)
import Glibc
#endif

@Suite("A failed write or fsync stops the log")
struct FaultTests {
    /// Opens a log whose device fails as `plan` says.
    func openFaulty(_ directory: TemporaryDirectory, device: DeviceSetup, plan: FaultPlan) throws -> WriteAheadLog {
        var configuration = testConfiguration(directory, backend: device.backend, directIO: device.directIO)
        configuration.deviceFactory = FaultInjectingDevice.factory(plan, backend: device.backend)
        return try openCollecting(configuration).0
    }

    @Test(
        "an fsync failure fails every waiting append and every later one; acknowledged records survive",
        arguments: allDevices)
    func fsyncFailureIsFatal(device: DeviceSetup) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let plan = FaultPlan()
        let log = try openFaulty(directory, device: device, plan: plan)
        var acknowledged: [LSN] = []
        for index in 0..<20 {
            acknowledged.append(try await log.append(type: 1, payload: payload(for: index, size: 64)))
        }

        // Hold the writer so that many appends queue up behind the failing commit.
        plan.hold(true)
        let waiting = (0..<32).map { index in
            Task { () -> Result<LSN, WALError> in
                do throws(WALError) {
                    return .success(try await log.append(type: 2, payload: payload(for: index, size: 32)))
                } catch {
                    return .failure(error)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        plan.failSyncs(with: EIO)
        plan.hold(false)
        for task in waiting {
            let result = await task.value
            guard case .failure(let error) = result else {
                Issue.record("an append was acknowledged although its fsync failed")
                continue
            }
            #expect(error.code == .writeFailed)
        }
        #expect(log.failure?.code == .writeFailed)
        await #expect(throws: WALError.self) { try await log.append(type: 3, payload: [1]) }
        #expect(throws: WALError.self) { try log.enqueue(type: 3, payload: [1]) }
        await log.close()

        // A restart with a healthy disk recovers every acknowledged record.
        let (reopened, records) = try openCollecting(
            testConfiguration(
                directory, backend: device.backend,
                directIO: device.directIO))
        #expect(Array(records.map(\.lsn).prefix(acknowledged.count)) == acknowledged)
        await reopened.close()
    }

    @Test("a full disk stops the log with diskFull and a message that says so", arguments: allDevices)
    func diskFull(device: DeviceSetup) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let plan = FaultPlan()
        let log = try openFaulty(directory, device: device, plan: plan)
        try await log.append(type: 1, payload: [1, 2, 3])
        plan.failWrites(with: ENOSPC)
        do {
            try await log.append(type: 1, payload: [4, 5, 6])
            Issue.record("an append was acknowledged although its write failed")
        } catch {
            #expect(error.code == .diskFull)
            #expect(error.message.contains("disk full"))
        }
        await #expect(throws: WALError.self) { try await log.append(type: 1, payload: [7]) }
        await log.close()
    }
}

@Suite("Limits are errors with names")
struct LimitTests {
    @Test("past the queue bound, enqueue fails with queueFull instead of growing without limit")
    func queueFull() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let plan = FaultPlan()
        var configuration = testConfiguration(directory, backend: .pwrite)
        configuration.maxQueuedBytes = 1 << 16
        configuration.deviceFactory = FaultInjectingDevice.factory(plan, backend: .pwrite)
        let (log, _) = try openCollecting(configuration)
        try await log.append(type: 1, payload: [1])
        plan.hold(true)
        // The writer is stuck in a write; the queue fills to its bound.
        _ = try log.enqueue(type: 1, payload: [2])
        try await Task.sleep(for: .milliseconds(20))
        var accepted = 0
        var lastAccepted: LSN = 0
        var refusal: WALError?
        while refusal == nil && accepted < 1000 {
            do throws(WALError) {
                lastAccepted = try log.enqueue(type: 1, payload: [UInt8](repeating: 3, count: 1000))
                accepted += 1
            } catch {
                refusal = error
            }
        }
        #expect(refusal?.code == .queueFull)
        #expect(accepted > 0 && accepted < 70)
        plan.hold(false)
        // The queue drains and the log goes on.
        try await log.waitUntilDurable(lastAccepted)
        try await log.append(type: 1, payload: [4])
        await log.close()
    }

    /// A configuration setting out of its bounds, and the words the refusal names it by.
    enum OutOfBounds: String, CaseIterable, Sendable {
        case segmentSize = "segment size"
        case queueBound = "queue bound"
        case noSyncs = "syncs in flight"

        func apply(to configuration: inout WALConfiguration) {
            switch self {
            case .segmentSize: configuration.segmentSizeBytes = 4096
            case .queueBound: configuration.maxQueuedBytes = 1024
            case .noSyncs: configuration.syncsInFlight = 0
            }
        }
    }

    @Test(
        "a configuration out of bounds is refused at open with invalidConfiguration naming the bound",
        arguments: OutOfBounds.allCases)
    func invalidConfiguration(bound: OutOfBounds) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = testConfiguration(directory, backend: .pwrite)
        bound.apply(to: &configuration)
        do {
            _ = try WriteAheadLog.open(configuration)
            Issue.record("a log opened with a \(bound.rawValue) out of bounds")
        } catch let error as WALError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(bound.rawValue))
        }
    }

    @Test("in batch mode a record becomes durable without close, by the periodic sync")
    func batchModeSyncsPeriodically() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = testConfiguration(directory, backend: .pwrite)
        configuration.durability = .batch(milliseconds: 2)
        let (log, _) = try openCollecting(configuration)
        let lsn = try await log.append(type: 1, payload: [1, 2, 3])
        // Bounded wait for the periodic sync; this checks that it happens, not how fast.
        var polls = 0
        while log.durableLSN < lsn && polls < 5000 {
            try await Task.sleep(for: .milliseconds(1))
            polls += 1
        }
        #expect(log.durableLSN >= lsn)
        await log.close()
    }
}
