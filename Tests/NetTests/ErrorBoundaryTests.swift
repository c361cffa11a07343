import Auth
import Engine
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Social
import Synchronization
import Testing

@testable import Net

@Suite("Every error a route throws becomes one answer, in one place")
struct ErrorBoundaryTests {
    static func envelope(
        _ error: any Error, style: ErrorStyle = .envelope,
        context: RequestContext? = nil
    ) -> (status: Int, code: String?, field: String?) {
        let response = ErrorBoundary.answer(for: error, style: style, context: context).response
        let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        let entry = (json?["errors"] as? [[String: Any]])?.first
        return (Int(response.status.code), entry?["code"] as? String, entry?["field"] as? String)
    }

    @Test(
        "credential errors answer the contract's codes",
        arguments: [
            (AuthError(.invalidCredentials, "x"), 401, "AUTH_001"), (AuthError(.tokenExpired, "x"), 401, "AUTH_002"),
            (AuthError(.tokenInvalid, "x"), 401, "AUTH_003"), (AuthError(.userInactive, "x"), 403, "AUTH_005"),
            (AuthError(.weakPassword, "x"), 422, "VAL_002"), (AuthError(.emailTaken, "x"), 409, "USER_002"),
            (AuthError(.notFound, "x"), 404, "SYS_002"), (AuthError(.forbidden, "x"), 403, "AUTH_004"),
            (AuthError(.wrongCurrentPassword, "x"), 403, "AUTH_001"), (AuthError(.accountLocked, "x"), 429, "SYS_004"),
            (AuthError(.unavailable, "x"), 503, "SYS_007"),
        ])
    func authErrors(error: AuthError, status: Int, code: String) {
        let answer = Self.envelope(error)
        #expect(answer.status == status)
        #expect(answer.code == code)
    }

    @Test(
        "engine refusals answer what they mean — not a blanket 503",
        arguments: [
            (EngineError(.userNotFound, "x"), 404, "USER_001"),
            (EngineError(.organizationNotFound, "x"), 404, "SYS_002"),
            (EngineError(.slugTaken, "x"), 409, "SYS_005"), (EngineError(.alreadyMember, "x"), 409, "SYS_005"),
            (EngineError(.notMember, "x"), 404, "SYS_002"), (EngineError(.insufficientRole, "x"), 403, "AUTH_004"),
            (EngineError(.lastOwner, "x"), 403, "AUTH_007"), (EngineError(.clientNotFound, "x"), 404, "SYS_002"),
            (EngineError(.sessionNotFound, "x"), 404, "SYS_002"), (EngineError(.notYourSession, "x"), 403, "AUTH_004"),
            (EngineError(.emailTaken, "x"), 409, "USER_002"), (EngineError(.logUnavailable, "x"), 503, "SYS_007"),
        ])
    func engineErrors(error: EngineError, status: Int, code: String) {
        let answer = Self.envelope(error)
        #expect(answer.status == status)
        #expect(answer.code == code)
    }

    @Test(
        "social login refusals answer the contract's codes",
        arguments: [
            (SocialLoginError(.unknownProvider, "x"), 404, "SYS_002"),
            (SocialLoginError(.stateInvalid, "x"), 400, "AUTH_003"),
            (SocialLoginError(.emailUnverified, "x"), 403, "AUTH_007"),
            (SocialLoginError(.alreadyLinked, "x"), 409, "USER_002"),
            (SocialLoginError(.providerUnavailable, "x"), 503, "SYS_007"),
        ])
    func socialErrors(error: SocialLoginError, status: Int, code: String) {
        let answer = Self.envelope(error)
        #expect(answer.status == status)
        #expect(answer.code == code)
    }

    @Test("a contract answer thrown by a route is answered as it is, headers included")
    func apiErrorsPassThrough() {
        let response = ErrorBoundary.answer(
            for: APIError.retryLater("wait", seconds: 7), style: .envelope,
            context: nil
        ).response
        #expect(response.status == .tooManyRequests)
        #expect(response.headers["retry-after"] == ["7"])
    }

    @Test("a body that does not decode is 422 VAL_001 naming the missing field")
    func decodingErrors() throws {
        struct Body: Decodable { let email: String }
        let error = try #require(throws: DecodingError.self) {
            try JSONDecoder().decode(Body.self, from: Data("{}".utf8))
        }
        let answer = Self.envelope(error)
        #expect(answer.status == 422)
        #expect(answer.code == "VAL_001")
        #expect(answer.field == "email")
    }

    @Test(
        "OAuth errors are RFC 6749 objects on the protocol endpoints (401 with WWW-Authenticate) and the envelope elsewhere"
    )
    func oauthErrors() {
        let response = ErrorBoundary.answer(
            for: OAuthError.invalidClient("unknown client"), style: .oauth,
            context: nil
        ).response
        #expect(response.status == .unauthorized)
        #expect(response.headers["www-authenticate"] == [#"Basic realm="tessera""#])
        #expect(response.headers["cache-control"] == ["no-store"])
        let body = String(buffer: response.body)
        #expect(body.contains(#""error":"invalid_client""#))
        #expect(!body.contains("\"success\""))
        let elsewhere = Self.envelope(OAuthError.invalidRequest("the body must be a form"))
        #expect(elsewhere.status == 422)
        #expect(elsewhere.code == "VAL_001")
    }

    @Test("an unexpected error is 500, logged with the request id and its type but never its text")
    func unexpectedErrors() {
        struct Leaky: Error, CustomStringConvertible { var description: String { "password=hunter2" } }
        let lines = CapturedLines()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        let request = RouterTests.request(.GET, "/x")
        let context = RequestContext(request: request, requestID: 42, logger: logger, trustedProxies: [])
        #expect(Self.envelope(Leaky(), context: context).status == 500)
        #expect(Self.envelope(Leaky(), context: context).code == "SYS_001")
        let oauth = ErrorBoundary.answer(for: Leaky(), style: .oauth, context: context).response
        #expect(oauth.status == .internalServerError)
        #expect(String(buffer: oauth.body).contains(#""error":"server_error""#))
        let logged = lines.all.joined(separator: "\n")
        #expect(logged.contains("request_id=42"))
        #expect(logged.contains("Leaky"))
        #expect(!logged.contains("hunter2"))
    }
}

/// Log lines kept in memory, as `message key=value …`.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func add(_ line: String) { lines.withLock { $0.append(line) } }
}

struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.add(
            ([event.message.description] + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
                .joined(separator: " "))
    }
}
