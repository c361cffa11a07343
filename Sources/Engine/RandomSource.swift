import Synchronization

/// Where the engine draws ids and secrets: the system's CSPRNG, or a seeded generator in tests.
package final class RandomSource: Sendable {
    private enum Kind {
        case system
        case seeded(state: UInt64)
    }

    private let kind: Mutex<Kind>

    private init(_ kind: Kind) { self.kind = Mutex(kind) }

    /// The operating system's cryptographically secure generator.
    package static var system: RandomSource { RandomSource(.system) }

    /// A deterministic generator (SplitMix64) for tests; never for secrets.
    package static func seeded(_ seed: UInt64) -> RandomSource { RandomSource(.seeded(state: seed)) }

    package func next() -> UInt64 {
        kind.withLock { kind in
            switch kind {
            case .system:
                var generator = SystemRandomNumberGenerator()
                return generator.next()
            case .seeded(var state):
                state &+= 0x9E37_79B9_7F4A_7C15
                kind = .seeded(state: state)
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }
    }
}

/// `RandomSource` as a `RandomNumberGenerator`.
struct RandomSourceGenerator: RandomNumberGenerator {
    let source: RandomSource
    mutating func next() -> UInt64 { source.next() }
}
