import Testing
import WAL

@testable import Cluster

/// The leader's replication decisions, driven event by event without threads or a database.
@Suite(
    "The replication pipeline: group commit by LSN, waits resumed once committed, retries keep the LSNs, fencing is final"
)
struct ReplicationPipelineTests {
    typealias Pipeline = ReplicationPipeline<Int>

    static let lease = ClusterLease(epoch: 3, holder: "a", address: "http://a", lastLSN: 10)

    @Test("records queued while a batch commits form the next batch; waiters resume only once their LSN committed")
    func groupCommit() throws {
        var pipeline = Pipeline(lease: Self.lease)
        let wakesFirst = pipeline.queued(lsn: 11, type: 1, payload: [1])
        let wakesSecond = pipeline.queued(lsn: 12, type: 1, payload: [2])
        #expect(wakesFirst && wakesSecond, "records queued with nothing in flight wake the committer")
        let firstBatch = pipeline.nextBatch()
        let first = try #require(firstBatch)
        #expect(first.run.firstLSN == 11 && first.run.lastLSN == 12 && first.run.seed == 3)
        let wakesDuring = pipeline.queued(lsn: 13, type: 2, payload: [3])
        #expect(!wakesDuring, "no wake while a batch is in flight")
        let second = pipeline.nextBatch()
        #expect(second == nil, "one batch at a time")
        guard case .waiting = pipeline.awaitCommit(of: 12, waiter: 1),
            case .waiting = pipeline.awaitCommit(of: 13, waiter: 2)
        else {
            Issue.record("nothing is committed yet")
            return
        }
        let resumed = pipeline.committed()
        #expect(resumed == [1])
        guard case .committed = pipeline.awaitCommit(of: 11, waiter: 9) else {
            Issue.record("11 is committed")
            return
        }
        let thirdBatch = pipeline.nextBatch()
        let third = try #require(thirdBatch)
        #expect(third.run.firstLSN == 13 && third.run.lastLSN == 13)
        let resumedLast = pipeline.committed()
        #expect(resumedLast == [2] && pipeline.committedLSN == 13)
    }

    @Test(
        "a database error fails the waiters but keeps the records: the retry commits the same LSNs, then the newer ones"
    )
    func retryKeepsLSNs() throws {
        var pipeline = Pipeline(lease: Self.lease)
        _ = pipeline.queued(lsn: 11, type: 1, payload: [1])
        _ = pipeline.queued(lsn: 12, type: 1, payload: [2])
        let attemptBatch = pipeline.nextBatch()
        let attempt = try #require(attemptBatch)
        _ = pipeline.queued(lsn: 13, type: 1, payload: [3])
        _ = pipeline.awaitCommit(of: 12, waiter: 1)
        _ = pipeline.awaitCommit(of: 13, waiter: 2)
        let failed = pipeline.failed(.database("connection refused"))
        #expect(failed.sorted() == [1, 2])
        #expect(pipeline.hasPending && pipeline.committedLSN == 10)
        let retryBatch = pipeline.nextBatch()
        let retry = try #require(retryBatch)
        #expect(retry.run.firstLSN == 11 && retry.run.lastLSN == 13)
        #expect(Array(retry.run.frames.prefix(attempt.run.frames.count)) == attempt.run.frames, "the same frames again")
        let resumed = pipeline.committed()
        #expect(resumed.isEmpty && pipeline.committedLSN == 13)
    }

    @Test("once fenced, every wait fails at once and nothing more is committed")
    func fencing() throws {
        var pipeline = Pipeline(lease: Self.lease)
        _ = pipeline.queued(lsn: 11, type: 1, payload: [1])
        let inFlight = pipeline.nextBatch()
        #expect(inFlight != nil)
        _ = pipeline.awaitCommit(of: 11, waiter: 1)
        let failed = pipeline.failed(.fenced(current: 4))
        #expect(failed == [1])
        let wakes = pipeline.queued(lsn: 12, type: 1, payload: [2])
        let next = pipeline.nextBatch()
        #expect(!wakes && next == nil)
        guard case .failed(.fenced(current: 4)) = pipeline.awaitCommit(of: 12, waiter: 2) else {
            Issue.record("a fenced leader acknowledges nothing")
            return
        }
        #expect(!pipeline.hasPending)
    }
}

extension ReplicationPipelineTests {
    @Test(
        "an attempt given up on that committed late: the retry, grown by records queued since, counts that prefix committed and sends the rest"
    )
    func lateCommitOfAShorterAttempt() throws {
        var pipeline = Pipeline(lease: Self.lease)
        _ = pipeline.queued(lsn: 11, type: 1, payload: [1])
        _ = pipeline.queued(lsn: 12, type: 1, payload: [2])
        let givenBatch = pipeline.nextBatch()
        let given = try #require(givenBatch)
        #expect(given.run.lastLSN == 12)
        _ = pipeline.awaitCommit(of: 12, waiter: 1)
        // No answer in time: the waiter fails, the records stay; more are queued before the retry.
        let failedWaiters = pipeline.failed(.database("timeout"))
        #expect(failedWaiters == [1])
        _ = pipeline.queued(lsn: 13, type: 1, payload: [3])
        _ = pipeline.queued(lsn: 14, type: 1, payload: [4])
        let retryBatch = pipeline.nextBatch()
        let retry = try #require(retryBatch)
        #expect(retry.run.firstLSN == 11 && retry.run.lastLSN == 14)
        _ = pipeline.awaitCommit(of: 12, waiter: 2)
        _ = pipeline.awaitCommit(of: 14, waiter: 3)
        // The first attempt's COMMIT arrived meanwhile: PostgreSQL's log ends at 12.
        let resumedEarly = pipeline.committedEarlier(through: 12)
        #expect(resumedEarly == [2])
        #expect(pipeline.committedLSN == 12)
        let restBatch = pipeline.nextBatch()
        let rest = try #require(restBatch)
        #expect(rest.run.firstLSN == 13 && rest.run.lastLSN == 14)
        #expect(try rest.run.records().map(\.payload) == [[3], [4]])
        let resumedLast = pipeline.committed()
        #expect(resumedLast == [3] && pipeline.committedLSN == 14)
        // An end outside the batch in flight is no late commit of it.
        let outside = pipeline.committedEarlier(through: 20)
        #expect(outside.isEmpty)
    }
}
