#if canImport(Glibc)
import Glibc
#endif

/// The committer thread: owns the log device (for io_uring, the ring), writes each commit the writer hands
/// over, syncs it, and resumes the producers whose records it made durable.
final class Committer: Sendable {
    let queue: ConditionLock<AppendQueue>
    let makeDevice: @Sendable () throws(WALError) -> any LogDevice

    init(queue: ConditionLock<AppendQueue>, makeDevice: @escaping @Sendable () throws(WALError) -> any LogDevice) {
        self.queue = queue
        self.makeDevice = makeDevice
    }

    /// Runs until the writer stops or a write fails. The device is created here because an io_uring ring
    /// belongs to the thread that set it up.
    func run() {
        defer {
            queue.withLock { state in
                state.committerExited = true
                state.committerBusy = false
            }
            queue.broadcast(.first)
        }
        let device: any LogDevice
        do { device = try makeDevice() } catch {
            fail(with: error)
            return
        }
        while true {
            let next = queue.wait(on: .second, until: { state in
                state.handedOver != nil || state.writerStopped || state.failure != nil
            }) { state -> Commit? in
                defer { state.handedOver = nil }
                return state.failure == nil ? state.handedOver : nil
            }
            guard let commit = next else { return }
            let start = MonotonicClock.nanoseconds()
            do throws(WALError) {
                try write(commit, device: device)
            } catch {
                fail(with: error)
                return
            }
            let elapsed = MonotonicClock.nanoseconds() - start
            let resumed = commit.sync ? complete(durableThrough: commit.lastLSN) : 0
            queue.withLock { state in
                state.committerBusy = false
                state.freeBuffers.append(commit.buffer)
                state.lastResumed = resumed
                state.lastCommitNanoseconds = elapsed
                state.statistics.commits += 1
                state.statistics.records += commit.records
                state.statistics.bytes += commit.bytes
                state.statistics.deviceNanoseconds += elapsed
                if commit.sync { state.statistics.syncs += 1 }
            }
            queue.signal(.first)
        }
    }

    private func write(_ commit: Commit, device: any LogDevice) throws(WALError) {
        for piece in commit.pieces {
            do {
                try device.write(fd: piece.fd, bytes: commit.buffer.bytes(piece.range), offset: piece.fileOffset,
                                 sync: piece.sync)
            } catch {
                throw WALError.system(error.operation, path: piece.path, errno: error.errno, fatal: true)
            }
            if piece.closesSegment { PosixFile.close(piece.fd) }
        }
    }

    /// Marks records through `durableThrough` durable and resumes their waiters; returns how many.
    private func complete(durableThrough: LSN) -> Int {
        let ready = queue.withLock { state in
            state.durableLSN = max(state.durableLSN, durableThrough)
            return state.takeWaiters(through: state.durableLSN)
        }
        for waiter in ready { waiter.continuation.resume(returning: nil) }
        return ready.count
    }

    /// Makes the log fail: the error goes to every waiting producer and to every later append, and both
    /// threads stop.
    func fail(with error: WALError) {
        let waiting = queue.withLock { state in
            if state.failure == nil { state.failure = error }
            state.pending.removeAll()
            state.pendingFirstLSN = state.nextLSN
            let waiting = state.waiters
            state.waiters.removeAll()
            return waiting
        }
        queue.broadcast(.first)
        queue.broadcast(.second)
        for waiter in waiting { waiter.continuation.resume(returning: error) }
    }
}
