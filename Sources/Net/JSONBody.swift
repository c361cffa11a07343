import Foundation

/// Request bodies in, response bodies out. Routes off the hot path use Foundation's coders with explicit
/// snake_case keys; a body that does not decode is answered 422 VAL_001 naming the field.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws(APIError) -> T {
        let bytes = request.body.getBytes(at: request.body.readerIndex, length: request.body.readableBytes) ?? []
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw validationError(error)
        } catch {
            throw APIError(.unprocessableEntity, "VAL_001", "the body is not valid JSON")
        }
    }

    static func validationError(_ error: DecodingError) -> APIError {
        func field(_ path: [any CodingKey]) -> String? { path.last.map(\.stringValue) }
        switch error {
        case .keyNotFound(let key, let context):
            return APIError(
                .unprocessableEntity, "VAL_001", "field required",
                field: field(context.codingPath + [key]))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return APIError(
                .unprocessableEntity, "VAL_001", "wrong type or missing value", field: field(context.codingPath))
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? APIError(.unprocessableEntity, "VAL_001", "the body is not valid JSON")
                : APIError(.unprocessableEntity, "VAL_001", "invalid value", field: field(context.codingPath))
        @unknown default:
            return APIError(.unprocessableEntity, "VAL_001", "invalid body")
        }
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own response types cannot fail; an empty object would be a bug worth seeing in tests.
        return (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }
}

extension KeyedDecodingContainer {
    /// The value of an optional field that may be absent but, when present, may not be null: the document
    /// says which fields are nullable, and a null where it says not is refused like a wrong type.
    func decodeUnlessAbsent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        return try decode(T.self, forKey: key)
    }
}

/// Unix milliseconds as ISO 8601 UTC, `2026-11-27T20:13:30Z`.
func iso8601(milliseconds: Int64) -> String {
    let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondsOfDay = seconds - days * 86_400
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let dayOfEra = days - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return
        "\(year)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay % 3600 / 60)):\(two(secondsOfDay % 60))Z"
}

/// Any JSON value, for the free-form `preferences` object.
indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
