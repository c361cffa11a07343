import Engine
import FoundationEssentials
import Testing

@Suite("ShardState.apply is the only way state changes")
struct ShardStateTests {
    func applied(_ records: [EngineRecord]) -> ShardState {
        var state = ShardState()
        for (index, record) in records.enumerated() { state.apply(record, lsn: UInt64(index + 1)) }
        return state
    }

    @Test("registration, profile update and session creation are reflected exactly")
    func registerAndLogIn() {
        let state = applied(Array(Fixtures.everyRecordType.prefix(4)))
        let user = state.users[Fixtures.uuid(1)]
        #expect(user?.firstName == "Ada")
        #expect(user?.lastName == "Lovelace")
        #expect(user?.phoneNumber == "+391234567890")
        #expect(user?.preferences == nil)
        #expect(user?.locale == "en")
        #expect(user?.updatedAtMilliseconds == 1_500)
        #expect(state.sessions(of: Fixtures.uuid(1)).map(\.id) == [Fixtures.uuid(101), Fixtures.uuid(102)])
        #expect(state.appliedLSN == 4)
    }

    @Test("a refresh rotates the digest and keeps the previous one for reuse detection")
    func refreshRotates() {
        let session = applied(Array(Fixtures.everyRecordType.prefix(5))).sessions[Fixtures.uuid(101)]
        #expect(session?.refreshDigest == Fixtures.digest(11))
        #expect(session?.previousRefreshDigest == Fixtures.digest(1))
        #expect(session?.generation == 1)
        #expect(session?.lastUsedAtMilliseconds == 3_000)
        #expect(session?.rotatedAtMilliseconds == 3_000)
    }

    @Test("a password change revokes every other session at once; revoke-all revokes the rest")
    func revocations() {
        let afterPassword = applied(Array(Fixtures.everyRecordType.prefix(7)))
        #expect(afterPassword.users[Fixtures.uuid(1)]?.passwordHash == "$2b$12$new")
        #expect(afterPassword.sessions[Fixtures.uuid(101)]?.revokedAtMilliseconds == nil)
        // Revoked earlier, at 3 500: a later revocation does not move the time.
        #expect(afterPassword.sessions[Fixtures.uuid(102)]?.revokedAtMilliseconds == 3_500)

        let afterAll = applied(Array(Fixtures.everyRecordType.prefix(8)))
        #expect(afterAll.sessions[Fixtures.uuid(101)]?.revokedAtMilliseconds == 5_000)
        #expect(afterAll.sessions[Fixtures.uuid(101)]?.isActive(at: 5_000) == false)
    }

    @Test("purged sessions are forgotten")
    func purge() {
        let state = applied(Fixtures.everyRecordType)
        #expect(state.sessions[Fixtures.uuid(102)] == nil)
        #expect(state.sessions(of: Fixtures.uuid(1)).map(\.id) == [Fixtures.uuid(101)])
    }

    @Test("emails are trimmed and lower-cased")
    func emailNormalization() {
        #expect(User.normalizedEmail("  Ada.Lovelace@Example.COM \n") == "ada.lovelace@example.com")
    }
}
