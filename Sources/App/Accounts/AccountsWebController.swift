import Fluent
import Vapor

/// Administrators' page of accounts: create one, disable and enable, reset a password or a
/// second factor. Every act is audited; a password made here is shown once.
struct AccountsWebController {
    struct Row: Encodable {
        var id: String
        var email: String
        var role: String
        var secondFactor: String
        var state: String
        var disabled: Bool
        var isSelf: Bool
    }

    struct PageContent: Encodable {
        var csrf: String
        var rows: [Row]
        var roles: [Choice]
        var email: String
        var errors: MessageList
        /// After an act that makes a one-time password: whose, and the password, shown once.
        var issuedFor: String?
        var issuedPassword: String?
        var notice: String?
    }

    private func render(
        _ req: Request, email: String = "", errors: [String] = [], issued: (email: String, password: String)? = nil,
        notice: String? = nil, status: HTTPStatus = .ok
    ) async throws -> Response {
        let me = try req.requireAccount()
        let rows = try await Account.query(on: req.db).sort(\.$email).all().map { account in
            Row(
                id: account.id?.uuidString ?? "", email: account.email, role: req.text("role_" + account.role),
                secondFactor: req.text(
                    account.totpSecretSealed == nil ? "admin_accounts_totp_pending" : "admin_accounts_totp_on"),
                state: req.text(account.isDisabled ? "admin_accounts_disabled" : "admin_accounts_active"),
                disabled: account.isDisabled, isSelf: account.id == me.id)
        }
        let content = PageContent(
            csrf: AdminSession.csrfToken(req), rows: rows,
            roles: req.choices(AccountRole.self, prefix: "role", selected: [AccountRole.moderator.rawValue]),
            email: email, errors: MessageList(errors), issuedFor: issued?.email, issuedPassword: issued?.password,
            notice: notice)
        return try await req.view.render(
            "admin/accounts", PageContext(req, title: req.text("admin_accounts_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    @Sendable func list(req: Request) async throws -> Response { try await render(req) }

    struct CreateForm: Content {
        var email: String?
        var role: String?
    }

    @Sendable func create(req: Request) async throws -> Response {
        let form = (try? req.content.decode(CreateForm.self)) ?? CreateForm()
        let email = String((form.email ?? "").prefix(254))
        guard let role = form.role.flatMap(AccountRole.init(rawValue:)) else {
            return try await render(req, email: email, errors: [req.text("error_choice")], status: .badRequest)
        }
        do {
            let (account, password) = try await AccountService.createFromPanel(
                email: email, role: role, by: try req.requireAccount(), app: req.application, on: req.db)
            return try await render(req, issued: (account.email, password))
        } catch let error as AppError where error.status == .badRequest {
            return try await render(
                req, email: email, errors: AdminWebController.messages(error, req), status: .badRequest)
        }
    }

    private func target(_ req: Request) async throws -> Account {
        guard let id = req.parameters.get("id", as: UUID.self), let account = try await Account.find(id, on: req.db)
        else { throw AppError.notFound }
        return account
    }

    @Sendable func disable(req: Request) async throws -> Response { try await setDisabled(req, true) }
    @Sendable func enable(req: Request) async throws -> Response { try await setDisabled(req, false) }

    private func setDisabled(_ req: Request, _ disabled: Bool) async throws -> Response {
        let account = try await target(req)
        do {
            try await AccountService.setDisabled(account, disabled, by: try req.requireAccount(), on: req.db)
            return try await render(
                req, notice: req.text(disabled ? "admin_accounts_done_disabled" : "admin_accounts_done_enabled"))
        } catch let error as AppError where error.status == .badRequest {
            return try await render(req, errors: AdminWebController.messages(error, req), status: .badRequest)
        }
    }

    @Sendable func resetPassword(req: Request) async throws -> Response {
        let account = try await target(req)
        let password = try await AccountService.resetPassword(
            account, by: try req.requireAccount(), app: req.application, on: req.db)
        return try await render(req, issued: (account.email, password))
    }

    @Sendable func resetSecondFactor(req: Request) async throws -> Response {
        let account = try await target(req)
        try await SecondFactorService.reset(account, by: try req.requireAccount(), on: req.db)
        return try await render(req, notice: req.text("admin_accounts_done_totp_reset"))
    }
}
