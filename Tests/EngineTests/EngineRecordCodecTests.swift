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
        // Version 1 wrote no resources: the list is the last byte (empty), the version the first.
        #expect(issued.last == 0)
        issued.removeLast()
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

    @Test("an unknown record type or format version is refused")
    func unknownTypeOrVersion() {
        let bytes = Fixtures.everyRecordType[0].encoded()
        #expect(throws: RecordDecodingError.self) {
            try bytes.withUnsafeBytes { try EngineRecord(type: 999, payload: $0) }
        }
        var future = bytes
        future[0] = 3
        #expect(throws: RecordDecodingError.self) {
            try future.withUnsafeBytes { try EngineRecord(type: 1, payload: $0) }
        }
    }
}
