import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: a stolen password alone opens nothing. The second factor is a TOTP code (RFC 6238)
/// from an authenticator app, each code good once, or a single-use recovery code.
@Suite struct SecondFactorTests {
    /// RFC 6238 appendix B, SHA-1 rows, cut to the six digits apps show; RFC 4648's base32 vector.
    @Test func codesAreTheStandardOnes() {
        let secret = Data("12345678901234567890".utf8)
        for (time, expected) in [
            (59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037"),
        ] {
            #expect(SecondFactor.code(secret: secret, step: time / 30) == expected, "\(time)")
        }
        #expect(SecondFactor.base32(Data("foobar".utf8)) == "MZXW6YTBOI")
        #expect(SecondFactorService.base32Decoded("MZXW6YTBOI") == Data("foobar".utf8))
        #expect(SecondFactorService.base32Decoded("MZXW6YTB0I") == nil, "0 is not a base32 letter")
    }

    @Test func oneStepOfClockDriftEitherWayAndNoMore() {
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let current = SecondFactor.step(at: now)
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = SecondFactor.code(secret: testTOTPSecret, step: current + offset)
            let step = SecondFactor.acceptedStep(for: code, secret: testTOTPSecret, after: nil, now: now)
            #expect((step == current + offset) == accepted, "offset \(offset)")
        }
        // A step at or before the last one accepted is a replay.
        let code = SecondFactor.code(secret: testTOTPSecret, step: current)
        #expect(SecondFactor.acceptedStep(for: code, secret: testTOTPSecret, after: current, now: now) == nil)
        #expect(
            SecondFactor.acceptedStep(for: " " + code + " ", secret: testTOTPSecret, after: current - 1, now: now)
                == current)
        for junk in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            #expect(
                SecondFactor.acceptedStep(for: junk, secret: testTOTPSecret, after: nil, now: now) == nil, "\(junk)")
        }
    }

    @Test func theQRCodeIsDrawnHereAsSVG() throws {
        let uri = SecondFactor.otpauthURI(secret: testTOTPSecret, email: "moderator@example.org")
        #expect(
            uri.hasPrefix(
                "otpauth://totp/Dauys:moderator@example.org?secret=AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU&issuer=Dauys"))
        let svg = try #require(QRCode.svg(uri, label: "QR <key>"))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        // Every QR symbol's top-left finder pattern starts with a dark module, after the quiet zone.
        #expect(svg.contains("M4 4h1v1h-1z"))
        #expect(svg.contains("<title id=\"qr-title\">QR &lt;key&gt;</title>"))
        #expect(
            !svg.contains("http://") || svg.components(separatedBy: "http://").count == 2, "no link but the namespace")
    }

    @Test func aCodeWorksOnceEvenWhenSentTwiceAtOnce() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let code = try await app.authenticatorCode(for: account)
            let first = try await Self.passwordStep(app, account)
            let second = try await Self.passwordStep(app, account)
            async let a = app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": first.cookie],
                form: [("code", code), ("csrf", first.csrf)])
            async let b = app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": second.cookie],
                form: [("code", code), ("csrf", second.csrf)])
            let statuses = [try await a.status, try await b.status].map(\.code).sorted()
            #expect(statuses == [303, 401], "\(statuses)")
            let failures = try await AuditEntry.query(on: app.db).filter(\.$action == "sign_in_failed").count()
            #expect(failures == 1)

            // The same code later, from a fresh password step, is refused too.
            let third = try await Self.passwordStep(app, account)
            let replay = try await app.send(
                .POST, "/admin/second-factor?lang=en", headers: ["Cookie": third.cookie],
                form: [("code", code), ("csrf", third.csrf)])
            #expect(replay.status == .unauthorized)
            #expect(replay.body.string.contains(app.translations.text("error_totp_wrong", .en)))
            #expect(replay.headers.first(name: .location) == nil)
        }
    }

    @Test func eachRecoveryCodeOpensThePanelOnce() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let codes = try await SecondFactorService.enrol(
                account, secret: testTOTPSecret, code: try await app.authenticatorCode(for: account), app: app,
                on: app.db)
            #expect(codes.count == 10)
            let typed = " " + codes[3].uppercased().replacingOccurrences(of: "-", with: " ") + " "
            let step = try await Self.passwordStep(app, account)
            let used = try await app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": step.cookie],
                form: [("code", typed), ("csrf", step.csrf)])
            #expect(used.status == .seeOther)
            #expect(try await SecondFactorService.remainingRecoveryCodes(account, on: app.db) == 9)
            #expect(
                try await AuditEntry.query(on: app.db).filter(\.$action == "second_factor_recovery_code").count() == 1)

            let again = try await Self.passwordStep(app, account)
            let reused = try await app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": again.cookie],
                form: [("code", codes[3]), ("csrf", again.csrf)])
            #expect(reused.status == .unauthorized)
            #expect(try await SecondFactorService.remainingRecoveryCodes(account, on: app.db) == 9)
        }
    }

    /// Someone who has the password cannot guess codes quickly, even from many addresses: wrong
    /// codes slow down the account's next try wherever it comes from.
    @Test func wrongCodesSlowDownTheNextTryFromAnywhere() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            for _ in 0..<3 {
                let step = try await Self.passwordStep(app, account)
                let wrong = try await app.send(
                    .POST, "/admin/second-factor", headers: ["Cookie": step.cookie],
                    form: [("code", "000000"), ("csrf", step.csrf)])
                #expect(wrong.status == .unauthorized)
            }
            let step = try await Self.passwordStep(app, account)
            let slowed = try await app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": step.cookie],
                form: [("code", try await app.authenticatorCode(for: account)), ("csrf", step.csrf)])
            #expect(slowed.status == .tooManyRequests)
            #expect(Int(slowed.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            // Nothing opened: the password step's session is still only that.
            #expect(
                try await app.send(.GET, "/admin", headers: ["Cookie": step.cookie]).headers.first(name: .location)
                    == "/admin/login")
        }
    }

    @Test func theSecondFactorPagesNeedAFreshPasswordAndAFormToken() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            for path in ["/admin/second-factor", "/admin/second-factor/setup"] {
                #expect(try await app.send(.GET, path).headers.first(name: .location) == "/admin/login", "\(path)")
            }
            let step = try await Self.passwordStep(app, account)
            let forged = try await app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": step.cookie],
                form: [("code", try await app.authenticatorCode(for: account)), ("csrf", "forged")])
            #expect(forged.status == .forbidden)
            // An enrolled account cannot enrol another app over its own without an administrator.
            let setup = try await app.send(.GET, "/admin/second-factor/setup", headers: ["Cookie": step.cookie])
            #expect(setup.headers.first(name: .location) == "/admin/second-factor")
        }
    }

    @Test func anAdministratorResetsAModeratorsSecondFactor() async throws {
        try await withApp { app in
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            let (administrator, _) = try await app.makeModerator(role: .admin)
            try await SecondFactorService.reset(moderator, by: administrator, on: app.db)
            let entry = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "second_factor_reset").first())
            #expect(entry.actorEmail == administrator.email && entry.detail.contains(moderator.email))
            let login = try await app.postLogin(email: moderator.email, password: "correct horse battery staple")
            let cookie = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"]).string)
            let prompt = try await app.send(.GET, "/admin/second-factor", headers: ["Cookie": cookie])
            #expect(prompt.headers.first(name: .location) == "/admin/second-factor/setup")
            #expect(try await SecondFactorService.remainingRecoveryCodes(moderator, on: app.db) == 0)
        }
    }

    /// The password given, the second-factor page open: its session cookie and form token.
    static func passwordStep(_ app: Application, _ account: Account) async throws -> (cookie: String, csrf: String) {
        let login = try await app.postLogin(email: account.email, password: "correct horse battery staple")
        let cookie = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"]).string)
        let page = try await app.send(.GET, "/admin/second-factor", headers: ["Cookie": cookie])
        return (cookie, String(try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)))
    }
}
