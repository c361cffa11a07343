import Auth
import Engine

/// `/api/v1/auth/…`: registration, login (JSON and form), refresh, logout and logout everywhere.
extension Endpoints {
    func addAuthRoutes(public group: RouteGroup, signedIn: RouteGroup) {
        group.post("/register", limit: .register) { request, _ in
            let user = try await register(try JSONBody.decode(RegisterBody.self, from: request))
            return .json(.created, UserResponse(user: user).json)
        }
        group.post("/login", limit: .login) { request, context in
            let body = try JSONBody.decode(LoginBody.self, from: request)
            return Self.tokenAnswer(
                try await auth.login(
                    email: body.email, password: body.password,
                    device: device(of: request, context)))
        }
        group.post("/login/oauth", limit: .login) { request, context in
            let form = HTTPRequest.parseQuery(Substring(String(buffer: request.body)))
            guard let username = form["username"] else {
                throw APIError(.unprocessableEntity, "VAL_001", "field required", field: "username")
            }
            guard let password = form["password"] else {
                throw APIError(.unprocessableEntity, "VAL_001", "field required", field: "password")
            }
            return Self.tokenAnswer(
                try await auth.login(
                    email: username, password: password,
                    device: device(of: request, context)))
        }
        group.post("/refresh", limit: .refresh) { request, _ in
            Self.tokenAnswer(try await auth.refresh(try JSONBody.decode(RefreshBody.self, from: request).refreshToken))
        }
        signedIn.post("/logout", limit: .logout) { request, context in
            let body = try JSONBody.decode(RefreshBody.self, from: request)
            try await auth.logout(userID: try context.requireIdentity().userID, refreshToken: body.refreshToken)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "logged out")))
        }
        signedIn.post("/logout-all", limit: .logoutAll) { _, context in
            let count = try await auth.logoutEverywhere(userID: try context.requireIdentity().userID)
            return .json(
                .ok, JSONBody.encode(MessageResponse(message: "logged out of \(count) sessions", count: count)))
        }
    }

    private func register(_ body: RegisterBody) async throws -> User {
        if body.isSuperuser == true {
            throw APIError(.forbidden, "AUTH_004", "registration cannot create a superuser", field: "is_superuser")
        }
        guard Validation.isEmail(body.email) else {
            throw APIError(.unprocessableEntity, "VAL_003", "invalid email", field: "email")
        }
        if let phone = body.phoneNumber, !Validation.isPhoneNumber(phone) {
            throw APIError(.unprocessableEntity, "VAL_004", "invalid phone number", field: "phone_number")
        }
        try Validation.checkName(body.firstName, field: "first_name", required: true)
        if let lastName = body.lastName { try Validation.checkName(lastName, field: "last_name", required: false) }
        return try await auth.register(
            email: body.email, password: body.password, firstName: body.firstName,
            lastName: body.lastName, phoneNumber: body.phoneNumber)
    }
}

struct RegisterBody: Decodable {
    let email: String
    let password: String
    let firstName: String
    let lastName: String?
    let phoneNumber: String?
    let isSuperuser: Bool?

    enum CodingKeys: String, CodingKey {
        case email, password, firstName = "first_name", lastName = "last_name", phoneNumber = "phone_number"
        case isSuperuser = "is_superuser"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        email = try container.decode(String.self, forKey: .email)
        password = try container.decode(String.self, forKey: .password)
        firstName = try container.decode(String.self, forKey: .firstName)
        lastName = try container.decodeIfPresent(String.self, forKey: .lastName)
        phoneNumber = try container.decodeIfPresent(String.self, forKey: .phoneNumber)
        isSuperuser = try container.decodeUnlessAbsent(Bool.self, forKey: .isSuperuser)
    }
}

struct LoginBody: Decodable {
    let email: String
    let password: String
}

struct RefreshBody: Decodable {
    let refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
}
