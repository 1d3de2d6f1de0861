import Fluent
import Vapor

/// Signing in and out of the panel (the password step; the second factor is
/// ``SecondFactorWebController``), the first administrator's setup link, and changing one's
/// password.
struct SignInWebController {
    struct LoginContent: Encodable {
        var email: String
        var error: String?
        var csrf: String
    }

    struct LoginForm: Content {
        var email: String?
        var password: String?
        var csrf: String?
    }

    /// The sign-in form's token: no session exists yet, so the token is a random value sent both
    /// as a cookie (SameSite=Strict, only for this path, gone when the browser closes) and in the
    /// form; another site can send neither. A new one with every form.
    static let formTokenCookie = "dauys_login"

    private func renderLogin(_ req: Request, email: String, error: String?, status: HTTPStatus) async throws -> Response
    {
        let token = TokenHashing.randomToken()
        let view = try await req.view.render(
            "admin/login",
            PageContext(
                req, title: req.text("admin_login_title"), nav: "admin",
                content: LoginContent(email: email, error: error, csrf: token)))
        let response = try await view.encodeResponse(status: status, for: req)
        let secure = req.config.usesHTTPS || req.application.environment == .production
        response.cookies[Self.formTokenCookie] = HTTPCookies.Value(
            string: token, path: "/admin/login", isSecure: secure, isHTTPOnly: true, sameSite: .strict)
        return response
    }

    @Sendable func loginForm(req: Request) async throws -> Response {
        try await renderLogin(req, email: "", error: nil, status: .ok)
    }

    @Sendable func login(req: Request) async throws -> Response {
        let form = (try? req.content.decode(LoginForm.self)) ?? LoginForm()
        guard let sent = form.csrf, let expected = req.cookies[Self.formTokenCookie]?.string, !sent.isEmpty,
            TokenHashing.constantTimeEquals(sent, expected)
        else { throw AppError.forbidden }
        let email = String((form.email ?? "").prefix(254))
        switch try await AccountService.login(
            email: email, password: form.password ?? "", client: req.clientAddressForLimits, app: req.application,
            on: req.db)
        {
        case .success(let account):
            // The password alone opens nothing: next comes the second factor.
            try await AdminSession.startPasswordStep(req, account: account)
            return req.redirect(to: "/admin/second-factor")
        case .wrongCredentials:
            return try await renderLogin(req, email: email, error: req.text("admin_login_wrong"), status: .unauthorized)
        case .slowedDown(let seconds):
            let response = try await renderLogin(
                req, email: email, error: req.text("admin_login_slowed_down"), status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
            return response
        }
    }

    struct SetupContent: Encodable {
        var token: String
        var email: String
        var errors: MessageList
    }

    struct SetupForm: Content {
        var email: String?
        var password: String?
    }

    @Sendable func setupForm(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        guard try await AccountService.isValidSetupToken(token, on: req.db) else { throw AppError.notFound }
        let view = try await req.view.render(
            "admin/setup",
            PageContext(
                req, title: req.text("admin_setup_title"), nav: "admin",
                content: SetupContent(token: token, email: "", errors: [])))
        return try await view.encodeResponse(for: req)
    }

    @Sendable func setup(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let form = (try? req.content.decode(SetupForm.self)) ?? SetupForm()
        do {
            let account = try await AccountService.completeSetup(
                token: token, email: form.email ?? "", password: form.password ?? "", app: req.application, on: req.db)
            try await AdminSession.startPasswordStep(req, account: account)
            return req.redirect(to: "/admin/second-factor/setup")
        } catch let error as AppError where error.status == .badRequest {
            let content = SetupContent(
                token: token, email: String((form.email ?? "").prefix(254)),
                errors: MessageList(error.fields.values.map { req.text($0) }))
            let view = try await req.view.render(
                "admin/setup", PageContext(req, title: req.text("admin_setup_title"), nav: "admin", content: content))
            return try await view.encodeResponse(status: .badRequest, for: req)
        }
    }

    @Sendable func logout(req: Request) async throws -> Response {
        req.session.destroy()
        return req.redirect(to: "/admin/login")
    }

    struct PasswordContent: Encodable {
        var csrf: String
        var errors: MessageList
        var mustChange: Bool
    }

    struct PasswordForm: Content {
        var current: String?
        var password: String?
        var confirmation: String?
    }

    @Sendable func passwordForm(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        let content = PasswordContent(
            csrf: AdminSession.csrfToken(req), errors: [], mustChange: account.mustChangePassword)
        return try await req.view.render(
            "admin/password", PageContext(req, title: req.text("admin_password_title"), nav: "admin", content: content)
        ).encodeResponse(for: req)
    }

    @Sendable func changePassword(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        let form = (try? req.content.decode(PasswordForm.self)) ?? PasswordForm()
        var errors: [String] = []
        if form.password != form.confirmation {
            errors.append(req.text("error_password_mismatch"))
        } else {
            do {
                try await AccountService.changePassword(
                    account, current: form.current ?? "", to: form.password ?? "", app: req.application, on: req.db)
                // This session goes on under the new epoch, with a new id; all others have ended.
                try await AdminSession.start(req, account: account)
                return req.redirect(to: "/admin")
            } catch let error as AppError {
                errors = error.fields.values.map { req.text($0) }
            }
        }
        let content = PasswordContent(
            csrf: AdminSession.csrfToken(req), errors: MessageList(errors), mustChange: account.mustChangePassword)
        return try await req.view.render(
            "admin/password", PageContext(req, title: req.text("admin_password_title"), nav: "admin", content: content)
        ).encodeResponse(status: .badRequest, for: req)
    }
}
