import Foundation

/// The OpenAPI 3.1 document of the HTTP API, served at `GET /api/v1/openapi.json`. It is written here by
/// hand, operation by operation, independently of the router; a test checks that the two name the same
/// operations, and another validates the document with a real OpenAPI validator.
enum OpenAPIDocument {
    struct Operation {
        let method: String
        let path: String
        let summary: String
        var authenticated = true
        var body: String?
        var success: (status: Int, schema: String?) = (200, "Message")
        var query: [String] = []
        var errors: [Int] = []
    }

    static let listQuery = ["page", "limit", "sort_by", "sort_order"]

    /// Every operation the API serves.
    static let operations: [Operation] = [
        Operation(method: "get", path: "/health", summary: "Service health", authenticated: false,
                  success: (200, "Health"), errors: [503]),
        Operation(method: "get", path: "/metrics", summary: "Prometheus metrics", authenticated: false, success: (200, nil)),
        Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document", authenticated: false,
                  success: (200, nil)),
        Operation(method: "post", path: "/api/v1/auth/register", summary: "Register", authenticated: false,
                  body: "RegisterRequest", success: (201, "User"), errors: [403, 409, 422, 429]),
        Operation(method: "post", path: "/api/v1/auth/login", summary: "Log in", authenticated: false,
                  body: "LoginRequest", success: (200, "TokenPair"), errors: [401, 403, 422, 429]),
        Operation(method: "post", path: "/api/v1/auth/login/oauth", summary: "Log in with a form (OAuth2 password style)",
                  authenticated: false, body: "LoginForm", success: (200, "TokenPair"), errors: [401, 403, 422, 429]),
        Operation(method: "post", path: "/api/v1/auth/refresh", summary: "Rotate a refresh token", authenticated: false,
                  body: "RefreshRequest", success: (200, "TokenPair"), errors: [401, 422, 429]),
        Operation(method: "post", path: "/api/v1/auth/logout", summary: "End a session", body: "RefreshRequest",
                  errors: [401, 403, 422, 429]),
        Operation(method: "post", path: "/api/v1/auth/logout-all", summary: "End every session", errors: [401, 429]),
        Operation(method: "post", path: "/api/v1/auth/password-reset/request", summary: "Mail a password reset link",
                  authenticated: false, body: "ResetRequest", errors: [422, 429]),
        Operation(method: "post", path: "/api/v1/auth/password-reset/confirm", summary: "Set a password with a reset token",
                  authenticated: false, body: "ResetConfirm", errors: [400, 422, 429]),
        Operation(method: "get", path: "/api/v1/users/me", summary: "The caller", success: (200, "User"), errors: [401]),
        Operation(method: "patch", path: "/api/v1/users/me", summary: "Edit the caller's profile", body: "ProfileUpdate",
                  success: (200, "User"), errors: [401, 403, 422]),
        Operation(method: "patch", path: "/api/v1/users/me/password", summary: "Change the caller's password",
                  body: "PasswordChange", errors: [401, 403, 422, 429]),
        Operation(method: "get", path: "/api/v1/users", summary: "List users (superuser)", success: (200, "UserPage"),
                  query: listQuery + ["is_active", "is_superuser"], errors: [401, 403, 422]),
        Operation(method: "get", path: "/api/v1/users/{user_id}", summary: "A user (self or superuser)",
                  success: (200, "User"), errors: [401, 403, 404, 422]),
        Operation(method: "patch", path: "/api/v1/users/{user_id}", summary: "Edit a user (self or superuser)",
                  body: "ProfileUpdate", success: (200, "User"), errors: [401, 403, 404, 422]),
        Operation(method: "delete", path: "/api/v1/users/{user_id}", summary: "Soft-delete a user (superuser)",
                  errors: [401, 403, 404, 422]),
        Operation(method: "get", path: "/api/v1/sessions/me", summary: "The caller's sessions", success: (200, "SessionList"),
                  errors: [401]),
        Operation(method: "delete", path: "/api/v1/sessions/{session_id}", summary: "End one of the caller's sessions",
                  errors: [401, 403, 404, 422]),
        Operation(method: "delete", path: "/api/v1/sessions/me/expired", summary: "Forget ended sessions", errors: [401]),
        Operation(method: "get", path: "/api/v1/admin/users", summary: "List users with search",
                  success: (200, "UserPage"), query: listQuery + ["is_active", "is_superuser", "search"], errors: [401, 403, 422]),
        Operation(method: "post", path: "/api/v1/admin/users", summary: "Create a user", body: "AdminCreate",
                  success: (201, "User"), errors: [401, 403, 409, 422]),
        Operation(method: "get", path: "/api/v1/admin/users/{user_id}", summary: "A user", success: (200, "User"),
                  errors: [401, 403, 404, 422]),
        Operation(method: "put", path: "/api/v1/admin/users/{user_id}", summary: "Update a user, its status and rights",
                  body: "AdminUpdate", success: (200, "User"), errors: [401, 403, 404, 422]),
        Operation(method: "delete", path: "/api/v1/admin/users/{user_id}", summary: "Soft-delete a user",
                  errors: [401, 403, 404, 422]),
        Operation(method: "post", path: "/api/v1/admin/users/{user_id}/activate", summary: "Activate a user",
                  success: (200, "User"), errors: [401, 403, 404, 422]),
        Operation(method: "post", path: "/api/v1/admin/users/{user_id}/deactivate", summary: "Deactivate a user",
                  success: (200, "User"), errors: [401, 403, 404, 422]),
        Operation(method: "post", path: "/api/v1/admin/users/bulk-action", summary: "Act on up to 100 users",
                  body: "BulkAction", success: (200, "BulkResult"), errors: [401, 403, 422]),
        Operation(method: "get", path: "/api/v1/admin/sessions", summary: "Every session with its user",
                  success: (200, "AdminSessionPage"), query: listQuery + ["is_active"], errors: [401, 403, 422]),
    ]

    static func string(_ format: String? = nil) -> [String: Any] { format.map { ["type": "string", "format": $0] } ?? ["type": "string"] }
    static var nullableString: [String: Any] { ["type": ["string", "null"]] }
    static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static var schemas: [String: Any] {
        let user = object([
            "id": string("uuid"), "email": string(), "first_name": string(), "last_name": nullableString,
            "phone_number": nullableString, "is_active": ["type": "boolean"], "is_superuser": ["type": "boolean"],
            "preferences": ["type": ["object", "null"]], "locale": nullableString,
            "created_at": string("date-time"), "updated_at": string("date-time"),
        ], required: ["id", "email", "first_name", "is_active", "is_superuser", "created_at", "updated_at"])
        let pagination = object(["total": ["type": "integer"], "page": ["type": "integer"], "page_size": ["type": "integer"],
                                 "total_pages": ["type": "integer"], "has_next": ["type": "boolean"],
                                 "has_prev": ["type": "boolean"]])
        let session = object(["id": string("uuid"), "device_name": nullableString, "device_id": nullableString,
                              "ip_address": nullableString, "location_city": nullableString, "location_country": nullableString,
                              "last_used_at": string("date-time"), "created_at": string("date-time"),
                              "expires_at": string("date-time"), "is_current": ["type": "boolean"]])
        let adminSession = object(["id": string("uuid"), "user_id": string("uuid"), "user_email": string(),
                                   "user_full_name": string(), "device_name": nullableString, "ip_address": nullableString,
                                   "is_active": ["type": "boolean"], "created_at": string("date-time"),
                                   "last_used_at": string("date-time"), "expires_at": string("date-time")])
        let profile: [String: Any] = ["first_name": string(), "last_name": nullableString, "phone_number": nullableString,
                                      "preferences": ["type": ["object", "null"]], "locale": nullableString]
        var adminUpdate = profile
        adminUpdate["is_active"] = ["type": "boolean"]
        adminUpdate["is_superuser"] = ["type": "boolean"]
        return [
            "Error": object(["success": ["type": "boolean", "const": false],
                             "errors": ["type": "array", "items": object(["code": string(), "message": string(),
                                                                           "field": nullableString],
                                                                          required: ["code", "message", "field"])]],
                            required: ["success", "errors"]),
            "Message": object(["success": ["type": "boolean"], "message": string(), "count": ["type": "integer"]],
                              required: ["success", "message"]),
            "Health": object(["status": string(), "timestamp": string("date-time"), "version": string(),
                              "durability": string(), "checks": ["type": "object", "additionalProperties": string()]]),
            "User": user,
            "TokenPair": object(["access_token": string(), "refresh_token": string(), "token_type": string(),
                                 "expires_in": ["type": "integer"], "user": ref("User")],
                                required: ["access_token", "refresh_token", "token_type", "expires_in", "user"]),
            "Pagination": pagination,
            "UserPage": object(["data": ["type": "array", "items": ref("User")], "pagination": ref("Pagination")]),
            "Session": session,
            "SessionList": object(["sessions": ["type": "array", "items": ref("Session")], "total": ["type": "integer"]]),
            "AdminSession": adminSession,
            "AdminSessionPage": object(["data": ["type": "array", "items": ref("AdminSession")], "pagination": ref("Pagination")]),
            "RegisterRequest": object(["email": string("email"), "password": string(), "first_name": string(),
                                       "last_name": nullableString, "phone_number": nullableString,
                                       "is_superuser": ["type": "boolean", "const": false]],
                                      required: ["email", "password", "first_name"]),
            "LoginRequest": object(["email": string(), "password": string()], required: ["email", "password"]),
            "LoginForm": object(["username": string(), "password": string()], required: ["username", "password"]),
            "RefreshRequest": object(["refresh_token": string()], required: ["refresh_token"]),
            "ResetRequest": object(["email": string()], required: ["email"]),
            "ResetConfirm": object(["token": string(), "new_password": string()], required: ["token", "new_password"]),
            "ProfileUpdate": object(profile),
            "PasswordChange": object(["current_password": string(), "new_password": string()],
                                     required: ["current_password", "new_password"]),
            "AdminCreate": object(["email": string("email"), "password": string(), "first_name": string(),
                                   "is_superuser": ["type": "boolean"]], required: ["email", "password", "first_name"]),
            "AdminUpdate": object(adminUpdate),
            "BulkAction": object(["action": ["type": "string", "enum": ["activate", "deactivate", "delete"]],
                                  "user_ids": ["type": "array", "items": string(), "minItems": 1, "maxItems": 100]],
                                 required: ["action", "user_ids"]),
            "BulkResult": object(["success": ["type": "boolean"], "affected_count": ["type": "integer"],
                                  "failed_count": ["type": "integer"], "message": string(),
                                  "failed_ids": ["type": "array", "items": string()]]),
        ]
    }

    static func operationObject(_ operation: Operation) -> [String: Any] {
        var result: [String: Any] = ["summary": operation.summary,
                                     "operationId": operation.method + operation.path.replacingOccurrences(of: "/", with: "_")
                                         .replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
                                         .replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")]
        var parameters: [[String: Any]] = []
        for name in ["user_id", "session_id"] where operation.path.contains("{\(name)}") {
            parameters.append(["name": name, "in": "path", "required": true, "schema": string("uuid")])
        }
        for name in operation.query {
            let schema: [String: Any] = switch name {
            case "page": ["type": "integer", "minimum": 1]
            case "limit": ["type": "integer", "minimum": 1, "maximum": 100]
            case "sort_order": ["type": "string", "enum": ["asc", "desc"]]
            case "is_active", "is_superuser": ["type": "boolean"]
            default: string()
            }
            parameters.append(["name": name, "in": "query", "required": false, "schema": schema])
        }
        if !parameters.isEmpty { result["parameters"] = parameters }
        if let body = operation.body {
            let type = body == "LoginForm" ? "application/x-www-form-urlencoded" : "application/json"
            result["requestBody"] = ["required": true, "content": [type: ["schema": ref(body)]]]
        }
        var responses: [String: Any] = [:]
        var success: [String: Any] = ["description": "Success"]
        if let schema = operation.success.schema { success["content"] = ["application/json": ["schema": ref(schema)]] }
        responses[String(operation.success.status)] = success
        for status in operation.errors + [413] {
            responses[String(status)] = ["description": "Error", "content": ["application/json": ["schema": ref("Error")]]]
        }
        result["responses"] = responses
        if operation.authenticated { result["security"] = [["bearer": [String]()]] }
        return result
    }

    /// The document as JSON.
    static func json(version: String) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations { paths[operation.path, default: [:]][operation.method] = operationObject(operation) }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "Tessera", "version": version,
                     "description": "Authentication engine: users, sessions, tokens, administration."],
            "paths": paths,
            "components": ["schemas": schemas,
                           "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]]],
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])).map(Array.init) ?? []
    }
}
