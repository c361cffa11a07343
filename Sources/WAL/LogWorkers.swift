import Synchronization

/// The log's state machine behind its lock, as the log and its workers share it.
typealias LockedPipeline = ConditionLock<
    CommitPipeline<UnsafeContinuation<WALError?, Never>, CheckedContinuation<Void, Never>>
>

/// The log's worker threads. Each has its own device (an io_uring ring belongs to the thread that set it
/// up) and loops: under the lock it asks the pipeline for its next step, then writes, syncs or sleeps as
/// told, and reports back. One holds the write turn at a time; the others sync beside it.
///
/// Producers are resumed by the worker whose sync made their records durable, as continuations that carry
/// no error; a failure resumes every waiting one with the error.
final class LogWorkers: Sendable {
    let pipeline: LockedPipeline
    /// Set once the log has failed, read without the lock (by every request, on the hot path).
    let failed = Atomic<Bool>(false)
    private let turn: WriteTurn
    private let allocator: SegmentAllocator
    private let makeDevice: @Sendable () throws(WALError) -> any LogDevice

    /// How many workers there are. Worker `i` sleeps on condition `i` of the lock, so that a wake-up reaches
    /// the worker the pipeline names; the write turn's holder waits on condition `count` for the syncs in
    /// flight to end before it closes a full segment.
    let count: Int
    private var retiring: LockCondition { LockCondition(index: count) }

    /// `pipeline`'s lock must have `count + 1` conditions, and the pipeline be made for `count` workers.
    init(
        count: Int, pipeline: LockedPipeline, turn: WriteTurn, allocator: SegmentAllocator,
        makeDevice: @escaping @Sendable () throws(WALError) -> any LogDevice
    ) {
        self.count = count
        self.pipeline = pipeline
        self.turn = turn
        self.allocator = allocator
        self.makeDevice = makeDevice
    }

    /// Starts the worker threads.
    func start() {
        for index in 0..<count {
            startDetachedThread(name: "tessera-wal-\(index)") { [self] in run(worker: index) }
        }
    }

    /// Wakes worker `worker`, asleep or about to sleep on its own condition.
    func wake(worker: Int) { pipeline.signal(LockCondition(index: worker)) }

    private func run(worker: Int) {
        var device: (any LogDevice)?
        do throws(WALError) { device = try makeDevice() } catch { fail(with: error) }
        var frames: [UInt8] = []
        while true {
            let (work, wakeAnother) = pipeline.step(on: LockCondition(index: worker)) { state, wokeUp in
                let (step, wake) = state.nextStep(
                    worker: worker, wokeUp: wokeUp, nowNanoseconds: MonotonicClock.nanoseconds(), frames: &frames)
                switch step {
                case .work(let work): return .proceed((work, wake))
                case .sleep(let deadline): return .sleep(untilNanoseconds: deadline)
                }
            }
            if let wakeAnother { wake(worker: wakeAnother) }
            switch work {
            case .write(let first, let last):
                // A device exists whenever there is work: a worker without one failed the log, and a failed
                // log hands out no work.
                write(&frames, first: first, last: last, device: device!)
            case .sync(let fd, let path, let through):
                sync(fd: fd, path: path, through: through, device: device!)
            case .stop(let last):
                if last { cleanUp() }
                return
            }
        }
    }

    private func write(_ frames: inout [UInt8], first: LSN, last: LSN, device: any LogDevice) {
        do throws(WALError) {
            let (segment, statistics) = try turn.write(&frames, first: first, device: device) { () throws(WALError) in
                try awaitRetirement()
            }
            pipeline.withLock { state in
                state.wrote(
                    through: last, fd: segment.fd, path: segment.path, frames: &frames, commit: statistics)
            }
        } catch {
            fail(with: error)
            pipeline.withLock { state in
                state.wrote(through: last, fd: -1, path: "", frames: &frames, commit: CommitStatistics())
            }
        }
    }

    /// Waits until no sync is in flight, so that a full segment's descriptor can be closed.
    private func awaitRetirement() throws(WALError) {
        let outcome: WALError? = pipeline.step(on: retiring) { state, _ in
            do throws(WALError) {
                return try state.mayRetireSegment() ? .proceed(nil) : .sleep(untilNanoseconds: nil)
            } catch {
                return .proceed(error)
            }
        }
        if let outcome { throw outcome }
    }

    private func sync(fd: Int32, path: String, through: LSN, device: any LogDevice) {
        let start = MonotonicClock.nanoseconds()
        do {
            try device.sync(fd: fd)
        } catch {
            fail(with: WALError.system(error.operation, path: path, errno: error.errno, fatal: true))
        }
        let end = MonotonicClock.nanoseconds()
        let (durable, wakeAll) = pipeline.withLock {
            $0.synced(through: through, nowNanoseconds: end, nanoseconds: end - start)
        }
        if wakeAll { wakeEveryone() }
        for waiter in durable { waiter.resume(returning: nil) }
    }

    /// Makes the log fail: the error goes to every waiting producer and every later append; workers stop.
    func fail(with error: WALError) {
        failed.store(true, ordering: .releasing)
        let (failing, first) = pipeline.withLock { $0.failed(error) }
        wakeEveryone()
        for waiter in failing { waiter.resume(returning: first) }
    }

    func wakeEveryone() {
        for index in 0...count { pipeline.broadcast(LockCondition(index: index)) }
    }

    /// Run by the last worker to stop: closes the segment, waits for the spare's preparation, and resumes
    /// `close()` callers (and fails whatever still waits, after a failure, with `closed`).
    private func cleanUp() {
        turn.close()
        allocator.quiesce()
        let (closers, waiting) = pipeline.withLock { $0.finished() }
        let closedError = WALError(.closed, "the log was closed before this record became durable")
        for waiter in waiting { waiter.resume(returning: closedError) }
        for closer in closers { closer.resume() }
    }
}
