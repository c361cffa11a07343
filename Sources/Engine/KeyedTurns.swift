/// Turns per key: one holder at a time for each key, the others waiting in order. Social login takes the turn
/// of an identity while it decides whether that identity signs someone in, links, or makes a user, so that two
/// first sign-ins of one person at once cannot both make a user (the second waits, then finds the first's); the
/// engine takes the turn of a metadata document's URL while it records the client the document describes.
package actor KeyedTurns<Key: Hashable & Sendable> {
    package init() {}

    /// The waiters of each key that has a holder (an empty list: held, nobody waiting).
    private var queues: [Key: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits for `key`'s turn.
    package func acquire(_ key: Key) async {
        guard queues[key] != nil else {
            queues[key] = []
            return
        }
        await withCheckedContinuation { queues[key, default: []].append($0) }
    }

    /// Ends the holder's turn: the next waiter's begins.
    package func release(_ key: Key) {
        guard var waiting = queues[key], !waiting.isEmpty else {
            queues[key] = nil
            return
        }
        let next = waiting.removeFirst()
        queues[key] = waiting
        next.resume()
    }
}
