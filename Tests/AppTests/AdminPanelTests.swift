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
        let login = try await app.send(.POST, "/admin/login", form: [("email", email), ("password", password)])
        #expect(login.status == .seeOther)
        let cookie = try #require(login.headers.setCookie?["dauys_admin"])
        #expect(cookie.isHTTPOnly && cookie.sameSite == .strict && cookie.path == "/admin")
        let queue = try await app.send(.GET, "/admin", headers: ["Cookie": "dauys_admin=\(cookie.string)"])
        #expect(queue.status == .ok)
        let csrf = try #require(queue.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        return ("dauys_admin=\(cookie.string)", String(csrf))
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
            let response = try await app.send(
                .POST, "/admin/login?lang=en", form: [("email", account.email), ("password", "guess")])
            #expect(response.status == .unauthorized)
            #expect(response.body.string.contains(app.translations.text("admin_login_wrong", .en)))
            #expect(response.headers.setCookie?["dauys_admin"] == nil)
        }
    }

    @Test func aOneTimePasswordMustBeReplacedFirst() async throws {
        try await withApp { app in
            _ = try await AccountService.create(
                email: "new@example.org", password: "one-time-password-xyz", role: .moderator, mustChangePassword: true,
                app: app, on: app.db)
            let login = try await app.send(
                .POST, "/admin/login", form: [("email", "new@example.org"), ("password", "one-time-password-xyz")])
            #expect(login.headers.first(name: .location) == "/admin/password")
            let cookie = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"]).string)
            let queue = try await app.send(.GET, "/admin", headers: ["Cookie": cookie])
            #expect(queue.headers.first(name: .location) == "/admin/password")
            let form = try await app.send(.GET, "/admin/password", headers: ["Cookie": cookie])
            let csrf = String(try #require(form.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let changed = try await app.send(
                .POST, "/admin/password", headers: ["Cookie": cookie],
                form: [
                    ("password", "a much better passphrase"), ("confirmation", "a much better passphrase"),
                    ("csrf", csrf),
                ])
            #expect(changed.headers.first(name: .location) == "/admin")
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": cookie]).status == .ok)
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
