import Testing

@testable import WAL

/// The log's coordination, driven event by event without threads: who writes, who syncs, when producers
/// are resumed, and how it stops.
@Suite("The commit pipeline's state machine")
struct CommitPipelineTests {
    typealias Pipeline = CommitPipeline<Int, Int>

    static let frameSize = 32

    func makePipeline(
        durability: Durability = .sync, workers: Int = 3, maximumSyncs: Int = 2, maximumQueuedBytes: Int = 1 << 20
    ) -> Pipeline {
        Pipeline(
            nextLSN: 1, durability: durability, workers: workers, maximumSyncs: maximumSyncs,
            maximumQueuedBytes: maximumQueuedBytes)
    }

    /// Queues `count` frames; returns their LSNs and how many wake-ups were asked for.
    @discardableResult
    func enqueue(_ count: Int, into pipeline: inout Pipeline) throws -> (lsns: [LSN], wakes: Int) {
        var lsns: [LSN] = []
        var wakes = 0
        for _ in 0..<count {
            let (lsn, wake) = try pipeline.enqueue(frameSize: Self.frameSize) { frames, _ in
                frames.append(contentsOf: repeatElement(0xAB, count: Self.frameSize))
            }
            lsns.append(lsn)
            if wake != nil { wakes += 1 }
        }
        return (lsns, wakes)
    }

    func step(_ pipeline: inout Pipeline, wokeUp: Bool = false, now: UInt64 = 0) -> Pipeline.Step {
        var frames: [UInt8] = []
        return pipeline.nextStep(worker: 0, wokeUp: wokeUp, nowNanoseconds: now, frames: &frames).step
    }

    /// A worker takes the write turn and reports the write done (to descriptor 7).
    func writeQueued(_ pipeline: inout Pipeline, wokeUp: Bool = false) throws -> (first: LSN, last: LSN) {
        var frames: [UInt8] = []
        let (step, _) = pipeline.nextStep(worker: 0, wokeUp: wokeUp, nowNanoseconds: 0, frames: &frames)
        guard case .work(.write(let first, let last)) = step else {
            Issue.record("expected a write, got \(step)")
            throw CancellationError()
        }
        #expect(frames.count == Int(last - first + 1) * Self.frameSize, "the write carries every queued frame")
        pipeline.wrote(through: last, fd: 7, path: "segment", frames: &frames, commit: CommitStatistics())
        return (first, last)
    }

