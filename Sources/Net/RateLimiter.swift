import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Token buckets per client address and rate limit, in memory: each limit allows its requests a minute from one
/// address, refilled continuously. At most `maxTrackedClients` buckets are kept; the least recently used
/// go first, so that many addresses cannot grow memory without bound.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedNanoseconds: UInt64
    }

    private struct Key: Hashable {
        let limit: RateLimit
        let client: String
    }

    private let maxTrackedClients: Int
    private let buckets = Mutex<[Key: Bucket]>([:])
    /// Nanoseconds on a monotonic clock; injected in tests, so that a limit never depends on how fast the
    /// machine runs them.
    private let nowNanoseconds: @Sendable () -> UInt64

    package init(
        maxTrackedClients: Int = 100_000,
        nowNanoseconds: @escaping @Sendable () -> UInt64 = RateLimiter.monotonicNanoseconds
    ) {
        self.maxTrackedClients = maxTrackedClients
        self.nowNanoseconds = nowNanoseconds
    }

    /// Takes one request from the bucket; returns nil when allowed, or the seconds to wait.
    func take(_ limit: RateLimit, client: String) -> Int? {
        let capacity = Double(limit.requestsPerMinute)
        let perNanosecond = capacity / 60e9
        let now = nowNanoseconds()
        return buckets.withLock { buckets -> Int? in
            let key = Key(limit: limit, client: client)
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedNanoseconds: now)
            bucket.tokens = min(
                capacity, bucket.tokens + Double(now - min(now, bucket.updatedNanoseconds)) * perNanosecond)
            bucket.updatedNanoseconds = now
            if buckets[key] == nil && buckets.count >= maxTrackedClients { evictOldest(&buckets) }
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / perNanosecond / 1e9).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    private func evictOldest(_ buckets: inout [Key: Bucket]) {
        let oldest = buckets.sorted { $0.value.updatedNanoseconds < $1.value.updatedNanoseconds }
            .prefix(max(1, buckets.count / 10)).map(\.key)
        for key in oldest { buckets[key] = nil }
    }

    /// The system's monotonic clock, in nanoseconds.
    package static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
