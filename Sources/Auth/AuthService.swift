package import Engine
package import FoundationEssentials

/// An access token and a refresh token, as login and refresh answer them.
package struct TokenPair: Sendable, Hashable {
    package let accessToken: String
    package let refreshToken: String
    /// Seconds until the access token expires.
    package let expiresIn: Int64
    package let user: User
    package let session: Session
}

/// First-party authentication over the engine: register, log in, refresh, log out, and check an access token.
/// Password hashing runs on the hasher's own threads; token work is a few microseconds of HMAC and SHA-256.
package final class AuthService: Sendable {
    package let engine: Engine
    /// Signs and verifies access tokens (HS256 or EdDSA).
    package let signer: AccessTokenSigner
    let minter: RefreshTokenMinter
    let hasher: PasswordHasher
    let clock: any EngineClock
    package let accessTokenLifetimeSeconds: Int64
    /// Failed logins per account.
    package let throttle: LoginThrottle

    package init(
        engine: Engine, keys: ServerKeys, hasher: PasswordHasher, clock: any EngineClock = SystemClock(),
        issuer: String = "tessera", accessTokenLifetimeSeconds: Int64 = 15 * 60,
        throttle: LoginThrottle? = nil, signing: SigningMethod? = nil
    ) {
        self.throttle = throttle ?? LoginThrottle()
        self.engine = engine
        self.signer = AccessTokenSigner(method: signing ?? .hs256(key: keys.accessTokenKey), issuer: issuer)
        self.minter = RefreshTokenMinter(key: keys.refreshRotationKey)
        self.hasher = hasher
        self.clock = clock
        self.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds
    }

    /// Registers a user after checking the password rule; never a superuser (that is the admin API's).
    package func register(
        email: String, password: String, firstName: String, lastName: String? = nil,
        phoneNumber: String? = nil
    ) async throws(AuthError) -> User {
        try await create(
            NewUser(
                email: email, passwordHash: "", firstName: firstName, lastName: lastName,
                phoneNumber: phoneNumber), password: password)
    }

    /// Creates a user as an operator does (the first superuser, `tessera user create`): same rules as
    /// registration, and it may be a superuser.
    package func createUser(
        email: String, password: String, firstName: String, isSuperuser: Bool
    )
        async throws(AuthError) -> User
    {
        try await create(
            NewUser(email: email, passwordHash: "", firstName: firstName, isSuperuser: isSuperuser),
            password: password)
    }

    /// Hashes `password` (after the rule's check) into `user`, and registers the user.
    private func create(_ user: NewUser, password: String) async throws(AuthError) -> User {
        var user = user
        user.passwordHash = try await hashPassword(password)
        do { return try await engine.register(user) } catch { throw Self.mapped(error) }
    }

    /// Checks the password and opens a session. An unknown email costs the same bcrypt verification as a
    /// wrong password, and both answer `invalidCredentials`. The attempt counts against the account's allowed
    /// failures from before its password is checked (see `LoginThrottle`), and the session opens only if the
    /// password checked is still the user's.
    package func login(email: String, password: String, device: DeviceInfo) async throws(AuthError) -> TokenPair {
        let account = User.normalizedEmail(email)
        if let wait = throttle.begin(account) {
            throw AuthError(.accountLocked, "too many failed logins; try again in \(wait) s", retryAfterSeconds: wait)
        }
        let user = await engine.user(email: email)
        // A user without a password (made by a social sign-in) costs the same bcrypt round as an unknown one.
        let hash = user.flatMap { $0.hasPassword ? $0.passwordHash : nil }
        let matches: Bool
        do {
            matches = try await hasher.verify(password, hash: hash ?? hasher.decoyHash) && hash != nil
        } catch {
            throttle.abandoned(account)
            throw AuthError(.unavailable, "too many logins are waiting; try again")
        }
        guard let user, let hash, matches else {
            throttle.failed(account)
            throw AuthError(.invalidCredentials, "invalid email or password")
        }
        throttle.succeeded(account)
        do {
            return try await openSession(for: user, device: device, verifiedPasswordHash: hash)
        } catch  where error.code == .notFound {
            // Deleted since its password was checked: as if it had never been there.
            throw AuthError(.invalidCredentials, "invalid email or password")
        }
    }

    /// Opens a session for a user whose identity was checked elsewhere (a social sign-in): the same session,
    /// tokens and rotation as a password login. `userInactive` for an inactive or deleted user.
    package func openSession(for user: User, device: DeviceInfo) async throws(AuthError) -> TokenPair {
        try await openSession(for: user, device: device, verifiedPasswordHash: nil)
    }

    /// Opens a session; with `verifiedPasswordHash`, only while that is still the user's password (a change or
    /// reset racing the login wins: `invalidCredentials`).
    private func openSession(
        for user: User, device: DeviceInfo, verifiedPasswordHash: String?
    )
        async throws(AuthError) -> TokenPair
    {
        guard user.isActive, !user.isDeleted else { throw AuthError(.userInactive, "the account is inactive") }
        let secret = minter.randomSecret()
        let session: Session
        do {
            session = try await engine.createSession(
                userID: user.id, refreshDigest: SecretToken.digest(ofSecret: secret),
                device: device, requiringPasswordHash: verifiedPasswordHash)
        } catch {
            throw Self.mapped(error)
        }
        let token = SecretToken(id: session.id, secret: secret)
        return pair(
            user: user, session: session, refresh: token,
            issuedAtSeconds: session.createdAtMilliseconds / 1000)
    }

    /// Rotates a refresh token. The same token presented again within the grace window answers the same pair.
    package func refresh(_ text: String) async throws(AuthError) -> TokenPair {
        guard let presented = SecretToken(parsing: text) else {
            throw AuthError(.tokenInvalid, "invalid refresh token")
        }
        let (session, next): (Session, SecretToken)
        do { (session, next) = try await rotate(presented, clientID: nil) } catch { throw Self.mapped(error) }
        guard let user = await engine.user(id: session.userID) else {
            throw AuthError(.tokenInvalid, "invalid refresh token")
        }
        return pair(
            user: user, session: session, refresh: next,
            issuedAtSeconds: (session.rotatedAtMilliseconds ?? session.createdAtMilliseconds) / 1000)
    }

    /// The claims of a valid access token whose session is still active: the check of every authenticated
    /// request. Revocation takes effect on the very next request.
    package func authenticate(_ accessToken: String) async throws(AuthError) -> AccessClaims {
        let claims: AccessClaims
        do {
            claims = try signer.verify(accessToken, nowSeconds: clock.nowMilliseconds() / 1000)
        } catch {
            throw error.code == .expired
                ? AuthError(.tokenExpired, "the token has expired")
                : AuthError(.tokenInvalid, "invalid token")
        }
        guard await engine.isSessionActive(claims.sessionID, of: claims.userID) else {
            throw AuthError(.tokenInvalid, "the session has ended")
        }
        return claims
    }

    /// The rotation behind first-party and provider refresh: the session as it now is and the token that
    /// replaces `presented` (derived, so that a repeat within the grace window gets the very same one). A
    /// repeat whose session has moved on since is `refreshTokenInvalid`.
    func rotate(_ presented: SecretToken, clientID: UUID?) async throws(EngineError) -> (Session, SecretToken) {
        let next = minter.next(after: presented)
        let outcome: RefreshOutcome
        do {
            outcome = try await engine.refresh(
                sessionID: presented.id, presentedDigest: presented.digest,
                newDigest: next.digest, clientID: clientID)
        } catch  where error.code == .sessionNotFound {
            // As invalid as a wrong secret: a different answer would tell which session ids exist.
            throw EngineError(.refreshTokenInvalid, "no such session")
        }
        switch outcome {
        case .rotated(let session): return (session, next)
        case .repeatedWithinGrace(let current):
            guard current.refreshDigest.constantTimeEquals(next.digest) else {
                throw EngineError(.refreshTokenInvalid, "the session was rotated again since")
            }
            return (current, next)
        }
    }

    /// Ends the session of `refreshToken`, which must be the caller's.
    package func logout(userID: UUID, refreshToken text: String) async throws(AuthError) {
        guard let token = SecretToken(parsing: text) else { throw AuthError(.tokenInvalid, "invalid refresh token") }
        do {
            try await engine.revokeSession(token.id, of: userID)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Changes the password after checking the current one; every other session of the user ends.
    package func changePassword(userID: UUID, sessionID: UUID, current: String, new: String) async throws(AuthError) {
        guard let user = await engine.user(id: userID), !user.isDeleted else {
            throw AuthError(.notFound, "user not found")
        }
        let matches: Bool
        // A user without a password (made by a social sign-in) sets one by a password reset, not here.
        do { matches = user.hasPassword ? try await hasher.verify(current, hash: user.passwordHash) : false } catch {
            throw AuthError(.unavailable, "too many password operations are waiting; try again")
        }
        guard matches else { throw AuthError(.wrongCurrentPassword, "the current password is wrong") }
        let hash = try await hashPassword(new)
        do { try await engine.changePassword(userID: userID, passwordHash: hash, keptSessionID: sessionID) } catch {
            throw Self.mapped(error)
        }
    }

    /// Ends every session of the user; returns how many were active.
    package func logoutEverywhere(userID: UUID) async throws(AuthError) -> Int {
        do { return try await engine.revokeAllSessions(of: userID) } catch { throw Self.mapped(error) }
    }

    /// Checks the password rule, then hashes on the hasher's threads.
    func hashPassword(_ password: String) async throws(AuthError) -> String {
        let missing = PasswordPolicy.violations(of: password)
        guard missing.isEmpty else {
            throw AuthError(.weakPassword, "the password needs " + missing.joined(separator: ", "))
        }
        do { return try await hasher.hash(password) } catch {
            switch error.code {
            case .busy: throw AuthError(.unavailable, "too many password operations are waiting; try again")
            case .unhashable: throw AuthError(.weakPassword, "the password cannot contain NUL or exceed 72 bytes")
            }
        }
    }

    private func pair(user: User, session: Session, refresh: SecretToken, issuedAtSeconds: Int64) -> TokenPair {
        let claims = AccessClaims(
            userID: user.id, sessionID: session.id, issuedAt: issuedAtSeconds,
            expiresAt: issuedAtSeconds + accessTokenLifetimeSeconds,
            tokenID: minter.tokenID(for: refresh), isSuperuser: user.isSuperuser,
            email: user.email, firstName: user.firstName)
        return TokenPair(
            accessToken: signer.sign(claims), refreshToken: refresh.text,
            expiresIn: accessTokenLifetimeSeconds, user: user, session: session)
    }

    static func mapped(_ error: EngineError) -> AuthError {
        switch error.code {
        case .emailTaken: AuthError(.emailTaken, "a user with this email exists")
        case .userNotFound: AuthError(.notFound, "user not found")
        case .userInactive: AuthError(.userInactive, "the account is inactive")
        case .credentialChanged: AuthError(.invalidCredentials, "invalid email or password")
        case .sessionNotFound: AuthError(.notFound, "session not found")
        case .notYourSession: AuthError(.forbidden, "the session belongs to another user")
        case .sessionInactive, .refreshTokenInvalid, .refreshTokenReused:
            AuthError(.tokenInvalid, "invalid refresh token")
        case .logUnavailable: AuthError(.unavailable, "the service cannot store changes right now")
        case .notLeader: AuthError(.unavailable, "this node follows the cluster's leader: send changes there")
        default: AuthError(.unavailable, "the operation failed")
        }
    }
}
