import Auth
import Foundation
package import NIOHTTP1

/// An error answer in the contract's envelope:
/// `{"success": false, "errors": [{"code": "AUTH_001", "message": "…", "field": null}]}`.
package struct APIError: Error, Sendable {
    package struct Entry: Sendable, Encodable {
        package let code: String
        package let message: String
        package let field: String?

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try container.encode(field, forKey: .field)
        }

        enum CodingKeys: String, CodingKey { case code, message, field }
    }

    package let status: HTTPResponseStatus
    package let entries: [Entry]
    package var headers: HTTPHeaders = [:]
    /// A body in another form than the envelope (the OAuth provider's RFC 6749 errors).
    private var otherBody: [UInt8]?

    package init(_ status: HTTPResponseStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        entries = [Entry(code: code, message: message, field: field)]
    }

    package init(_ status: HTTPResponseStatus, entries: [Entry]) {
        self.status = status
        self.entries = entries
    }

    /// An OAuth provider error: `{"error": …, "error_description": …}` with its status.
    init(oauth error: OAuthError) {
        status = HTTPResponseStatus(statusCode: error.status)
        entries = []
        otherBody = JSONBody.encode(["error": error.error, "error_description": error.description])
    }

    package var response: HTTPResponse {
        var headers = headers
        // RFC 9110 §10.2.3: a 503 says when to try again (a change not acknowledged is tried again by the client).
        if status == .serviceUnavailable && !headers.contains(name: "retry-after") {
            headers.add(name: "retry-after", value: "1")
        }
        if let otherBody {
            var response = HTTPResponse.json(status, otherBody)
            response.headers.add(contentsOf: headers)
            return response
        }
        struct Envelope: Encodable {
            let success = false
            let errors: [Entry]
        }
        let bytes =
            (try? JSONEncoder().encode(Envelope(errors: entries))).map(Array.init)
            ?? Array(#"{"success":false,"errors":[]}"#.utf8)
        var response = HTTPResponse.json(status, bytes)
        response.headers.add(contentsOf: headers)
        return response
    }

    static let notFound = APIError(.notFound, "SYS_002", "no such resource")
    static let methodNotAllowed = APIError(.methodNotAllowed, "SYS_003", "method not allowed")
    static let tooLarge = APIError(.payloadTooLarge, "SYS_006", "the request body is too large")
    /// The bodies of the requests under way fill the server's budget for them.
    static let noRoomForBody = APIError(
        .serviceUnavailable, "SYS_007", "too many request bodies are being read; try again")
    static let internalError = APIError(.internalServerError, "SYS_001", "internal error")
    static let authenticationRequired = APIError(.unauthorized, "AUTH_006", "authentication required")
    static let forbidden = APIError(.forbidden, "AUTH_004", "insufficient permissions")

    /// 429 SYS_004 with `Retry-After`.
    static func retryLater(_ message: String, seconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, "SYS_004", message)
        error.headers.add(name: "retry-after", value: String(seconds))
        return error
    }
}
