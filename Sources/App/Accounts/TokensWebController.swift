import Fluent
import Vapor

/// A moderator's own API tokens: named, listed with their expiry, revoked with one button. A new
/// token needs a fresh code from the authenticator app, so a panel left open is not enough to
/// take one away; it is shown once.
struct TokensWebController {
    struct Row: Encodable {
        var id: String
        var name: String
        var created: String
        var expires: String
        var expired: Bool
    }

    struct PageContent: Encodable {
        var csrf: String
        var rows: [Row]
        var name: String
        var errors: MessageList
        var issued: String?
        var notice: String?
    }

    private func render(
        _ req: Request, name: String = "", errors: [String] = [], issued: String? = nil, notice: String? = nil,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let account = try req.requireAccount()
        let now = Date()
        let rows = try await APIToken.query(on: req.db).filter(\.$account.$id == account.requireID())
            .sort(\.$createdAt, .descending).all().map { token in
                Row(
                    id: token.id?.uuidString ?? "", name: token.name.isEmpty ? "—" : token.name,
                    created: token.createdAt.map(AdminWebController.timestamp) ?? "",
                    expires: token.expiresAt.map(AdminWebController.timestamp) ?? "",
                    expired: (token.expiresAt ?? .distantPast) <= now)
            }
        let content = PageContent(
            csrf: AdminSession.csrfToken(req), rows: rows, name: name, errors: MessageList(errors), issued: issued,
            notice: notice)
        return try await req.view.render(
            "admin/tokens", PageContext(req, title: req.text("admin_tokens_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    @Sendable func list(req: Request) async throws -> Response { try await render(req) }

    struct CreateForm: Content {
        var name: String?
        var code: String?
    }

    @Sendable func create(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        let form = (try? req.content.decode(CreateForm.self)) ?? CreateForm()
        let typed = String((form.name ?? "").prefix(200))
        let name: String
        do {
            name = try AccountService.tokenName(form.name)
        } catch {
            return try await render(req, name: typed, errors: [req.text("error_token_name")], status: .badRequest)
        }
        // Only a code from the app, not a recovery code: those are for signing in without the phone.
        let check = try await SecondFactorService.check(
            account, typed: String((form.code ?? "").prefix(64)), allowRecoveryCode: false, app: req.application,
            on: req.db)
        guard check == .code else {
            return try await render(req, name: typed, errors: [req.text("error_totp_wrong")], status: .badRequest)
        }
        let token = try await AccountService.issueToken(for: account, name: name, on: req.db)
        try await AuditEntry(
            account: account, action: "token_create", reportID: nil, detail: "API token “\(name)” created"
        )
        .create(on: req.db)
        return try await render(req, issued: token)
    }

    @Sendable func revoke(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        guard let id = req.parameters.get("id", as: UUID.self),
            let token = try await APIToken.query(on: req.db).filter(\.$id == id)
                .filter(\.$account.$id == account.requireID()).first()
        else { throw AppError.notFound }
        try await token.delete(on: req.db)
        try await AuditEntry(
            account: account, action: "token_revoke", reportID: nil, detail: "API token “\(token.name)” revoked"
        ).create(on: req.db)
        return try await render(req, notice: req.text("admin_tokens_revoked"))
    }
}
