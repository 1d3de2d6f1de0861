import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct AdminPanelTests {
    @Test func everyAdminPageNeedsASession() async throws {
        try await withApp { app in
            let id = try await app.report(receipt: try await app.submitReport()).requireID()
            for path in ["/admin", "/admin/reports/\(id)", "/admin/audit", "/admin/password"] {
                let response = try await app.send(.GET, path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers.first(name: .location) == "/admin/login")
                #expect(!response.body.string.contains("😡"))
            }
            let publish = try await app.send(
                .POST, "/admin/reports/\(id)/publish", form: [("publicDescription", "Публичный текст для проверки.")])
            #expect(publish.status == .seeOther)
            #expect(try await Report.find(id, on: app.db)?.status == "pending")
        }
    }

    /// Signs in and returns the session cookie and the form token.
    func signIn(_ app: Application, email: String, password: String) async throws -> (cookie: String, csrf: String) {
        let login = try await app.postLogin(email: email, password: password)
        #expect(login.status == .seeOther)
        let cookie = try #require(login.headers.setCookie?["dauys_admin"])
        #expect(cookie.isHTTPOnly && cookie.sameSite == .strict && cookie.path == "/" && !cookie.isSecure)
        return try await app.signIn(email: email, password: password)
    }

    @Test func aModeratorPublishesFromTheReportPage() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let (account, _) = try await app.makeModerator(role: .moderator)
            let session = try await signIn(app, email: account.email, password: "correct horse battery staple")

            let queue = try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie])
            #expect(queue.body.string.contains("/admin/reports/\(id)"))
            let page = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": session.cookie])
            #expect(page.body.string.contains("😡"))
            // Where it happened, on a small map (issue #15), the exact point only until published.
            let submitted = try await app.report(receipt: code)
            let exact = submitted.latitude
            #expect(
                page.body.string.contains("id=\"report-map\"")
                    && page.body.string.contains("data-latitude=\"\(exact)\""))
            #expect(
                page.body.string.contains("/static/js/admin-report-map.js")
                    && !page.body.string.contains("data-public-latitude"))

            let forged = try await app.send(
                .POST, "/admin/reports/\(id)/publish", headers: ["Cookie": session.cookie],
                form: [
                    ("publicDescription", "Публичный текст без подробностей."), ("precision", "grid250"),
                    ("csrf", "forged"),
                ])
            #expect(forged.status == .forbidden)
            #expect(try await Report.find(id, on: app.db)?.status == "pending")

            let published = try await app.send(
                .POST, "/admin/reports/\(id)/publish", headers: ["Cookie": session.cookie],
                form: [
                    ("publicDescription", "Публичный текст без подробностей."), ("precision", "grid250"),
                    ("csrf", session.csrf),
                ])
            #expect(published.status == .seeOther)
            let report = try await app.report(receipt: code)
            #expect(report.status == "published")
            #expect(report.publicDescription == "Публичный текст без подробностей.")
            #expect(report.publicLatitude != nil)
            let after = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": session.cookie])
            #expect(after.body.string.contains("data-public-latitude=\"\(try #require(report.publicLatitude))\""))
            // The queue it leads back to says it was done (issue #15), in the panel's words only.
            let location = try #require(published.headers.first(name: .location))
            #expect(location == "/admin?status=pending&done=published")
            let back = try await app.send(.GET, location + "&lang=en", headers: ["Cookie": session.cookie])
            #expect(back.body.string.contains(app.translations.text("admin_done_published", .en)))
            let forgedNotice = try await app.send(
                .GET, "/admin?done=%3Cscript%3E&lang=en", headers: ["Cookie": session.cookie])
            #expect(forgedNotice.status == .ok && !forgedNotice.body.string.contains("bulk-done"))
        }
    }

    @Test func aModeratorRejectsWithAReason() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let (account, _) = try await app.makeModerator()
            let session = try await signIn(app, email: account.email, password: "correct horse battery staple")
            let missing = try await app.send(
                .POST, "/admin/reports/\(id)/reject", headers: ["Cookie": session.cookie],
                form: [("csrf", session.csrf)])
            #expect(missing.status == .badRequest)
            let rejected = try await app.send(
                .POST, "/admin/reports/\(id)/reject", headers: ["Cookie": session.cookie],
                form: [("reasonCode", "duplicate"), ("reason", "Уже есть такое сообщение."), ("csrf", session.csrf)])
            #expect(rejected.status == .seeOther)
            let report = try await app.report(receipt: code)
            #expect(report.status == "rejected" && report.rejectionCode == "duplicate")
        }
    }

    @Test func wrongPasswordsAreRefusedPolitely() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator()
            let response = try await app.postLogin(
                email: account.email, password: "guess", path: "/admin/login?lang=en")
            #expect(response.status == .unauthorized)
            #expect(response.body.string.contains(app.translations.text("admin_login_wrong", .en)))
            #expect(response.headers.setCookie?["dauys_admin"] == nil)
        }
    }

    /// A new moderator's first sign-in: the password, then an authenticator app to connect, the
    /// recovery codes once, and then the one-time password must be replaced before anything else.
    @Test func aNewAccountConnectsAnAppThenReplacesItsOneTimePassword() async throws {
        try await withApp { app in
            _ = try await AccountService.create(
                email: "new@example.org", password: "one-time-password-xyz", role: .moderator, mustChangePassword: true,
                app: app, on: app.db)
            let login = try await app.postLogin(email: "new@example.org", password: "one-time-password-xyz")
            #expect(login.headers.first(name: .location) == "/admin/second-factor")
            let step = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"]).string)
            // The password alone opens nothing.
            #expect(
                try await app.send(.GET, "/admin", headers: ["Cookie": step]).headers.first(name: .location)
                    == "/admin/login")
            let prompt = try await app.send(.GET, "/admin/second-factor", headers: ["Cookie": step])
            #expect(prompt.headers.first(name: .location) == "/admin/second-factor/setup")

            let setup = try await app.send(.GET, "/admin/second-factor/setup", headers: ["Cookie": step])
            let page = setup.body.string
            #expect(page.contains("<svg") && page.contains("otpauth://totp/Dauys:new@example.org?secret="))
            let shown = String(try #require(page.firstMatch(of: /id="totp-secret">([A-Z2-7 ]+)</)?.1))
            let secret = try #require(SecondFactorService.base32Decoded(shown.replacingOccurrences(of: " ", with: "")))
            #expect(secret.count == 20)
            let csrf = String(try #require(page.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let wrong = try await app.send(
                .POST, "/admin/second-factor/setup", headers: ["Cookie": step],
                form: [("code", "000000"), ("csrf", csrf)])
            #expect(wrong.status == .badRequest)
            // The same key is offered again until a code confirms it.
            #expect(wrong.body.string.contains(shown))

            let code = SecondFactor.code(secret: secret, step: SecondFactor.step(at: Date()))
            let enrolled = try await app.send(
                .POST, "/admin/second-factor/setup", headers: ["Cookie": step], form: [("code", code), ("csrf", csrf)])
            #expect(enrolled.status == .ok)
            let codes = enrolled.body.string.matches(of: /<li><code>([a-z0-9-]+)<\/code><\/li>/).map { String($0.1) }
            #expect(codes.count == 10 && Set(codes).count == 10)
            #expect(enrolled.body.string.contains(#"href="/admin/password""#))
            let cookie = "dauys_admin=" + (try #require(enrolled.headers.setCookie?["dauys_admin"]).string)
            #expect(cookie != step, "the session id changes once both factors are given")
            #expect(
                try await app.send(.GET, "/admin", headers: ["Cookie": step]).headers.first(name: .location)
                    == "/admin/login")

            let account = try #require(
                try await Account.query(on: app.db).filter(\.$email == "new@example.org").first())
            #expect(account.totpSecretSealed != nil && !(account.totpSecretSealed ?? "").contains(shown.prefix(8)))
            #expect(try await RecoveryCode.query(on: app.db).count() == 10)
            #expect(try await RecoveryCode.query(on: app.db).all().allSatisfy { !codes.contains($0.codeHash) })

            let queue = try await app.send(.GET, "/admin", headers: ["Cookie": cookie])
            #expect(queue.headers.first(name: .location) == "/admin/password")
            let form = try await app.send(.GET, "/admin/password", headers: ["Cookie": cookie])
            let token = String(try #require(form.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let changed = try await app.send(
                .POST, "/admin/password", headers: ["Cookie": cookie],
                form: [
                    ("current", "one-time-password-xyz"), ("password", "a much better passphrase"),
                    ("confirmation", "a much better passphrase"), ("csrf", token),
                ])
            #expect(changed.headers.first(name: .location) == "/admin")
            let renewed = "dauys_admin=" + (try #require(changed.headers.setCookie?["dauys_admin"]).string)
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": renewed]).status == .ok)
        }
    }

    @Test func aPasswordChangeNeedsTheCurrentOneAndEndsEverythingElse() async throws {
        try await withApp { app in
            let (account, token) = try await app.makeModerator(role: .moderator)
            let here = try await app.signIn(email: account.email, password: "correct horse battery staple")
            let elsewhere = try await app.signIn(email: account.email, password: "correct horse battery staple")
            let page = try await app.send(.GET, "/admin/password", headers: ["Cookie": here.cookie])
            let csrf = String(try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))

            let wrongCurrent = try await app.send(
                .POST, "/admin/password?lang=en", headers: ["Cookie": here.cookie],
                form: [
                    ("current", "not my password"), ("password", "a much better passphrase"),
                    ("confirmation", "a much better passphrase"), ("csrf", csrf),
                ])
            #expect(wrongCurrent.status == .badRequest)
            #expect(wrongCurrent.body.string.contains(app.translations.text("error_password_current", .en)))
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": elsewhere.cookie]).status == .ok)
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .ok)

            let changed = try await app.send(
                .POST, "/admin/password", headers: ["Cookie": here.cookie],
                form: [
                    ("current", "correct horse battery staple"), ("password", "a much better passphrase"),
                    ("confirmation", "a much better passphrase"), ("csrf", csrf),
                ])
            #expect(changed.status == .seeOther)
            let renewed = "dauys_admin=" + (try #require(changed.headers.setCookie?["dauys_admin"]).string)
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": renewed]).status == .ok)
            // The other session and the API token are gone; so is the old cookie of this one.
            for cookie in [elsewhere.cookie, here.cookie] {
                #expect(
                    try await app.send(.GET, "/admin", headers: ["Cookie": cookie]).headers.first(name: .location)
                        == "/admin/login")
            }
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .unauthorized)
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "password_change").first())
            #expect(entry.detail.contains("1 API token(s) revoked"))
        }
    }

    @Test func theFirstAdministratorLinkWorksOnce() async throws {
        try await withApp { app in
            let token = try #require(try await AccountService.setupTokenIfNeeded(on: app.db))
            #expect(try await app.send(.GET, "/admin/setup/wrong-token").status == .notFound)
            #expect(try await app.send(.GET, "/admin/setup/\(token)").status == .ok)
            let weak = try await app.send(
                .POST, "/admin/setup/\(token)", form: [("email", "boss@example.org"), ("password", "short")])
            #expect(weak.status == .badRequest)
            let created = try await app.send(
                .POST, "/admin/setup/\(token)",
                form: [("email", "Boss@Example.org"), ("password", "a long enough passphrase")])
            #expect(created.status == .seeOther)
            let account = try #require(try await Account.query(on: app.db).first())
            #expect(account.email == "boss@example.org" && account.role == "admin")
            #expect(try await app.send(.GET, "/admin/setup/\(token)").status == .notFound)
            #expect(try await AccountService.setupTokenIfNeeded(on: app.db) == nil)
        }
    }
}
