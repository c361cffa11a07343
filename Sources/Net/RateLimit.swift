/// A route's request budget per client address: one case per limited route family of the contract, so that a
/// route cannot name a limit that does not exist.
public enum RateLimit: Sendable, Hashable, CaseIterable {
    case register, login, refresh, passwordResetRequest, passwordResetConfirm, logout, logoutAll, passwordChange
    case socialAuthorize, socialCallback
    /// Dynamic client registration (RFC 7591): anonymous, so a tight budget per address.
    case clientRegistration

    /// Requests a minute from one client address, as the contract sets them.
    package var requestsPerMinute: Int {
        switch self {
        case .register: 5
        case .login: 10
        case .refresh: 30
        case .passwordResetRequest: 3
        case .passwordResetConfirm: 5
        case .logout: 10
        case .logoutAll: 5
        case .passwordChange: 5
        case .socialAuthorize: 20
        case .socialCallback: 10
        case .clientRegistration: 10
        }
    }
}