    /// Commits `producers` records, each awaited by a producer, and reports their sync done at 1 ms after
    /// 100 µs: the producers are resumed and a gather window for them opens until 1.05 ms. Returns the waiters
    /// resumed.
    func resumeProducers(_ producers: Int, _ pipeline: inout Pipeline) throws -> [Int] {
        let (lsns, _) = try enqueue(producers, into: &pipeline)
        for lsn in lsns { #expect(pipeline.awaitDurability(of: lsn, waiter: Int(lsn)).isWaiting) }
        let (_, last) = try writeQueued(&pipeline)
        #expect(step(&pipeline) == .work(.sync(fd: 7, path: "segment", through: last)))
        return pipeline.synced(through: last, nowNanoseconds: 1_000_000, nanoseconds: 100_000).durable
    }

    @Test("a sleeping worker is woken once for queued records, and one write takes them all in LSN order")
    func groupCommit() throws {
        var pipeline = makePipeline()
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))
        let (lsns, wakes) = try enqueue(5, into: &pipeline)
        #expect(lsns == [1, 2, 3, 4, 5])
        #expect(wakes == 1, "one wake-up for a burst of records, not one per record")
        let (first, last) = try writeQueued(&pipeline, wokeUp: true)
        #expect(first == 1 && last == 5)
        #expect(pipeline.writtenLSN == 5)
        #expect(pipeline.durableLSN == 0, "written is not durable")
        #expect(step(&pipeline) == .work(.sync(fd: 7, path: "segment", through: 5)))
    }

    @Test("the next commit is written while the previous one syncs, and a second sync runs beside the first")
    func pipelinedCommits() throws {
        var pipeline = makePipeline()
        try enqueue(3, into: &pipeline)
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline) == .work(.sync(fd: 7, path: "segment", through: 3)))
        // Records queued while the first commit syncs are written at once, by another worker.
        try enqueue(2, into: &pipeline)
        let second = try writeQueued(&pipeline)
        #expect(second.first == 4 && second.last == 5)
        #expect(step(&pipeline) == .work(.sync(fd: 7, path: "segment", through: 5)))
        #expect(pipeline.syncsInFlight == 2)
        // A third commit is written, but its sync waits for a free slot.
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))
        _ = pipeline.synced(through: 3, nowNanoseconds: 0, nanoseconds: 0)
        #expect(step(&pipeline, wokeUp: true) == .work(.sync(fd: 7, path: "segment", through: 6)))
    }

    @Test("a wake-up goes to the worker that slept last, and a woken worker is not woken twice")
    func wakesTheLastSleeper() throws {
        var pipeline = makePipeline()
        var frames: [UInt8] = []
        for worker in [2, 0, 1] {
            let (step, _) = pipeline.nextStep(worker: worker, wokeUp: false, nowNanoseconds: 0, frames: &frames)
            #expect(step == .sleep(untilNanoseconds: nil))
        }
        let (_, first) = try pipeline.enqueue(frameSize: Self.frameSize) { frames, _ in
            frames.append(contentsOf: repeatElement(0, count: Self.frameSize))
        }
        #expect(first == 1, "worker 1 slept last")
        #expect(try enqueue(3, into: &pipeline).wakes == 0, "worker 1 is on its way")
        let (step, _) = pipeline.nextStep(worker: 1, wokeUp: true, nowNanoseconds: 0, frames: &frames)
        #expect(step == .work(.write(first: 1, last: 4)))
    }

    @Test("records queued during a write wake nobody; the writer, turning to the sync, wakes another for them")
    func wakesAnotherForTheWrite() throws {
        var pipeline = makePipeline()
        try enqueue(1, into: &pipeline)
        var frames: [UInt8] = []
        let (write, _) = pipeline.nextStep(worker: 0, wokeUp: false, nowNanoseconds: 0, frames: &frames)
        #expect(write == .work(.write(first: 1, last: 1)))
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))  // a second worker finds nothing and sleeps
        #expect(try enqueue(1, into: &pipeline).wakes == 0, "the writer comes back for it")
        pipeline.wrote(through: 1, fd: 7, path: "segment", frames: &frames, commit: CommitStatistics())
        let (sync, wakeAnother) = pipeline.nextStep(worker: 0, wokeUp: false, nowNanoseconds: 0, frames: &frames)
        #expect(sync == .work(.sync(fd: 7, path: "segment", through: 1)))
        #expect(wakeAnother == 0, "the queued record needs a writer while this worker syncs")
    }

    @Test("after a sync resumed several producers, the next write waits for as many records or the deadline")
    func gatherWindow() throws {
        var pipeline = makePipeline()
        #expect(try resumeProducers(3, &pipeline).count == 3)
        #expect(try enqueue(2, into: &pipeline).wakes == 0, "two of the three resumed producers are back")
        #expect(step(&pipeline, now: 1_010_000) == .sleep(untilNanoseconds: 1_050_000))
        #expect(try enqueue(1, into: &pipeline).wakes == 1, "all three are back: write")
        let (first, last) = try writeQueued(&pipeline, wokeUp: true)
        #expect(first == 4 && last == 6)
    }

    @Test("while a gather window is open, a worker with nothing to do sleeps until its end at the latest")
    func gatherArmsADeadline() throws {
        var pipeline = makePipeline()
        #expect(try resumeProducers(2, &pipeline).count == 2)
        // The syncing worker finds nothing queued yet: it must not sleep without a deadline, since producers
        // do not wake anyone for the first record of the window.
        #expect(step(&pipeline, now: 1_000_000) == .sleep(untilNanoseconds: 1_050_000))
        #expect(try enqueue(1, into: &pipeline).wakes == 0)
        #expect(step(&pipeline, wokeUp: true, now: 1_050_000) == .work(.write(first: 3, last: 3)))
        // The window is closed now: a record queued later wakes a sleeping worker at once.
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))
    }

    @Test("the gather window ends at its deadline with the records that came")
    func gatherDeadline() throws {
        var pipeline = makePipeline()
        #expect(try resumeProducers(2, &pipeline).count == 2)
        try enqueue(1, into: &pipeline)
        var frames: [UInt8] = []
        let (step, _) = pipeline.nextStep(worker: 0, wokeUp: false, nowNanoseconds: 1_050_000, frames: &frames)
        #expect(step == .work(.write(first: 3, last: 3)))
    }

    @Test("producers are resumed when a sync covers them, in LSN order whatever order the syncs end in")
    func durabilityInOrder() throws {
        var pipeline = makePipeline()
        try enqueue(2, into: &pipeline)
        #expect(pipeline.awaitDurability(of: 1, waiter: 101).isWaiting)
        #expect(pipeline.awaitDurability(of: 2, waiter: 102).isWaiting)
        _ = try writeQueued(&pipeline)
        _ = step(&pipeline)  // sync through 2
        try enqueue(2, into: &pipeline)
        #expect(pipeline.awaitDurability(of: 3, waiter: 103).isWaiting)
        #expect(pipeline.awaitDurability(of: 4, waiter: 104).isWaiting)
        _ = try writeQueued(&pipeline)
        _ = step(&pipeline)  // sync through 4

        // The later sync returns first: it started after both writes ended, so it covers all four.
        let later = pipeline.synced(through: 4, nowNanoseconds: 0, nanoseconds: 0)
        #expect(later.durable.sorted() == [101, 102, 103, 104])
        #expect(pipeline.durableLSN == 4)
        let earlier = pipeline.synced(through: 2, nowNanoseconds: 0, nanoseconds: 0)
        #expect(earlier.durable.isEmpty)
        #expect(pipeline.durableLSN == 4, "durability never moves back")
        #expect(pipeline.awaitDurability(of: 3, waiter: 105).isDurable)
    }

    @Test("a waiter is not resumed by a sync that does not cover its record")
    func waitersWaitForTheirSync() throws {
        var pipeline = makePipeline()
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        _ = step(&pipeline)  // sync through 1
        try enqueue(1, into: &pipeline)
        #expect(pipeline.awaitDurability(of: 2, waiter: 2).isWaiting)
        #expect(pipeline.synced(through: 1, nowNanoseconds: 0, nanoseconds: 0).durable.isEmpty)
        #expect(pipeline.durableLSN == 1)
    }

    @Test("closing a full segment waits for the syncs in flight, and no sync starts meanwhile")
    func retireWaitsForSyncs() throws {
        var pipeline = makePipeline()
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        _ = step(&pipeline)  // sync through 1 on the old segment
        try enqueue(1, into: &pipeline)
        var frames: [UInt8] = []
        let (write, _) = pipeline.nextStep(worker: 0, wokeUp: false, nowNanoseconds: 0, frames: &frames)
        #expect(write == .work(.write(first: 2, last: 2)))
        #expect(try pipeline.mayRetireSegment() == false)
        // Another worker finds nothing to start while the segment is being retired.
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))
        let (_, wakeAll) = pipeline.synced(through: 1, nowNanoseconds: 0, nanoseconds: 0)
        #expect(wakeAll, "the retiring writer is woken by the last sync")
        #expect(try pipeline.mayRetireSegment() == true)
        pipeline.wrote(through: 2, fd: 8, path: "next", frames: &frames, commit: CommitStatistics())
        #expect(step(&pipeline, wokeUp: true) == .work(.sync(fd: 8, path: "next", through: 2)))
    }

    @Test("past the queue bound enqueue fails with queueFull; bytes being written still count")
    func queueBound() throws {
        var pipeline = makePipeline(maximumQueuedBytes: 4 * Self.frameSize)
        try enqueue(3, into: &pipeline)
        var frames: [UInt8] = []
        _ = pipeline.nextStep(worker: 0, wokeUp: false, nowNanoseconds: 0, frames: &frames)  // the write takes 3
        try enqueue(1, into: &pipeline)
        #expect(throws: WALError.self) { try enqueue(1, into: &pipeline) }
        pipeline.wrote(through: 3, fd: 7, path: "segment", frames: &frames, commit: CommitStatistics())
        try enqueue(3, into: &pipeline)
    }

    @Test("a failure fails every waiter and every later append, and stops every worker exactly once")
    func failureStopsEverything() throws {
        var pipeline = makePipeline(workers: 2)
        try enqueue(2, into: &pipeline)
        #expect(pipeline.awaitDurability(of: 1, waiter: 1).isWaiting)
        _ = try writeQueued(&pipeline)
        _ = step(&pipeline)  // sync through 2
        let (failing, error) = pipeline.failed(WALError(.writeFailed, "fdatasync failed"))
        #expect(failing == [1])
        #expect(error.code == .writeFailed)
        #expect(throws: WALError.self) { try enqueue(1, into: &pipeline) }
        if case .failed = pipeline.awaitDurability(of: 2, waiter: 2) {} else { Issue.record("expected failed") }
        #expect(
            pipeline.synced(through: 2, nowNanoseconds: 0, nanoseconds: 0).durable.isEmpty,
            "nothing is durable after a failure")
        #expect(step(&pipeline) == .work(.stop(last: false)))
        #expect(step(&pipeline) == .work(.stop(last: true)))
    }

    @Test("close writes and syncs what is queued, then every worker stops and close callers are resumed")
    func closeDrains() throws {
        var pipeline = makePipeline(workers: 2)
        try enqueue(2, into: &pipeline)
        #expect(pipeline.close(closer: 9) == false)
        #expect(throws: WALError.self) { try enqueue(1, into: &pipeline) }
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline) == .work(.sync(fd: 7, path: "segment", through: 2)))
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil), "not drained while the sync runs")
        let (_, wakeAll) = pipeline.synced(through: 2, nowNanoseconds: 0, nanoseconds: 0)
        #expect(wakeAll)
        #expect(step(&pipeline, wokeUp: true) == .work(.stop(last: false)))
        #expect(step(&pipeline) == .work(.stop(last: true)))
        let (closers, waiters) = pipeline.finished()
        #expect(closers == [9] && waiters.isEmpty)
        #expect(pipeline.close(closer: 10) == true, "a later close returns at once")
    }

    @Test("in batch mode a sync waits for its interval, and the sleeping worker is given that deadline")
    func batchInterval() throws {
        var pipeline = makePipeline(durability: .batch(milliseconds: 5))
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline, now: 1_000_000) == .sleep(untilNanoseconds: 5_000_000))
        #expect(step(&pipeline, wokeUp: true, now: 5_000_000) == .work(.sync(fd: 7, path: "segment", through: 1)))
        _ = pipeline.synced(through: 1, nowNanoseconds: 0, nanoseconds: 0)
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline, now: 6_000_000) == .sleep(untilNanoseconds: 10_000_000))
    }

    @Test("with durability none nothing is synced until close")
    func noneSyncsAtClose() throws {
        var pipeline = makePipeline(durability: .none, workers: 1)
        try enqueue(1, into: &pipeline)
        _ = try writeQueued(&pipeline)
        #expect(step(&pipeline) == .sleep(untilNanoseconds: nil))
        _ = pipeline.close(closer: 1)
        #expect(step(&pipeline, wokeUp: true) == .work(.sync(fd: 7, path: "segment", through: 1)))
        _ = pipeline.synced(through: 1, nowNanoseconds: 0, nanoseconds: 0)
        #expect(step(&pipeline) == .work(.stop(last: true)))
    }
}

extension CommitPipeline.DurabilityCheck {
    var isWaiting: Bool {
        if case .waiting = self { return true }
        return false
    }

    var isDurable: Bool {
        if case .durable = self { return true }
        return false
    }
}
