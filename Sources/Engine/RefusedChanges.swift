import Synchronization

/// Notes, for the request being answered, that the engine refused a change because this node follows a
/// cluster's leader. The HTTP layer sets one for every request a follower answers itself: whatever the layers
/// between made of the refusal (an error of their own, an error page, a redirect), the request is then answered
/// by the leader instead.
package final class RefusedChanges: Sendable {
    private let refused = Atomic<Bool>(false)

    package init() {}

    /// The note of the request being answered, if the HTTP layer set one.
    @TaskLocal package static var current: RefusedChanges?

    /// Whether a change was refused while this note was current.
    package var any: Bool { refused.load(ordering: .acquiring) }

    func note() { refused.store(true, ordering: .releasing) }
}
