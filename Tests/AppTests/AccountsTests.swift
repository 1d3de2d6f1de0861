import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: administrators run accounts from the panel, and every credential can be ended.
@Suite struct AccountsTests {
    @Test func anAdministratorCreatesAnAccountWhoseFirstSignInReplacesThePassword() async throws {
        try await withApp { app in
            let admin = try await app.signIn(role: .admin)
            let created = try await app.send(
                .POST, "/admin/accounts", headers: ["Cookie": admin.cookie],
                form: [("email", "New.Moderator@example.org"), ("role", "moderator"), ("csrf", admin.csrf)])
            #expect(created.status == .ok)
            let password = String(
                try #require(created.body.string.firstMatch(of: /class="one-time-secret">([^<]+)</)?.1))
            let account = try #require(
                try await Account.query(on: app.db).filter(\.$email == "new.moderator@example.org").first())
            #expect(account.mustChangePassword && account.role == "moderator" && account.totpSecretSealed == nil)
            #expect(!account.passwordHash.contains(password))
            let login = try await app.postLogin(email: "new.moderator@example.org", password: password)
            #expect(login.headers.first(name: .location) == "/admin/second-factor")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "account_create").count() == 1)

            for (form, why) in [
                ([("email", "not an address"), ("role", "moderator")], "a bad address"),
                ([("email", "new.moderator@example.org"), ("role", "moderator")], "a taken address"),
                ([("email", "other@example.org"), ("role", "superuser")], "an unknown role"),
            ] {
                let refused = try await app.send(
                    .POST, "/admin/accounts", headers: ["Cookie": admin.cookie], form: form + [("csrf", admin.csrf)])
                #expect(refused.status == .badRequest, "\(why)")
            }
            #expect(try await Account.query(on: app.db).count() == 2)
        }
    }

    @Test func disablingEndsSessionsAndTokensAtOnceAndEnablingOpensSignInAgain() async throws {
        try await withApp { app in
            let (moderator, token) = try await app.makeModerator(role: .moderator)
            let session = try await app.signIn(email: moderator.email, password: "correct horse battery staple")
            let admin = try await app.signIn(role: .admin)
            let id = try moderator.requireID()

            let disabled = try await app.send(
                .POST, "/admin/accounts/\(id)/disable", headers: ["Cookie": admin.cookie], form: [("csrf", admin.csrf)])
            #expect(disabled.status == .ok)
            #expect(
                try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie]).headers.first(name: .location)
                    == "/admin/login")
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .unauthorized)
            // The right password of a disabled account gets the answer of a wrong one.
            let refused = try await app.postLogin(email: moderator.email, password: "correct horse battery staple")
            #expect(refused.status == .unauthorized)

            let enabled = try await app.send(
                .POST, "/admin/accounts/\(id)/enable", headers: ["Cookie": admin.cookie], form: [("csrf", admin.csrf)])
            #expect(enabled.status == .ok)
            let again = try await app.postLogin(email: moderator.email, password: "correct horse battery staple")
            #expect(again.headers.first(name: .location) == "/admin/second-factor")
            // Revoked tokens stay revoked.
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .unauthorized)
            let actions = try await AuditEntry.query(on: app.db).filter(
                \.$action ~~ ["account_disable", "account_enable"]
            )
            .count()
            #expect(actions == 2)
        }
    }

    @Test func nobodyDisablesTheirOwnAccount() async throws {
        try await withApp { app in
            let (admin, _) = try await app.makeModerator(role: .admin)
            let session = try await app.signIn(email: admin.email, password: "correct horse battery staple")
            let refused = try await app.send(
                .POST, "/admin/accounts/\(try admin.requireID())/disable", headers: ["Cookie": session.cookie],
                form: [("csrf", session.csrf)])
            #expect(refused.status == .badRequest)
            #expect(try await Account.find(admin.requireID(), on: app.db)?.isDisabled == false)
        }
    }

    @Test func aPasswordResetIssuesAOneTimePasswordAndEndsEverything() async throws {
        try await withApp { app in
            let (moderator, token) = try await app.makeModerator(role: .moderator)
            let session = try await app.signIn(email: moderator.email, password: "correct horse battery staple")
            let admin = try await app.signIn(role: .admin)
            let reset = try await app.send(
                .POST, "/admin/accounts/\(try moderator.requireID())/reset-password", headers: ["Cookie": admin.cookie],
                form: [("csrf", admin.csrf)])
            let password = String(try #require(reset.body.string.firstMatch(of: /class="one-time-secret">([^<]+)</)?.1))
            #expect(
                try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie]).headers.first(name: .location)
                    == "/admin/login")
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .unauthorized)
            #expect(
                try await app.postLogin(email: moderator.email, password: "correct horse battery staple").status
                    == .unauthorized)
            let signedIn = try await app.signIn(email: moderator.email, password: password)
            let landing = try await app.send(.GET, "/admin", headers: ["Cookie": signedIn.cookie])
            #expect(landing.headers.first(name: .location) == "/admin/password")
        }
    }

    @Test func anAdministratorResetsASecondFactorFromThePanel() async throws {
        try await withApp { app in
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            let admin = try await app.signIn(role: .admin)
            let reset = try await app.send(
                .POST, "/admin/accounts/\(try moderator.requireID())/reset-second-factor",
                headers: ["Cookie": admin.cookie], form: [("csrf", admin.csrf)])
            #expect(reset.status == .ok)
            #expect(try await Account.find(moderator.requireID(), on: app.db)?.totpSecretSealed == nil)
        }
    }
}

