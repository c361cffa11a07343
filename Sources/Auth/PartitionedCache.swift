import Synchronization

/// A bounded map for the hot paths' remembered results (verified tokens, introspection answers, client
/// authentications): split into 16 independently locked parts, chosen by `part` — so that two event loops
/// rarely wait for each other — each forgetting its oldest entry when full (a ring of slots, no per-entry
/// bookkeeping). A key stored again keeps its first value and place.
package final class PartitionedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entries {
        var values: [Key: Value] = [:]
        /// Insertion order, for eviction (a ring of `capacity` slots).
        var order: [Key?]
        var next = 0
    }

    /// One independently locked part (a class: a `Mutex` cannot sit in an array).
    private final class Part: Sendable {
        let entries: Mutex<Entries>
        init(capacity: Int) { entries = Mutex(Entries(order: Array(repeating: nil, count: capacity))) }
    }

    private static var partCount: Int { 16 }
    private let partCapacity: Int
    private let parts: [Part]
    private let partIndex: @Sendable (Key) -> Int

    /// At most `capacity` entries; `part` spreads keys over the parts (any integer; taken modulo their number).
    package init(capacity: Int, part: @escaping @Sendable (Key) -> Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        partCapacity = max(1, capacity / Self.partCount)
        parts = (0..<Self.partCount).map { [partCapacity] _ in Part(capacity: partCapacity) }
        partIndex = part
    }

    private func part(for key: Key) -> Part {
        parts[Int(UInt(bitPattern: partIndex(key)) % UInt(Self.partCount))]
    }

    package func value(for key: Key) -> Value? { part(for: key).entries.withLock { $0.values[key] } }

    package func store(_ value: Value, for key: Key) {
        let capacity = partCapacity
        part(for: key).entries.withLock { entries in
            guard entries.values.updateValue(value, forKey: key) == nil else { return }
            if let evicted = entries.order[entries.next] { entries.values[evicted] = nil }
            entries.order[entries.next] = key
            entries.next = (entries.next + 1) % capacity
        }
    }
}
