import Histogram

/// Latencies in microseconds, recorded into an HdrHistogram (1 µs to 60 s, three significant digits).
struct LatencyHistogram: Sendable {
    private(set) var histogram = Histogram<UInt64>(
        highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(max(1, nanoseconds / 1000))
    }

    mutating func record(nanoseconds: UInt64, count: Int) {
        _ = histogram.record(max(1, nanoseconds / 1000), count: UInt64(count))
    }

    mutating func merge(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    var count: UInt64 { histogram.totalCount }

    /// The value at `percentile` (0–100), in milliseconds.
    func milliseconds(at percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
}

extension LatencyHistogram {
    /// The largest latency recorded, in milliseconds.
    var maxMilliseconds: Double { Double(histogram.max) / 1000 }
}
