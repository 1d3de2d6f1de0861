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

    static func start(_ request: Request, account: Account) async throws {
        // A new session id at login, so an id planted before login is worthless.
        if let old = request.session.id {
            try await request.application.sessions.driver.deleteSession(old, for: request).get()
            request.session.id = nil
        }
        request.session.data = SessionData()
        let now = Date().timeIntervalSince1970
        request.session.data["account"] = try account.requireID().uuidString
        request.session.data["started"] = String(now)
        request.session.data["seen"] = String(now)
        request.session.data["csrf"] = TokenHashing.randomToken()
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
        request.session.data["seen"] = String(now)
        return try await Account.find(id, on: request.db)
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
        if request.method == .POST {
            struct Token: Content { var csrf: String? }
            let sent = (try? request.content.decode(Token.self))?.csrf ?? ""
            let expected = AdminSession.csrfToken(request)
            guard !sent.isEmpty, Data(sent.utf8) == Data(expected.utf8) else { throw AppError.forbidden }
        }
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
