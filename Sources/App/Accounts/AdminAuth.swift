import Fluent
import Vapor

// Who is asking: the panel's session and form token, the admin API's bearer token, and the
// administrators-only guard. `routes.swift` shows which routes each one guards.

extension Request {
    private struct AccountKey: StorageKey { typealias Value = Account }

    /// The signed-in moderator or administrator, set by the admin middlewares.
    var account: Account? {
        get { storage[AccountKey.self] }
        set { storage[AccountKey.self] = newValue }
    }

    func requireAccount() throws -> Account {
        guard let account else { throw AppError.unauthorized }
        return account
    }
}

/// `Authorization: Bearer <token>` for the admin API.
struct BearerAccountMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token,
            let account = try await AccountService.account(forToken: token, on: request.db)
        else {
            throw AppError(
                status: .unauthorized, code: "unauthorized", messageKey: "error_unauthorized")
        }
        request.account = account
        return try await next.respond(to: request)
    }
}

/// The admin panel's session: who is signed in, since when, and the form token.
///
/// Sessions end after 8 hours, or after 30 minutes without activity, whichever comes first.
enum AdminSession {
    static let absoluteLifetime: TimeInterval = 8 * 3600
    static let idleLifetime: TimeInterval = 30 * 60

    /// `__Host-` makes browsers keep the cookie to this host, over HTTPS, for every path; a
    /// plain-HTTP development server cannot use the prefix.
    static func cookieName(secure: Bool) -> String { secure ? "__Host-dauys_admin" : "dauys_admin" }

    /// How long the second-factor page waits after a correct password.
    static let passwordStepLifetime: TimeInterval = 10 * 60

    /// A new session id at each step of signing in, so an id planted or seen before is worthless.
    private static func renew(_ request: Request) async throws {
        if let old = request.session.id {
            try await request.application.sessions.driver.deleteSession(old, for: request).get()
            request.session.id = nil
        }
        request.session.data = SessionData()
    }

    /// The password was right: the session remembers whose, and only the second-factor pages
    /// open until a code is given (``SecondFactor``).
    static func startPasswordStep(_ request: Request, account: Account) async throws {
        try await renew(request)
        request.session.data["password_ok"] = try account.requireID().uuidString
        request.session.data["password_ok_at"] = String(Date().timeIntervalSince1970)
        request.session.data["csrf"] = TokenHashing.randomToken()
    }

    /// The account whose password was given in the last ten minutes, still waiting for its code.
    static func passwordStepAccount(_ request: Request) async throws -> Account? {
        guard let raw = request.session.data["password_ok"], let id = UUID(uuidString: raw),
            let at = request.session.data["password_ok_at"].flatMap(Double.init),
            Date().timeIntervalSince1970 - at < passwordStepLifetime
        else { return nil }
        return try await Account.find(id, on: request.db).flatMap { $0.isDisabled ? nil : $0 }
    }

    /// Both factors were given: the panel opens.
    static func start(_ request: Request, account: Account) async throws {
        try await renew(request)
        let now = Date().timeIntervalSince1970
        request.session.data["account"] = try account.requireID().uuidString
        request.session.data["epoch"] = String(account.credentialsEpoch)
        request.session.data["started"] = String(now)
        request.session.data["seen"] = String(now)
        request.session.data["csrf"] = TokenHashing.randomToken()
    }

    /// Every POST of the panel carries the session's form token, compared in constant time.
    static func checkFormToken(_ request: Request) throws {
        guard request.method == .POST else { return }
        struct Token: Content { var csrf: String? }
        let sent = (try? request.content.decode(Token.self))?.csrf ?? ""
        guard !sent.isEmpty, TokenHashing.constantTimeEquals(sent, csrfToken(request)) else {
            throw AppError.forbidden
        }
    }

    static func csrfToken(_ request: Request) -> String {
        if let token = request.session.data["csrf"] { return token }
        let token = TokenHashing.randomToken()
        request.session.data["csrf"] = token
        return token
    }

    /// The account of a live session, or nil (and the session is ended) when it expired.
    static func account(_ request: Request) async throws -> Account? {
        guard let raw = request.session.data["account"], let id = UUID(uuidString: raw),
            let started = request.session.data["started"].flatMap(Double.init),
            let seen = request.session.data["seen"].flatMap(Double.init)
        else { return nil }
        let now = Date().timeIntervalSince1970
        guard now - started < absoluteLifetime, now - seen < idleLifetime else {
            request.session.destroy()
            return nil
        }
        // A password change since this session began ends it (`credentialsEpoch`).
        guard let account = try await Account.find(id, on: request.db), !account.isDisabled,
            request.session.data["epoch"] == String(account.credentialsEpoch)
        else {
            request.session.destroy()
            return nil
        }
        request.session.data["seen"] = String(now)
        return account
    }
}

/// Guards every admin page: no session, no page.
struct AdminPageMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let account = try await AdminSession.account(request) else {
            return request.redirect(to: "/admin/login")
        }
        request.account = account
        if account.mustChangePassword && request.url.path != "/admin/password" {
            return request.redirect(to: "/admin/password")
        }
        try AdminSession.checkFormToken(request)
        return try await next.respond(to: request)
    }
}

/// Guards the second-factor pages: only a session whose password was just given.
struct PasswordStepMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let account = try await AdminSession.passwordStepAccount(request) else {
            return request.redirect(to: "/admin/login")
        }
        request.account = account
        try AdminSession.checkFormToken(request)
        return try await next.respond(to: request)
    }
}

/// Only administrators (not moderators) pass: help content, accounts, exports.
struct AdminRoleMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.account?.accountRole == .admin else { throw AppError.forbidden }
        return try await next.respond(to: request)
    }
}