/// Issue #13: API tokens are named, listed, expire, can be revoked, and a new one needs a fresh
/// code from the authenticator app.
@Suite struct APITokenTests {
    @Test func aTokenNeedsAFreshCodeAndIsShownOnce() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let codes = try await SecondFactorService.enrol(
                account, secret: testTOTPSecret, code: try await app.authenticatorCode(for: account), app: app,
                on: app.db)
            let session = try await app.signIn(email: account.email, password: "correct horse battery staple")
            let page = try await app.send(.GET, "/admin/tokens", headers: ["Cookie": session.cookie])
            let csrf = String(try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))

            for (name, code) in [
                ("export script", "000000"), ("export script", codes[0]),
                ("", try await app.authenticatorCode(for: account)),
            ] {
                let refused = try await app.send(
                    .POST, "/admin/tokens", headers: ["Cookie": session.cookie],
                    form: [("name", name), ("code", code), ("csrf", csrf)])
                #expect(refused.status == .badRequest, "\(name) \(code)")
            }
            // A recovery code is not spent on a token.
            #expect(try await SecondFactorService.remainingRecoveryCodes(account, on: app.db) == 10)
            let before = try await APIToken.query(on: app.db).count()

            let made = try await app.send(
                .POST, "/admin/tokens", headers: ["Cookie": session.cookie],
                form: [
                    ("name", "export script"), ("code", try await app.authenticatorCode(for: account)), ("csrf", csrf),
                ])
            #expect(made.status == .ok)
            let token = String(
                try #require(made.body.string.firstMatch(of: /class="one-time-secret">(dauys_[^<]+)</)?.1))
            #expect(try await APIToken.query(on: app.db).count() == before + 1)
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(token)"]).status
                    == .ok)
            let list = try await app.send(.GET, "/admin/tokens", headers: ["Cookie": session.cookie]).body.string
            #expect(list.contains("export script") && !list.contains(token))
        }
    }

    @Test func tokensExpireAndCanBeRevokedByTheirOwnerOnly() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let old = try await AccountService.issueToken(
                for: account, name: "old", on: app.db, now: Date().addingTimeInterval(-APIToken.defaultLifetime - 60))
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(old)"]).status
                    == .unauthorized)

            let live = try await AccountService.issueToken(for: account, name: "live", on: app.db)
            let id = try #require(try await APIToken.query(on: app.db).filter(\.$name == "live").first()?.requireID())
            let stranger = try await app.signIn(role: .admin)
            let notTheirs = try await app.send(
                .POST, "/admin/tokens/\(id)/revoke", headers: ["Cookie": stranger.cookie],
                form: [("csrf", stranger.csrf)])
            #expect(notTheirs.status == .notFound)
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(live)"]).status
                    == .ok)

            let owner = try await app.signIn(email: account.email, password: "correct horse battery staple")
            let revoked = try await app.send(
                .POST, "/admin/tokens/\(id)/revoke", headers: ["Cookie": owner.cookie], form: [("csrf", owner.csrf)])
            #expect(revoked.status == .ok)
            #expect(
                try await app.send(.GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(live)"]).status
                    == .unauthorized)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "token_revoke").count() == 1)
        }
    }
}
