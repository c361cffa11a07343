import Auth
import Benchmark
import Engine
import Foundation
import NIOHTTP1
import Net
import Synchronization
import WAL

/// The hot building blocks, each with its wall-clock time, instructions and allocations, so that a regression
/// in any of them shows before it reaches an HTTP figure. Run: `cd Benchmarks && swift package benchmark`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .throughput],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let fixture = Fixture()

    // The log: every record is checksummed on write and on replay.
    for size in [256, 4096] {
        let bytes = [UInt8](repeating: 0xA5, count: size)
        Benchmark("CRC32C \(size) B") { benchmark in
            for _ in benchmark.scaledIterations {
                bytes.withUnsafeBytes { blackHole(CRC32C.extend(0, $0)) }
            }
        }
    }

    // Records: encoded on every change, decoded on every replayed one.
    Benchmark("record encode (session refreshed)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(fixture.refreshRecord.encoded()) }
    }
    Benchmark("record decode (session refreshed)") { benchmark in
        let payload = fixture.refreshRecord.encoded()
        let type = fixture.refreshRecord.type.rawValue
        for _ in benchmark.scaledIterations {
            payload.withUnsafeBytes { blackHole(try? EngineRecord(type: type, payload: $0)) }
        }
    }
    Benchmark("record encode (user registered)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(fixture.registerRecord.encoded()) }
    }

    // A shard applying a refresh: what every refresh and every replayed refresh costs the state.
    Benchmark("shard apply (session refreshed)") { benchmark in
        var state = fixture.state
        var lsn: LSN = 2
        for _ in benchmark.scaledIterations {
            lsn += 1
            state.apply(fixture.refreshRecord, lsn: lsn)
        }
        blackHole(state)
    }

    // Tokens: an access token signed per login and refresh, verified per authenticated request.
    Benchmark("JWT sign HS256") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(fixture.hs256.sign(fixture.claims)) }
    }
    Benchmark("JWT sign EdDSA") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(fixture.eddsa.sign(fixture.claims)) }
    }

    // Verification, first sight: more distinct tokens than the verified-token cache holds, taken in turn,
    // so every one misses it. Then the cached case: the same token again.
    for (name, signer, tokens) in [
        ("HS256", fixture.hs256, fixture.hs256Tokens), ("EdDSA", fixture.eddsa, fixture.eddsaTokens),
    ] {
        let cursor = Cursor()
        Benchmark("JWT verify \(name), not cached") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try? signer.verify(tokens[cursor.next() % tokens.count], nowSeconds: fixture.now))
            }
        }
        Benchmark("JWT verify \(name), cached") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try? signer.verify(tokens[0], nowSeconds: fixture.now)) }
        }
    }

    // A refresh token as presented: parsed, then its secret's SHA-256 (what the session compares).
    Benchmark("refresh token parse + digest") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(SecretToken(parsing: fixture.refreshToken)?.digest) }
    }

    // The router, for a fixed path and for one with a parameter.
    Benchmark("router lookup /api/v1/auth/refresh") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(fixture.router.match(.POST, path: "/api/v1/auth/refresh")) }
    }
    Benchmark("router lookup /api/v1/sessions/{id}") { benchmark in
        let path = "/api/v1/sessions/\(UUID().uuidString.lowercased())"
        for _ in benchmark.scaledIterations { blackHole(fixture.router.match(.DELETE, path: path)) }
    }
}

/// A position that goes on from one sample to the next.
final class Cursor: Sendable {
    private let position = Atomic<Int>(0)
    func next() -> Int { position.add(1, ordering: .relaxed).oldValue }
}

/// What the benchmarks work on, made once.
struct Fixture: Sendable {
    let now = Int64(Date().timeIntervalSince1970)
    let state: ShardState
    let refreshRecord: EngineRecord
    let registerRecord: EngineRecord
    let claims: AccessClaims
    let hs256: AccessTokenSigner
    let eddsa: AccessTokenSigner
    /// More distinct tokens than the verified-token cache holds (16,384).
    let hs256Tokens: [String]
    let eddsaTokens: [String]
    let refreshToken: String
    let router: Router

    init() {
        let user = User(
            id: UUID(), email: "bench@example.com", passwordHash: String(repeating: "x", count: 60),
            firstName: "Bench", lastName: "User", phoneNumber: nil, isActive: true, isSuperuser: false,
            preferences: nil, locale: nil, createdAtMilliseconds: 1, updatedAtMilliseconds: 1,
            deletedAtMilliseconds: nil)
        let session = Session(
            id: UUID(), userID: user.id, deviceName: "laptop", deviceID: "device-1",
            ipAddress: "10.0.0.1", createdAtMilliseconds: 1, expiresAtMilliseconds: .max / 2,
            refreshDigest: SecretDigest(word0: 1, word1: 2, word2: 3, word3: 4))
        var state = ShardState()
        state.apply(.userRegistered(user), lsn: 1)
        state.apply(.sessionCreated(session), lsn: 2)
        self.state = state
        registerRecord = .userRegistered(user)
        refreshRecord = .sessionRefreshed(
            userID: user.id, sessionID: session.id,
            newDigest: SecretDigest(word0: 5, word1: 6, word2: 7, word3: 8),
            atMilliseconds: 2, expiresAtMilliseconds: .max / 2)
        claims = AccessClaims(
            userID: user.id, sessionID: session.id, issuedAt: now, expiresAt: now + 900,
            tokenID: UUID(), isSuperuser: false, email: user.email, firstName: user.firstName)
        hs256 = AccessTokenSigner(key: (0..<32).map { UInt8($0) }, issuer: "https://tessera.example")
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-keys-\(UUID())").path
        let ring = try! SigningKeyRing(directory: keys, nowSeconds: now, rotationSeconds: nil, retentionSeconds: 900)
        eddsa = AccessTokenSigner(method: .eddsa(ring), issuer: "https://tessera.example")
        let claims = claims, hs256 = hs256, eddsa = eddsa
        func distinct(_ signer: AccessTokenSigner) -> [String] {
            (0..<20_000).map { index in
                signer.sign(
                    AccessClaims(
                        userID: claims.userID, sessionID: claims.sessionID, issuedAt: claims.issuedAt,
                        expiresAt: claims.expiresAt + Int64(index), tokenID: UUID(), isSuperuser: false,
                        email: claims.email, firstName: claims.firstName))
            }
        }
        hs256Tokens = distinct(hs256)
        eddsaTokens = distinct(eddsa)
        refreshToken = session.id.uuidString.lowercased() + "." + String(repeating: "A", count: 43)
        router = Router { root in
            for path in [
                "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/users/me",
                "/api/v1/users/{user_id}", "/api/v1/sessions/me", "/api/v1/sessions/{session_id}",
                "/api/v1/organizations/{org_id}", "/api/v1/organizations/{org_id}/members/{user_id}",
            ] {
                for method in [HTTPMethod.GET, .POST, .DELETE] {
                    root.on(method, path) { _, _ in HTTPResponse(status: .ok) }
                }
            }
        }
    }
}
