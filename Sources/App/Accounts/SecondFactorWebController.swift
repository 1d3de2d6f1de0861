import Fluent
import Vapor

/// The second step of signing in: a code from the authenticator app (or a recovery code), and
/// the enrolment of an app at the first sign-in. Only a session whose password was just given
/// reaches these pages (``PasswordStepMiddleware``).
struct SecondFactorWebController {
    /// The throttle's client for second-factor codes: one count per account, whatever the address.
    static let anyClient = "second factor, any address"

    struct CodeContent: Encodable {
        var csrf: String
        var error: String?
    }

    struct CodeForm: Content {
        var code: String?
    }

    @Sendable func prompt(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        guard account.totpSecretSealed != nil else { return req.redirect(to: "/admin/second-factor/setup") }
        return try await renderPrompt(req, error: nil, status: .ok)
    }

    private func renderPrompt(_ req: Request, error: String?, status: HTTPStatus) async throws -> Response {
        let content = CodeContent(csrf: AdminSession.csrfToken(req), error: error)
        return try await req.view.render(
            "admin/second-factor",
            PageContext(req, title: req.text("admin_totp_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    @Sendable func verify(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        guard account.totpSecretSealed != nil else { return req.redirect(to: "/admin/second-factor/setup") }
        // Wrong codes slow down the next try for this account from any address: only someone with
        // the password gets here, and spreading guesses over many addresses must not help them.
        let throttle = req.application.signInThrottle
        if let wait = await throttle.remainingWait(email: account.email, client: Self.anyClient) {
            let response = try await renderPrompt(
                req, error: req.text("admin_login_slowed_down"), status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(wait))
            return response
        }
        let typed = String(((try? req.content.decode(CodeForm.self))?.code ?? "").prefix(64))
        switch try await SecondFactorService.check(account, typed: typed, app: req.application, on: req.db) {
        case .code, .recoveryCode:
            await throttle.recordSuccess(email: account.email, client: Self.anyClient)
            try await AdminSession.start(req, account: account)
            try await AuditEntry(
                account: account, action: "sign_in", reportID: nil, detail: "password and second factor"
            )
            .create(on: req.db)
            return req.redirect(to: account.mustChangePassword ? "/admin/password" : "/admin")
        case .wrong:
            await throttle.recordFailure(email: account.email, client: Self.anyClient)
            try await AuditEntry(
                account: account, action: "sign_in_failed", reportID: nil, detail: "wrong or reused second-factor code"
            ).create(on: req.db)
            return try await renderPrompt(req, error: req.text("error_totp_wrong"), status: .unauthorized)
        }
    }

    struct SetupContent: Encodable {
        var csrf: String
        var qr: String
        var uri: String
        var secret: String
        var errors: MessageList
    }

    /// The secret being enrolled waits sealed in the session until its first code confirms it.
    private func pendingSecret(_ req: Request) throws -> Data {
        if let sealed = req.session.data["enrol_secret"],
            let secret = SecondFactorService.open(sealed, app: req.application)
        {
            return secret
        }
        let secret = SecondFactor.newSecret()
        req.session.data["enrol_secret"] = try SecondFactorService.seal(secret, app: req.application)
        return secret
    }

    @Sendable func setupForm(req: Request) async throws -> Response {
        try await renderSetup(req, errors: [], status: .ok)
    }

    private func renderSetup(_ req: Request, errors: [String], status: HTTPStatus) async throws -> Response {
        let account = try req.requireAccount()
        guard account.totpSecretSealed == nil else { return req.redirect(to: "/admin/second-factor") }
        let secret = try pendingSecret(req)
        let uri = SecondFactor.otpauthURI(secret: secret, email: account.email)
        let content = SetupContent(
            csrf: AdminSession.csrfToken(req),
            qr: QRCode.svg(uri, label: req.text("admin_totp_qr_label")) ?? "", uri: uri,
            secret: SecondFactor.grouped(SecondFactor.base32(secret)), errors: MessageList(errors))
        return try await req.view.render(
            "admin/second-factor-setup",
            PageContext(req, title: req.text("admin_totp_setup_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    struct RecoveryContent: Encodable {
        var codes: [String]
        var next: String
    }

    @Sendable func setup(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        guard account.totpSecretSealed == nil else { return req.redirect(to: "/admin/second-factor") }
        let typed = String(((try? req.content.decode(CodeForm.self))?.code ?? "").prefix(64))
        let codes: [String]
        do {
            codes = try await SecondFactorService.enrol(
                account, secret: try pendingSecret(req), code: typed, app: req.application, on: req.db)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderSetup(req, errors: [req.text("error_totp_wrong")], status: .badRequest)
        }
        try await AdminSession.start(req, account: account)
        try await AuditEntry(
            account: account, action: "sign_in", reportID: nil, detail: "password and a new second factor"
        )
        .create(on: req.db)
        let content = RecoveryContent(codes: codes, next: account.mustChangePassword ? "/admin/password" : "/admin")
        return try await req.view.render(
            "admin/recovery-codes",
            PageContext(req, title: req.text("admin_recovery_title"), nav: "admin", content: content)
        ).encodeResponse(for: req)
    }
}
