import Foundation

/// The component schemas of the OpenAPI document: request bodies, answers and the error envelope.
extension OpenAPIDocument {
    static func string(_ format: String? = nil) -> [String: Any] {
        format.map { ["type": "string", "format": $0] } ?? ["type": "string"]
    }
    static var nullableString: [String: Any] { ["type": ["string", "null"]] }
    static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }
    static var integer: [String: Any] { ["type": "integer"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static var schemas: [String: Any] {
        let user = object(
            [
                "id": string("uuid"), "email": string(), "first_name": string(), "last_name": nullableString,
                "phone_number": nullableString, "is_active": ["type": "boolean"], "is_superuser": ["type": "boolean"],
                "preferences": ["type": ["object", "null"]], "locale": nullableString,
                "created_at": string("date-time"), "updated_at": string("date-time"),
            ], required: ["id", "email", "first_name", "is_active", "is_superuser", "created_at", "updated_at"])
        let pagination = object([
            "total": ["type": "integer"], "page": ["type": "integer"], "page_size": ["type": "integer"],
            "total_pages": ["type": "integer"], "has_next": ["type": "boolean"],
            "has_prev": ["type": "boolean"],
        ])
        let session = object([
            "id": string("uuid"), "device_name": nullableString, "device_id": nullableString,
            "ip_address": nullableString, "location_city": nullableString, "location_country": nullableString,
            "last_used_at": string("date-time"), "created_at": string("date-time"),
            "expires_at": string("date-time"), "is_current": ["type": "boolean"],
        ])
        let adminSession = object([
            "id": string("uuid"), "user_id": string("uuid"), "user_email": string(),
            "user_full_name": string(), "device_name": nullableString, "ip_address": nullableString,
            "is_active": ["type": "boolean"], "created_at": string("date-time"),
            "last_used_at": string("date-time"), "expires_at": string("date-time"),
        ])
        let profile: [String: Any] = [
            "first_name": string(), "last_name": nullableString, "phone_number": nullableString,
            "preferences": ["type": ["object", "null"]], "locale": nullableString,
        ]
        var adminUpdate = profile
        adminUpdate["is_active"] = ["type": "boolean"]
        adminUpdate["is_superuser"] = ["type": "boolean"]
        // The password rule of the contract, as far as a schema says it (the classes and the list of common
        // passwords are checked by the server: 422 VAL_002).
        let password: [String: Any] = ["type": "string", "minLength": 12, "maxLength": 72]
        let role: [String: Any] = ["type": "string", "enum": ["owner", "admin", "member", "guest"]]
        let slug: [String: Any] = [
            "type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "minLength": 2, "maxLength": 100,
        ]
        let organizationFields: [String: Any] = [
            "name": ["type": "string", "minLength": 1, "maxLength": 255], "slug": slug,
            "description": ["type": ["string", "null"], "maxLength": 2000], "settings": ["type": ["object", "null"]],
            "is_active": ["type": "boolean"],
        ]
        let organization = object(
            [
                "id": string("uuid"), "name": string(), "slug": string(), "description": nullableString,
                "settings": ["type": ["object", "null"]], "is_active": ["type": "boolean"],
                "created_at": string("date-time"),
                "updated_at": string("date-time"), "member_count": integer, "role": role,
            ], required: ["id", "name", "slug", "is_active", "created_at", "updated_at", "member_count"])
        let member = object(
            [
                "user_id": string("uuid"), "email": string(), "first_name": string(), "last_name": nullableString,
                "role": role, "is_active": ["type": "boolean"], "joined_at": string("date-time"),
            ], required: ["user_id", "email", "role", "is_active", "joined_at"])
        let externalAccount = object(
            [
                "provider": string(), "email": nullableString, "email_verified": ["type": "boolean"],
                "linked_at": string("date-time"),
            ],
            required: ["provider", "email", "email_verified", "linked_at"])
        return [
            "Error": object(
                [
                    "success": ["type": "boolean", "const": false],
                    "errors": [
                        "type": "array",
                        "items": object(
                            [
                                "code": string(), "message": string(),
                                "field": nullableString,
                            ],
                            required: ["code", "message", "field"]),
                    ],
                ],
                required: ["success", "errors"]),
            "Message": object(
                ["success": ["type": "boolean"], "message": string(), "count": ["type": "integer"]],
                required: ["success", "message"]),
            "Health": object([
                "status": string(), "timestamp": string("date-time"), "version": string(),
                "durability": string(), "checks": ["type": "object", "additionalProperties": string()],
                // Only on a cluster's node (`serve --cluster`).
                "cluster": object(
                    [
                        "role": ["type": "string", "enum": ["leader", "follower", "fenced"]],
                        "leader": ["type": ["string", "null"]], "applied_lsn": ["type": "integer"],
                        "lag_records": ["type": "integer"],
                    ], required: ["role", "leader", "applied_lsn", "lag_records"]),
            ]),
            "User": user,
            "TokenPair": object(
                [
                    "access_token": string(), "refresh_token": string(), "token_type": string(),
                    "expires_in": ["type": "integer"], "user": ref("User"),
                ],
                required: ["access_token", "refresh_token", "token_type", "expires_in", "user"]),
            "SocialTokenPair": object(
                [
                    "access_token": string(), "refresh_token": string(), "token_type": string(),
                    "expires_in": ["type": "integer"], "user": ref("User"),
                    "is_new_user": ["type": "boolean"],
                ],
                required: [
                    "access_token", "refresh_token", "token_type", "expires_in", "user",
                    "is_new_user",
                ]),
            "SocialProviderList": object(
                [
                    "providers": array(
                        object(
                            [
                                "name": string(), "display_name": string(), "icon": string(),
                                "kind": ["type": "string", "enum": ["oidc", "github"]],
                            ],
                            required: ["name", "display_name", "icon", "kind"]))
                ], required: ["providers"]),
            "SocialAuthorization": object(
                ["authorization_url": string("uri"), "state": string()],
                required: ["authorization_url", "state"]),
            "SocialCallback": object(
                ["code": ["type": "string", "minLength": 1], "state": string()],
                required: ["code", "state"]),
            "SocialLink": object([
                "code": ["type": "string", "minLength": 1], "state": string(),
                "redirect_uri": string("uri"),
            ])
            .merging(["dependentRequired": ["code": ["state"], "state": ["code"]]]) { $1 },
            "SocialCallbackAnswer": ["oneOf": [ref("SocialTokenPair"), ref("ExternalAccount")]],
            "SocialLinkAnswer": ["oneOf": [ref("ExternalAccount"), ref("SocialAuthorization")]],
            "ExternalAccount": externalAccount,
            "ExternalAccountList": object(
                ["accounts": array(externalAccount), "has_password": ["type": "boolean"]],
                required: ["accounts", "has_password"]),
            "Pagination": pagination,
            "UserPage": object(["data": ["type": "array", "items": ref("User")], "pagination": ref("Pagination")]),
            "Session": session,
            "SessionList": object([
                "sessions": ["type": "array", "items": ref("Session")], "total": ["type": "integer"],
            ]),
            "AdminSession": adminSession,
            "AdminSessionPage": object([
                "data": ["type": "array", "items": ref("AdminSession")], "pagination": ref("Pagination"),
            ]),
            "RegisterRequest": object(
                [
                    "email": string("email"), "password": password, "first_name": string(),
                    "last_name": nullableString, "phone_number": nullableString,
                    "is_superuser": ["type": "boolean", "const": false],
                ],
                required: ["email", "password", "first_name"]),
            "LoginRequest": object(["email": string(), "password": string()], required: ["email", "password"]),
            "LoginForm": object(["username": string(), "password": string()], required: ["username", "password"]),
            "RefreshRequest": object(["refresh_token": string()], required: ["refresh_token"]),
            "ResetRequest": object(["email": string()], required: ["email"]),
            "ResetConfirm": object(
                ["token": string(), "new_password": password], required: ["token", "new_password"]),
            "ProfileUpdate": object(profile),
            "PasswordChange": object(
                ["current_password": string(), "new_password": password],
                required: ["current_password", "new_password"]),
            "AdminCreate": object(
                [
                    "email": string("email"), "password": password, "first_name": string(),
                    "is_superuser": ["type": "boolean"],
                ], required: ["email", "password", "first_name"]),
            "AdminUpdate": object(adminUpdate),
            "BulkAction": object(
                [
                    "action": ["type": "string", "enum": ["activate", "deactivate", "delete"]],
                    "user_ids": ["type": "array", "items": string(), "minItems": 1, "maxItems": 100],
                ],
                required: ["action", "user_ids"]),
            "Organization": organization,
            "OrganizationList": ["type": "array", "items": ref("Organization")],
            "OrganizationPage": object([
                "data": ["type": "array", "items": ref("Organization")],
                "pagination": ref("Pagination"),
            ]),
            "OrganizationCreate": object(organizationFields, required: ["name", "slug"]),
            "OrganizationUpdate": object(organizationFields),
            "Member": member,
            "MemberPage": object(["data": ["type": "array", "items": ref("Member")], "pagination": ref("Pagination")]),
            "MemberAdd": object(["user_id": string("uuid"), "role": role], required: ["user_id"]),
            "MemberRole": object(["role": role], required: ["role"]),
            "AdminStats": object(
                [
                    "user_growth": array(
                        object(["date": string("date"), "total_users": integer, "active_users": integer])),
                    "organization_distribution": array(object(["name": string(), "value": integer])),
                    "registration_activity": array(object(["date": string("date"), "registrations": integer])),
                    "user_status": array(object(["name": string(), "value": integer])),
                ], required: ["user_growth", "organization_distribution", "registration_activity", "user_status"]),
            "OAuthError": object(["error": string(), "error_description": string()], required: ["error"]),
            "UserInfo": object(
                [
                    "sub": string(), "name": string(), "given_name": string(), "family_name": string(),
                    "email": string(), "email_verified": ["type": "boolean"],
                ], required: ["sub"]),
            "ServerMetadata": object(
                [
                    "issuer": string(), "authorization_endpoint": string(), "token_endpoint": string(),
                    "revocation_endpoint": string(), "introspection_endpoint": string(),
                    "jwks_uri": string(), "scopes_supported": array(string()),
                    "response_types_supported": array(string()),
                    "grant_types_supported": array(string()),
                    "code_challenge_methods_supported": array(string()), "registration_endpoint": string(),
                    "authorization_response_iss_parameter_supported": ["type": "boolean"],
                    "client_id_metadata_document_supported": ["type": "boolean"],
                ],
                required: ["issuer", "authorization_endpoint", "token_endpoint"]),
            "JWKS": object(
                [
                    "keys": array(
                        object([
                            "kty": string(), "crv": string(), "x": string(), "kid": string(),
                            "use": string(), "alg": string(),
                        ]))
                ], required: ["keys"]),
            "ConsentForm": object(
                [
                    "approved": ["type": "boolean"], "response_type": string(), "client_id": string(),
                    "redirect_uri": string(), "scope": string(), "state": string(),
                    "code_challenge": string(), "code_challenge_method": string(), "resource": string(),
                    "csrf": string(),
                ],
                required: ["approved", "client_id"]),
            "TokenForm": object(
                [
                    "grant_type": [
                        "type": "string",
                        "enum": ["authorization_code", "refresh_token", "client_credentials"],
                    ],
                    "code": string(), "redirect_uri": string(), "code_verifier": string(),
                    "refresh_token": string(), "scope": string(), "client_id": string(),
                    "client_secret": string(),
                ], required: ["grant_type"]),
            "TokenActionForm": object(
                [
                    "token": string(), "token_type_hint": string(), "client_id": string(),
                    "client_secret": string(),
                ], required: ["token"]),
            "ProviderToken": object(
                [
                    "access_token": string(), "token_type": string(), "expires_in": integer,
                    "refresh_token": string(), "scope": string(),
                ],
                required: ["access_token", "token_type", "expires_in", "scope"]),
            "Introspection": object(
                [
                    "active": ["type": "boolean"], "scope": string(), "client_id": string(),
                    "username": string(), "token_type": string(), "exp": integer, "iat": integer,
                    "nbf": integer, "sub": string(), "aud": string(), "iss": string(), "jti": string(),
                    "sid": string(),
                ], required: ["active"]),
            "ClientRegistration": object(
                [
                    "client_name": string(), "redirect_uris": array(string()),
                    "client_type": ["type": "string", "enum": ["public", "confidential"]],
                    "scopes": array(string()),
                ],
                required: ["client_name", "redirect_uris", "client_type", "scopes"]),
            "Client": object(
                [
                    "client_id": string("uuid"), "client_secret": string(), "client_name": string(),
                    "client_type": string(), "redirect_uris": array(string()), "scopes": array(string()),
                    "created_at": string("date-time"),
                    "registered_by": ["type": "string", "enum": ["superuser", "anonymous", "initial_access_token"]],
                ],
                required: ["client_id", "client_name", "client_type", "redirect_uris", "scopes"]),
            "ClientList": array(ref("Client")),
            "SignOutForm": object(["csrf": string()], required: ["csrf"]),
            "SignInForm": object(
                ["email": string(), "password": string(), "csrf": string(), "next": string()],
                required: ["email", "password", "csrf"]),
            "InitialAccessTokenRequest": object([
                "uses": ["type": "integer", "minimum": 1, "maximum": 1000],
                "expires_in_hours": ["type": "integer", "minimum": 1, "maximum": 8784],
            ]),
            "InitialAccessToken": object(
                [
                    "id": string("uuid"), "token": string(), "uses_left": ["type": "integer"],
                    "created_by": string("uuid"), "created_at": string("date-time"), "expires_at": string("date-time"),
                    "revoked_at": string("date-time"),
                ],
                required: ["id", "uses_left", "created_at", "expires_at"]),
            "InitialAccessTokenList": array(ref("InitialAccessToken")),
            "ClientMetadata": object(
                [
                    "redirect_uris": array(string()), "token_endpoint_auth_method": string(),
                    "grant_types": array(string()), "response_types": array(string()), "client_name": string(),
                    "client_uri": string(), "logo_uri": string(), "scope": string(), "application_type": string(),
                    "software_id": string(), "software_version": string(), "client_id": string(),
                    "client_secret": string(),
                ]),
            "RegisteredClient": object(
                [
                    "client_id": string("uuid"), "client_secret": string(), "client_id_issued_at": ["type": "integer"],
                    "client_secret_expires_at": ["type": "integer"], "registration_access_token": string(),
                    "registration_client_uri": string(), "redirect_uris": array(string()),
                    "token_endpoint_auth_method": string(), "grant_types": array(string()),
                    "response_types": array(string()), "client_name": string(), "client_uri": string(),
                    "logo_uri": string(), "scope": string(), "application_type": string(), "software_id": string(),
                    "software_version": string(),
                ],
                required: ["client_id", "client_id_issued_at", "registration_client_uri", "redirect_uris"]),
            "ConsentList": array(
                object([
                    "client_id": string("uuid"), "client_name": string(), "scope": string(),
                    "granted_at": string("date-time"),
                ])),
            "BulkResult": object([
                "success": ["type": "boolean"], "affected_count": ["type": "integer"],
                "failed_count": ["type": "integer"], "message": string(),
                "failed_ids": ["type": "array", "items": string()],
            ]),
        ]
    }
}
