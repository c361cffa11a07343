import Synchronization

@testable import WAL

#if canImport(Glibc)
import Glibc
#endif

/// What a `FaultInjectingDevice` does wrong, shared between the test and the writer thread.
final class FaultPlan: Sendable {
    struct State {
        /// The errno the next `fdatasync` fails with (once set, every later one fails too).
        var syncFailure: Int32?
        /// The errno the next write fails with.
        var writeFailure: Int32?
        /// While set, writes block until released: lets a test queue many appends behind one commit.
        var holdWrites = false
        var syncCalls = 0
    }

    let state = Mutex(State())

    func failSyncs(with code: Int32) { state.withLock { $0.syncFailure = code } }
    func failWrites(with code: Int32) { state.withLock { $0.writeFailure = code } }
    func hold(_ holding: Bool) { state.withLock { $0.holdWrites = holding } }
}

/// Wraps a real device and injects the failures its plan names: the storage seam of the fault tests.
final class FaultInjectingDevice: LogDevice {
    let inner: any LogDevice
    let plan: FaultPlan
    var name: String { "faulty-\(inner.name)" }

    init(inner: any LogDevice, plan: FaultPlan) {
        self.inner = inner
        self.plan = plan
    }

    static func factory(_ plan: FaultPlan, backend: LogBackend) -> @Sendable () throws(WALError) -> any LogDevice {
        { () throws(WALError) in FaultInjectingDevice(inner: try backend.makeDevice(), plan: plan) }
    }

    func write(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int, sync: Bool) throws(DeviceFailure) {
        while plan.state.withLock({ $0.holdWrites }) { usleep(1000) }
        if let code = plan.state.withLock({ $0.writeFailure }) { throw DeviceFailure(operation: "write", errno: code) }
        try inner.write(fd: fd, bytes: bytes, offset: offset, sync: false)
        if sync { try self.sync(fd: fd) }
    }

    func sync(fd: Int32) throws(DeviceFailure) {
        let failure = plan.state.withLock { state -> Int32? in
            state.syncCalls += 1
            return state.syncFailure
        }
        if let failure { throw DeviceFailure(operation: "fdatasync", errno: failure) }
        try inner.sync(fd: fd)
    }
}
