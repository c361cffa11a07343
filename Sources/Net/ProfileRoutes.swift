import Auth
import Engine
import Foundation

/// `/api/v1/users/me` and its password: the caller reads and edits its own profile.
extension Endpoints {
    func addProfileRoutes(to signedIn: RouteGroup) {
        signedIn.get("/users/me") { _, context in
            guard let user = await engine.user(id: try context.requireIdentity().userID) else {
                throw APIError(.notFound, "USER_001", "user not found")
            }
            return .json(.ok, UserResponse(user: user).json)
        }
        signedIn.patch("/users/me") { request, context in
            let body = try JSONBody.decode(ProfileBody.self, from: request)
            let user = try await body.apply(to: try context.requireIdentity().userID, engine: engine)
            return .json(.ok, UserResponse(user: user).json)
        }
        signedIn.patch("/users/me/password", limit: .passwordChange) { request, context in
            let claims = try context.requireIdentity()
            let body = try JSONBody.decode(PasswordChangeBody.self, from: request)
            try await auth.changePassword(
                userID: claims.userID, sessionID: claims.sessionID,
                current: body.currentPassword, new: body.newPassword)
            return .json(.ok, JSONBody.encode(MessageResponse(message: "password changed; other sessions ended")))
        }
    }
}

/// The body of `PATCH /users/me`: each field absent (unchanged), null (cleared, where allowed) or a value.
/// Password and privilege fields are refused: they have their own endpoints.
struct ProfileBody: Decodable {
    var firstName: String?
    var lastName: Change<String> = .unchanged
    var phoneNumber: Change<String> = .unchanged
    var preferences: Change<String> = .unchanged
    var locale: Change<String> = .unchanged
    var passwordGiven = false
    var privilegeGiven = false

    enum CodingKeys: String, CodingKey {
        case firstName = "first_name", lastName = "last_name", phoneNumber = "phone_number", preferences, locale
        case password, isSuperuser = "is_superuser", isActive = "is_active"
    }

    static let locales: Set<String> = ["en", "it", "en-us", "en-gb", "it-it"]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        firstName = try container.decodeUnlessAbsent(String.self, forKey: .firstName)
        lastName = try Self.change(container, .lastName)
        phoneNumber = try Self.change(container, .phoneNumber)
        locale = try Self.change(container, .locale)
        if container.contains(.preferences) {
            if try container.decodeNil(forKey: .preferences) {
                preferences = .cleared
            } else {
                let object = try container.decode([String: JSONValue].self, forKey: .preferences)
                preferences = .set(String(decoding: JSONBody.encode(object), as: UTF8.self))
            }
        }
        passwordGiven = container.contains(.password)
        privilegeGiven = container.contains(.isSuperuser) || container.contains(.isActive)
    }

    private static func change(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> Change<String> {
        guard container.contains(key) else { return .unchanged }
        if try container.decodeNil(forKey: key) { return .cleared }
        return .set(try container.decode(String.self, forKey: key))
    }

    /// Refuses what the contract refuses, naming the field.
    func validate() throws(APIError) {
        if privilegeGiven {
            throw APIError(.forbidden, "AUTH_004", "privileges are not changed here", field: "is_superuser")
        }
        if passwordGiven {
            throw APIError(.unprocessableEntity, "VAL_001", "use PATCH /api/v1/users/me/password", field: "password")
        }
        if let firstName { try Validation.checkName(firstName, field: "first_name", required: true) }
        if case .set(let name) = lastName { try Validation.checkName(name, field: "last_name", required: false) }
        if case .set(let phone) = phoneNumber, !Validation.isPhoneNumber(phone) {
            throw APIError(.unprocessableEntity, "VAL_004", "invalid phone number", field: "phone_number")
        }
        if case .set(let value) = locale, !Self.locales.contains(value.lowercased()) {
            throw APIError(.unprocessableEntity, "VAL_001", "unknown locale", field: "locale")
        }
        if case .set(let text) = preferences, text.utf8.count > 16 << 10 {
            throw APIError(.unprocessableEntity, "VAL_001", "preferences too large", field: "preferences")
        }
    }
}

extension ProfileBody {
    /// Checks the body and stores it as `userID`'s profile; returns the user as it now is.
    func apply(to userID: UUID, engine: Engine) async throws -> User {
        try validate()
        return try await engine.updateProfile(
            userID: userID, firstName: firstName, lastName: lastName,
            phoneNumber: phoneNumber, preferences: preferences,
            locale: locale.mapped { $0.lowercased() })
    }
}

struct PasswordChangeBody: Decodable {
    let currentPassword: String
    let newPassword: String
    enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
}
