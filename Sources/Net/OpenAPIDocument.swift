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
        /// Served with or without a Bearer token (which changes what it does).
        var bearerOptional = false
        var body: String?
        var success: (status: Int, schema: String?) = (200, "Message")
        var query: [String] = []
        var errors: [Int] = []
        /// The schema of the error answers: the contract's envelope, or RFC 6749's object for the provider.
        var errorSchema = "Error"
        /// The media type of a page's answers (success and errors alike), instead of JSON.
        var page: String?
        /// Other answers without a JSON body: a redirect (303 to the sign-in page), an HTML page (200).
        var otherAnswers: [(status: Int, media: String?)] = []
        /// Errors also come as an HTML page, to a browser (`Accept: text/html`) rather than an API caller.
        var htmlErrorsForBrowsers = false
    }

    static let listQuery = ["page", "limit", "sort_by", "sort_order"]

    /// Every operation the API serves.
    static let operations: [Operation] =
        [
            Operation(
                method: "get", path: "/health", summary: "Service health", authenticated: false,
                success: (200, "Health"), errors: [503]),
            Operation(
                method: "get", path: "/metrics", summary: "Prometheus metrics", authenticated: false,
                success: (200, nil)),
            Operation(
                method: "get", path: "/api/v1/openapi.json", summary: "This document", authenticated: false,
                success: (200, nil)),
            Operation(
                method: "get", path: "/", summary: "What this server is (an HTML page)", authenticated: false,
                success: (200, nil), page: "text/html"),
            Operation(
                method: "get", path: "/docs", summary: "The API reference (an HTML page)", authenticated: false,
                success: (200, nil), page: "text/html"),
            Operation(
                method: "get", path: "/static/tessera.css", summary: "The pages' stylesheet", authenticated: false,
                success: (200, nil), page: "text/css"),
            Operation(
                method: "post", path: "/signout",
                summary: "End the browser's session and clear its cookie, then 303 to /signin (HTML form, CSRF token)",
                authenticated: false, body: "SignOutForm", success: (303, nil), errors: [403]),
            Operation(
                method: "get", path: "/signin", summary: "The sign-in page (HTML)", authenticated: false,
                success: (200, nil), query: ["next"], page: "text/html"),
            Operation(
                method: "post", path: "/signin",
                summary: "Sign in from the page: a browser session, then 303 to next (HTML form, with its CSRF token)",
                authenticated: false, body: "SignInForm", success: (303, nil), errors: [401, 403, 429],
                page: "text/html"),
            Operation(
                method: "get", path: "/signin/{provider}",
                summary: "Sign in with a social login provider from the page: 303 to the provider (HTML on failure)",
                authenticated: false, success: (303, nil), query: ["next"], errors: [400, 404, 429, 502, 503],
                page: "text/html"),
            Operation(
                method: "get", path: "/signin/{provider}/callback",
                summary: "The provider's way back: a browser session, then 303 to where the browser was going",
                authenticated: false, success: (303, nil), query: ["code", "state", "error"],
                errors: [400, 403, 404, 409, 429, 502, 503], page: "text/html"),
            Operation(
                method: "post", path: "/api/v1/auth/register", summary: "Register", authenticated: false,
                body: "RegisterRequest", success: (201, "User"), errors: [403, 409, 422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/login", summary: "Log in", authenticated: false,
                body: "LoginRequest", success: (200, "TokenPair"), errors: [401, 403, 422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/login/oauth", summary: "Log in with a form (OAuth2 password style)",
                authenticated: false, body: "LoginForm", success: (200, "TokenPair"), errors: [401, 403, 422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/refresh", summary: "Rotate a refresh token", authenticated: false,
                body: "RefreshRequest", success: (200, "TokenPair"), errors: [401, 422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/logout", summary: "End a session", body: "RefreshRequest",
                errors: [401, 403, 422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/logout-all", summary: "End every session", errors: [401, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/password-reset/request", summary: "Mail a password reset link",
                authenticated: false, body: "ResetRequest", errors: [422, 429]),
            Operation(
                method: "post", path: "/api/v1/auth/password-reset/confirm",
                summary: "Set a password with a reset token",
                authenticated: false, body: "ResetConfirm", errors: [400, 422, 429]),
            Operation(
                method: "get", path: "/api/v1/users/me", summary: "The caller", success: (200, "User"), errors: [401]),
            Operation(
                method: "patch", path: "/api/v1/users/me", summary: "Edit the caller's profile", body: "ProfileUpdate",
                success: (200, "User"), errors: [401, 403, 422]),
            Operation(
                method: "patch", path: "/api/v1/users/me/password", summary: "Change the caller's password",
                body: "PasswordChange", errors: [401, 403, 422, 429]),
            Operation(
                method: "get", path: "/api/v1/users", summary: "List users (superuser)", success: (200, "UserPage"),
                query: listQuery + ["is_active", "is_superuser"], errors: [401, 403, 422]),
            Operation(
                method: "get", path: "/api/v1/users/{user_id}", summary: "A user (self or superuser)",
                success: (200, "User"), errors: [401, 403, 404, 422]),
            Operation(
                method: "patch", path: "/api/v1/users/{user_id}", summary: "Edit a user (self or superuser)",
                body: "ProfileUpdate", success: (200, "User"), errors: [401, 403, 404, 422]),
            Operation(
                method: "delete", path: "/api/v1/users/{user_id}", summary: "Soft-delete a user (superuser)",
                errors: [401, 403, 404, 422]),
            Operation(
                method: "get", path: "/api/v1/sessions/me", summary: "The caller's sessions",
                success: (200, "SessionList"),
                errors: [401]),
            Operation(
                method: "delete", path: "/api/v1/sessions/{session_id}", summary: "End one of the caller's sessions",
                errors: [401, 403, 404, 422]),
            Operation(
                method: "delete", path: "/api/v1/sessions/me/expired", summary: "Forget ended sessions", errors: [401]),
            Operation(
                method: "get", path: "/api/v1/admin/users", summary: "List users with search",
                success: (200, "UserPage"), query: listQuery + ["is_active", "is_superuser", "search"],
                errors: [401, 403, 422]),
            Operation(
                method: "post", path: "/api/v1/admin/users", summary: "Create a user", body: "AdminCreate",
                success: (201, "User"), errors: [401, 403, 409, 422]),
            Operation(
                method: "get", path: "/api/v1/admin/users/{user_id}", summary: "A user", success: (200, "User"),
                errors: [401, 403, 404, 422]),
            Operation(
                method: "put", path: "/api/v1/admin/users/{user_id}", summary: "Update a user, its status and rights",
                body: "AdminUpdate", success: (200, "User"), errors: [401, 403, 404, 422]),
            Operation(
                method: "delete", path: "/api/v1/admin/users/{user_id}", summary: "Soft-delete a user",
                errors: [401, 403, 404, 422]),
            Operation(
                method: "post", path: "/api/v1/admin/users/{user_id}/activate", summary: "Activate a user",
                success: (200, "User"), errors: [401, 403, 404, 422]),
            Operation(
                method: "post", path: "/api/v1/admin/users/{user_id}/deactivate", summary: "Deactivate a user",
                success: (200, "User"), errors: [401, 403, 404, 422]),
            Operation(
                method: "post", path: "/api/v1/admin/users/bulk-action", summary: "Act on up to 100 users",
                body: "BulkAction", success: (200, "BulkResult"), errors: [401, 403, 422]),
            Operation(
                method: "get", path: "/api/v1/admin/sessions", summary: "Every session with its user",
                success: (200, "AdminSessionPage"), query: listQuery + ["is_active"], errors: [401, 403, 422]),
            Operation(
                method: "get", path: "/api/v1/admin/stats", summary: "Dashboard statistics",
                success: (200, "AdminStats"), errors: [401, 403]),
        ] + organizationOperations + adminOrganizationOperations + oauthOperations + socialLoginOperations

    static let organizationOperations: [Operation] = [
        Operation(
            method: "get", path: "/api/v1/organizations/me", summary: "The caller's organizations and roles",
            success: (200, "OrganizationList"), errors: [401]),
        Operation(
            method: "post", path: "/api/v1/organizations", summary: "Create an organization (the caller owns it)",
            body: "OrganizationCreate", success: (201, "Organization"), errors: [401, 403, 409, 422]),
        Operation(
            method: "get", path: "/api/v1/organizations/{org_id}", summary: "An organization (members)",
            success: (200, "Organization"), errors: [401, 403, 404, 422]),
        Operation(
            method: "put", path: "/api/v1/organizations/{org_id}", summary: "Update an organization (owner or admin)",
            body: "OrganizationUpdate", success: (200, "Organization"), errors: [401, 403, 404, 409, 422]),
        Operation(
            method: "get", path: "/api/v1/organizations/{org_id}/members", summary: "Members (members)",
            success: (200, "MemberPage"), query: listQuery, errors: [401, 403, 404, 422]),
        Operation(
            method: "post", path: "/api/v1/organizations/{org_id}/members", summary: "Add a member (owner or admin)",
            body: "MemberAdd", success: (201, "Member"), errors: [401, 403, 404, 409, 422]),
        Operation(
            method: "patch", path: "/api/v1/organizations/{org_id}/members/{user_id}",
            summary: "Change a member's role (owner or admin)", body: "MemberRole", success: (200, "Member"),
            errors: [401, 403, 404, 422]),
        Operation(
            method: "delete", path: "/api/v1/organizations/{org_id}/members/{user_id}",
            summary: "Remove a member (owner or admin)", errors: [401, 403, 404, 422]),
    ]

    static let oauthOperations: [Operation] = [
        Operation(
            method: "get", path: "/.well-known/oauth-authorization-server", summary: "RFC 8414 metadata",
            authenticated: false, success: (200, "ServerMetadata")),
        Operation(
            method: "get", path: "/.well-known/openid-configuration",
            summary: "OpenID Connect Discovery: the RFC 8414 document, byte for byte",
            authenticated: false, success: (200, "ServerMetadata")),
        Operation(
            method: "get", path: "/.well-known/jwks.json", summary: "Public signing keys (RFC 7517)",
            authenticated: false, success: (200, "JWKS"), errors: [503]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/logout",
            summary:
                "OpenID Connect RP-initiated logout: ends the browser's session, then 303 to the registered post-logout URI (or a page; a confirmation page without a matching id_token_hint)",
            authenticated: false, success: (200, nil),
            query: ["id_token_hint", "post_logout_redirect_uri", "state", "client_id"], errors: [400],
            page: "text/html", otherAnswers: [(303, nil)]),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/logout",
            summary: "RP-initiated logout by form (the confirmation page posts here with its CSRF token)",
            authenticated: false, success: (200, nil), errors: [400, 403], page: "text/html",
            otherAnswers: [(303, nil)]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/userinfo",
            summary: "OpenID Connect userinfo: the user's claims by the access token's scopes (Bearer)",
            success: (200, "UserInfo"), errors: [401, 403], errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/userinfo",
            summary: "OpenID Connect userinfo, by POST (Bearer)", success: (200, "UserInfo"), errors: [401, 403],
            errorSchema: "OAuthError"),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/authorize",
            summary:
                "Authorization code request (302 to the client or to the consent page; a browser: its session cookie, "
                + "303 to /signin without one, 200 with Tessera's consent page)",
            bearerOptional: true, success: (302, nil),
            query: [
                "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                "code_challenge_method", "resource", "nonce", "prompt", "max_age", "login_hint", "ui_locales",
            ], errors: [400, 401], otherAnswers: [(303, nil), (200, "text/html")], htmlErrorsForBrowsers: true),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/authorize/consent",
            summary: "The user's consent decision (302 to the client); a browser: its session cookie and CSRF token",
            bearerOptional: true, body: "ConsentForm", success: (302, nil), errors: [400, 401, 403, 422],
            otherAnswers: [(200, "text/html")]),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/token", summary: "Token endpoint (RFC 6749)",
            authenticated: false, body: "TokenForm", success: (200, "ProviderToken"), errors: [400, 401, 503],
            errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/revoke", summary: "Token revocation (RFC 7009)",
            authenticated: false, body: "TokenActionForm", success: (200, nil), errors: [400, 401, 503],
            errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/introspect", summary: "Token introspection (RFC 7662)",
            authenticated: false, body: "TokenActionForm", success: (200, "Introspection"), errors: [400, 401],
            errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/register",
            summary: "A client registers itself (RFC 7591 dynamic registration); Bearer: an initial access token",
            authenticated: false, bearerOptional: true, body: "ClientMetadata", success: (201, "RegisteredClient"),
            errors: [400, 401, 403, 429, 503], errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/initial-access-tokens",
            summary: "Make an initial access token for client registration (superuser)",
            body: "InitialAccessTokenRequest", success: (201, "InitialAccessToken"), errors: [401, 403, 422]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/initial-access-tokens",
            summary: "List initial access tokens (superuser)", success: (200, "InitialAccessTokenList"),
            errors: [401, 403]),
        Operation(
            method: "delete", path: "/api/v1/oauth/provider/initial-access-tokens/{token_id}",
            summary: "Revoke an initial access token (superuser)", errors: [401, 403, 404, 422]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/register/{client_id}",
            summary: "Read a registration with its registration access token (RFC 7592)",
            success: (200, "RegisteredClient"), errors: [401], errorSchema: "OAuthError"),
        Operation(
            method: "put", path: "/api/v1/oauth/provider/register/{client_id}",
            summary: "Replace a registration's metadata (RFC 7592)", body: "ClientMetadata",
            success: (200, "RegisteredClient"), errors: [400, 401, 503], errorSchema: "OAuthError"),
        Operation(
            method: "delete", path: "/api/v1/oauth/provider/register/{client_id}",
            summary: "Delete a registration (RFC 7592)", success: (204, nil), errors: [401, 503],
            errorSchema: "OAuthError"),
        Operation(
            method: "post", path: "/api/v1/oauth/provider/clients", summary: "Register a client (superuser)",
            body: "ClientRegistration", success: (201, "Client"), errors: [401, 403, 422]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/clients", summary: "List clients (superuser)",
            success: (200, "ClientList"), errors: [401, 403]),
        Operation(
            method: "delete", path: "/api/v1/oauth/provider/clients/{client_id}",
            summary: "Delete a client and revoke its tokens (superuser)", errors: [401, 403, 404, 422]),
        Operation(
            method: "get", path: "/api/v1/oauth/provider/consents", summary: "The caller's consents",
            success: (200, "ConsentList"), errors: [401]),
        Operation(
            method: "delete", path: "/api/v1/oauth/provider/consents/{client_id}",
            summary: "Revoke a consent and the tokens issued under it", errors: [401, 404, 422]),
    ]

    static let socialLoginOperations: [Operation] = [
        Operation(
            method: "get", path: "/api/v1/oauth/providers", summary: "The social login providers configured",
            authenticated: false, success: (200, "SocialProviderList")),
        Operation(
            method: "get", path: "/api/v1/oauth/authorize/{provider}",
            summary:
                "Start a social sign-in (with a Bearer token: the linking of an account); sets the browser's binding cookie",
            authenticated: false, bearerOptional: true, success: (200, "SocialAuthorization"), query: ["redirect_uri"],
            errors: [401, 404, 422, 429, 503]),
        Operation(
            method: "post", path: "/api/v1/oauth/callback/{provider}",
            summary:
                "Finish a social sign-in — or a linking, when the state is a linking's — with the provider's code and the state (needs the binding cookie)",
            authenticated: false, body: "SocialCallback", success: (200, "SocialCallbackAnswer"),
            errors: [400, 403, 404, 409, 422, 429, 503]),
        Operation(
            method: "post", path: "/api/v1/oauth/link/{provider}",
            summary:
                "With code and state, finish linking a provider account to the caller (needs the binding cookie); without them, start one (as GET authorize with a Bearer token)",
            body: "SocialLink", success: (200, "SocialLinkAnswer"), errors: [400, 401, 403, 404, 409, 422, 429, 503]),
        Operation(
            method: "get", path: "/api/v1/oauth/accounts", summary: "The caller's linked provider accounts",
            success: (200, "ExternalAccountList"), errors: [401]),
        Operation(
            method: "delete", path: "/api/v1/oauth/accounts/{provider}",
            summary: "Unlink a provider account (refused when it is the last way to sign in)",
            errors: [401, 403, 404, 503]),
    ]

    static let adminOrganizationOperations: [Operation] = [
        Operation(
            method: "get", path: "/api/v1/admin/organizations", summary: "List organizations with search",
            success: (200, "OrganizationPage"), query: listQuery + ["search", "is_active"], errors: [401, 403, 422]),
        Operation(
            method: "post", path: "/api/v1/admin/organizations", summary: "Create an organization",
            body: "OrganizationCreate", success: (201, "Organization"), errors: [401, 403, 409, 422]),
        Operation(
            method: "get", path: "/api/v1/admin/organizations/{org_id}", summary: "An organization",
            success: (200, "Organization"), errors: [401, 403, 404, 422]),
        Operation(
            method: "put", path: "/api/v1/admin/organizations/{org_id}", summary: "Update an organization",
            body: "OrganizationUpdate", success: (200, "Organization"), errors: [401, 403, 404, 409, 422]),
        Operation(
            method: "delete", path: "/api/v1/admin/organizations/{org_id}", summary: "Delete an organization",
            errors: [401, 403, 404, 422]),
        Operation(
            method: "get", path: "/api/v1/admin/organizations/{org_id}/members", summary: "Members",
            success: (200, "MemberPage"), query: listQuery, errors: [401, 403, 404, 422]),
        Operation(
            method: "post", path: "/api/v1/admin/organizations/{org_id}/members", summary: "Add a member",
            body: "MemberAdd", success: (201, "Member"), errors: [401, 403, 404, 409, 422]),
        Operation(
            method: "delete", path: "/api/v1/admin/organizations/{org_id}/members/{user_id}",
            summary: "Remove a member", errors: [401, 403, 404, 422]),
    ]

    static func operationObject(_ operation: Operation) -> [String: Any] {
        var result: [String: Any] = [
            "summary": operation.summary,
            "operationId": operation.method
                + operation.path.replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
                .replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_"),
        ]
        var parameters: [[String: Any]] = []
        for name in ["org_id", "user_id", "session_id", "client_id", "token_id"]
        where operation.path.contains("{\(name)}") {
            parameters.append(["name": name, "in": "path", "required": true, "schema": string("uuid")])
        }
        if operation.path.contains("{provider}") {
            parameters.append([
                "name": "provider", "in": "path", "required": true, "example": "github",
                "schema": ["type": "string", "pattern": "^[a-z0-9-]{1,64}$"],
            ])
        }
        for name in operation.query {
            let schema: [String: Any] =
                switch name {
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
            let type = body.hasSuffix("Form") ? "application/x-www-form-urlencoded" : "application/json"
            result["requestBody"] = ["required": true, "content": [type: ["schema": ref(body)]]]
        }
        var responses: [String: Any] = [:]
        var success: [String: Any] = ["description": "Success"]
        if let schema = operation.success.schema { success["content"] = ["application/json": ["schema": ref(schema)]] }
        if let page = operation.page, operation.success.status == 200 {
            success["content"] = [page: ["schema": ["type": "string"]]]
        }
        responses[String(operation.success.status)] = success
        for (status, media) in operation.otherAnswers {
            var answer: [String: Any] = ["description": status == 303 ? "To the sign-in page" : "A page"]
            if let media { answer["content"] = [media: ["schema": ["type": "string"]]] }
            responses[String(status)] = answer
        }
        for status in operation.errors + [413] {
            if let page = operation.page, status != 413, status != 429 {
                responses[String(status)] = ["description": "Error", "content": [page: ["schema": ["type": "string"]]]]
                continue
            }
            let schema = status == 413 ? "Error" : operation.errorSchema
            var content: [String: Any] = ["application/json": ["schema": ref(schema)]]
            if operation.htmlErrorsForBrowsers && status == 400 {
                content["text/html"] = ["schema": ["type": "string"]]
            }
            responses[String(status)] = ["description": "Error", "content": content]
        }
        result["responses"] = responses
        if operation.authenticated { result["security"] = [["bearer": [String]()]] }
        if operation.bearerOptional { result["security"] = [["bearer": [String]()], [String: [String]]()] }
        return result
    }

    /// The document as JSON.
    static func json(version: String) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            paths[operation.path, default: [:]][operation.method] = operationObject(operation)
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Tessera", "version": version,
                "description": "Authentication engine: users, sessions, tokens, administration.",
            ],
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
            ],
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])).map(Array.init) ?? []
    }
}
