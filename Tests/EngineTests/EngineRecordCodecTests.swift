import Engine
import FoundationEssentials
import Testing

@Suite("Engine records encode and decode exactly")
struct EngineRecordCodecTests {
    @Test("every record type decodes to what was encoded")
    func roundTrip() throws {
        #expect(Set(Fixtures.everyRecordType.map(\.type)) == Set(EngineRecordType.allCases))
        for record in Fixtures.everyRecordType {
            let bytes = record.encoded()
            let decoded = try bytes.withUnsafeBytes { try EngineRecord(type: record.type.rawValue, payload: $0) }
            #expect(decoded == record)
        }
    }

    @Test("a payload cut short at any length, or with bytes after it, is a decoding error, never a crash")
    func truncatedPayloads() {
        for record in Fixtures.everyRecordType {
            let bytes = record.encoded()
            for length in 0..<bytes.count {
                #expect(throws: RecordDecodingError.self) {
                    try Array(bytes[0..<length]).withUnsafeBytes {
                        try EngineRecord(type: record.type.rawValue, payload: $0)
                    }
                }
            }
            #expect(throws: RecordDecodingError.self) {
                try (bytes + [0]).withUnsafeBytes { try EngineRecord(type: record.type.rawValue, payload: $0) }
            }
        }
    }

    @Test("records of version 1 (before resources) still decode: a code and a consent without resources")
    func versionOneCodes() throws {
        let code = Fixtures.code(1, of: 1)
        var issued = EngineRecord.authorizationCodeIssued(code).encoded()
        // Version 1 wrote no resources nor authentication: the empty list and the absent authentication are the
        // last two bytes, the version the first.
        #expect(issued.suffix(2) == [0, 0])
        issued.removeLast(2)
        issued[0] = 1
        let decoded = try issued.withUnsafeBytes {
            try EngineRecord(type: EngineRecordType.authorizationCodeIssued.rawValue, payload: $0)
        }
        #expect(decoded == .authorizationCodeIssued(code))

        let consent = Consent(clientID: Fixtures.uuid(221), scope: "read", grantedAtMilliseconds: 6_850)
        var granted = EngineRecord.consentGranted(userID: Fixtures.uuid(1), consent: consent).encoded()
        #expect(granted.last == 0)
        granted.removeLast()
        granted[0] = 1
        let decodedConsent = try granted.withUnsafeBytes {
            try EngineRecord(type: EngineRecordType.consentGranted.rawValue, payload: $0)
        }
        #expect(decodedConsent == .consentGranted(userID: Fixtures.uuid(1), consent: consent))
    }

    @Test(
        "records of version 2 (before OpenID Connect) still decode: a code and a grant without authentication, a client without OpenID settings"
    )
    func versionTwoRecords() throws {
        func decoded(_ record: EngineRecord, dropping suffix: [UInt8]) throws -> EngineRecord {
            var bytes = record.encoded()
            #expect(Array(bytes.suffix(suffix.count)) == suffix)
            bytes.removeLast(suffix.count)
            bytes[0] = 2
            return try bytes.withUnsafeBytes { try EngineRecord(type: record.type.rawValue, payload: $0) }
        }
        var code = Fixtures.code(1, of: 1)
        code.resources = ["https://mcp.example/"]
        #expect(try decoded(.authorizationCodeIssued(code), dropping: [0]) == .authorizationCodeIssued(code))
        let client = Fixtures.client(1)
        // The default settings: no post-logout URIs, no back-channel URI, RS256.
        let settings: [UInt8] = [0, 0, 5] + Array("RS256".utf8)
        #expect(try decoded(.clientRegistered(client), dropping: settings) == .clientRegistered(client))

        var current = Fixtures.code(2, of: 1)
        current.authentication = Authentication(atMilliseconds: 6_000, sessionID: Fixtures.uuid(9), nonce: "n-1")
        let roundTrip = try EngineRecord.authorizationCodeIssued(current).encoded().withUnsafeBytes {
            try EngineRecord(type: EngineRecordType.authorizationCodeIssued.rawValue, payload: $0)
        }
        #expect(roundTrip == .authorizationCodeIssued(current), "and version 3 keeps the authentication")
    }

    @Test("an unknown record type or format version is refused")
    func unknownTypeOrVersion() {
        let bytes = Fixtures.everyRecordType[0].encoded()
        #expect(throws: RecordDecodingError.self) {
            try bytes.withUnsafeBytes { try EngineRecord(type: 999, payload: $0) }
        }
        var future = bytes
        future[0] = 4
        #expect(throws: RecordDecodingError.self) {
            try future.withUnsafeBytes { try EngineRecord(type: 1, payload: $0) }
        }
    }
}
