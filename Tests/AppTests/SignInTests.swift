import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: signing in tells a stranger nothing, and failures cannot be turned against the
/// moderators they target.
@Suite struct SignInTests {
    static let moderatorsDevice = "203.0.113.5"
    static let strangersDevice = "198.51.100.7"

    @Test func aStrangerGuessingCannotLockAModeratorOut() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            var answers: [String] = []
            for _ in 0..<8 {
                let result = try await AccountService.login(
                    email: account.email, password: "a wrong guess", client: Self.strangersDevice, app: app, on: app.db)
                answers.append(Self.describe(result))
            }
            #expect(answers.prefix(3) == ["wrong", "wrong", "wrong"])
            #expect(answers.dropFirst(3).allSatisfy { $0.hasPrefix("slowed") }, "\(answers)")
            // Even the right password waits on the stranger's device...
            let fromStranger = try await AccountService.login(
                email: account.email, password: "correct horse battery staple", client: Self.strangersDevice, app: app,
                on: app.db)
            #expect(Self.describe(fromStranger).hasPrefix("slowed"))
            // ...but the moderator on their own device signs in at once.
            let fromModerator = try await AccountService.login(
                email: account.email, password: "correct horse battery staple", client: Self.moderatorsDevice,
                app: app, on: app.db)
            #expect(Self.describe(fromModerator) == "success")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "sign_in_failed").count() == 3)
            // The audit log shows them, without an empty link to a report they do not concern.
            let session = try await app.signIn(role: .admin)
            let audit = try await app.send(.GET, "/admin/audit", headers: ["Cookie": session.cookie]).body.string
            #expect(audit.contains("sign_in_failed") && !audit.contains(#"href="/admin/reports/""#))
        }
    }

    @Test func unknownAddressesAreAnsweredAsKnownOnesAre() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            for email in [account.email, "nobody-\(UUID().uuidString.prefix(4))@example.org"] {
                var answers: [String] = []
                for _ in 0..<4 {
                    answers.append(
                        Self.describe(
                            try await AccountService.login(
                                email: email, password: "a wrong guess", client: Self.strangersDevice, app: app,
                                on: app.db)))
                }
                #expect(answers.map { $0.prefix(6) } == ["wrong", "wrong", "wrong", "slowed"], "\(email)")
            }
            // Over HTTP the two refusals are the same page, with no cookie.
            let known = try await app.postLogin(email: account.email, password: "guess", path: "/admin/login?lang=en")
            let unknown = try await app.postLogin(
                email: "nobody@example.org", password: "guess", path: "/admin/login?lang=en")
            #expect(known.status == .unauthorized && unknown.status == .unauthorized)
            // Each page has a fresh form token; apart from it and the typed address, the same bytes.
            func page(_ response: TestingHTTPResponse, typed: String) -> String {
                response.body.string.replacingOccurrences(of: typed, with: "")
                    .replacing(/name="csrf" value="[^"]+"/, with: "")
            }
            #expect(page(known, typed: account.email) == page(unknown, typed: "nobody@example.org"))
            #expect(known.headers.setCookie?["dauys_admin"] == nil && unknown.headers.setCookie?["dauys_admin"] == nil)
        }
    }

    /// The time a refusal takes is the time of one bcrypt check at the accounts' own cost: the
    /// check made for an unknown address uses a hash of that cost (issue #13: "the dummy hash
    /// at the real cost").
    @Test func theCheckForAnUnknownAddressCostsWhatARealOneCosts() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            #expect(account.passwordHash.prefix(7) == app.dummyPasswordHash.prefix(7))
            #expect(app.dummyPasswordHash.prefix(7) == "$2b$04$")
        }
    }

    @Test func waitsGrowWithEachFailureAndEndWithSuccess() async {
        let throttle = SignInThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let email = "moderator@example.org", device = Self.moderatorsDevice
        var waits: [Int?] = []
        for failure in 0..<8 {
            let now = start.addingTimeInterval(Double(failure) * 3600)
            await throttle.recordFailure(email: email, client: device, now: now)
            waits.append(await throttle.remainingWait(email: email, client: device, now: now))
        }
        #expect(waits == [nil, nil, 30, 60, 120, 240, 480, 900])
        let later = start.addingTimeInterval(7 * 3600)
        #expect(await throttle.remainingWait(email: "MODERATOR@example.org", client: device, now: later) == 900)
        #expect(await throttle.remainingWait(email: email, client: Self.strangersDevice, now: later) == nil)
        #expect(await throttle.remainingWait(email: "other@example.org", client: device, now: later) == nil)
        #expect(await throttle.remainingWait(email: email, client: device, now: later.addingTimeInterval(900)) == nil)
        await throttle.recordSuccess(email: email, client: device, now: later.addingTimeInterval(900))
        await throttle.recordFailure(email: email, client: device, now: later.addingTimeInterval(901))
        #expect(await throttle.remainingWait(email: email, client: device, now: later.addingTimeInterval(901)) == nil)
    }

    /// The sign-in form carries a token tied to a cookie of the page it came from: without both,
    /// or with another page's, the password is not even checked.
    @Test func theSignInFormNeedsItsOwnToken() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let credentials: [(String, String)] = [
                ("email", account.email), ("password", "correct horse battery staple"),
            ]
            let page = try await app.send(.GET, "/admin/login")
            let token = String(try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let cookie = try #require(page.headers.setCookie?[SignInWebController.formTokenCookie])
            #expect(
                cookie.isHTTPOnly && cookie.sameSite == .strict && cookie.path == "/admin/login" && cookie.maxAge == nil
            )
            let other = try await app.send(.GET, "/admin/login")
            let otherToken = String(try #require(other.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let jar = "\(SignInWebController.formTokenCookie)=\(cookie.string)"
            let withJar: HTTPHeaders = ["Cookie": jar], without: HTTPHeaders = [:]
            let attempts: [(HTTPHeaders, [(String, String)])] = [
                (without, credentials),
                (withJar, credentials),
                (without, credentials + [("csrf", token)]),
                (withJar, credentials + [("csrf", otherToken)]),
                (withJar, credentials + [("csrf", "")]),
            ]
            for (headers, form) in attempts {
                let refused = try await app.send(.POST, "/admin/login", headers: headers, form: form)
                #expect(refused.status == .forbidden)
                #expect(refused.headers.setCookie?["dauys_admin"] == nil)
            }
            let accepted = try await app.send(
                .POST, "/admin/login", headers: ["Cookie": jar], form: credentials + [("csrf", token)])
            #expect(accepted.headers.first(name: .location) == "/admin/second-factor")
        }
    }

    static func describe(_ result: AccountService.LoginResult) -> String {
        switch result {
        case .success: "success"
        case .wrongCredentials: "wrong"
        case .slowedDown(let seconds): "slowed \(seconds)"
        }
    }
}

/// The session cookie and what the database keeps of it.
@Suite struct SessionCookieTests {
    @Test func overHTTPSTheCookieIsHostOnlySecureStrictAndHttpOnly() async throws {
        try await withApp({ $0.publicURL = URL(string: "https://dauys.kz") }) { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let login = try await app.postLogin(email: account.email, password: "correct horse battery staple")
            #expect(login.headers.setCookie?["dauys_admin"] == nil)
            let cookie = try #require(login.headers.setCookie?["__Host-dauys_admin"])
            #expect(cookie.isSecure && cookie.isHTTPOnly && cookie.sameSite == .strict && cookie.path == "/")
            #expect(cookie.domain == nil, "__Host- cookies name no domain")
        }
    }

    @Test func theDatabaseKeepsOnlyAHashOfEachSessionId() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .moderator)
            let id = String(session.cookie.dropFirst("dauys_admin=".count))
            let keys = try await SessionRecord.query(on: app.db).all().map(\.key.string)
            #expect(!keys.isEmpty && !keys.contains(id))
            #expect(keys.contains(TokenHashing.sha256(id)))
            // The hash itself opens nothing.
            let forged = try await app.send(
                .GET, "/admin", headers: ["Cookie": "dauys_admin=" + TokenHashing.sha256(id)])
            #expect(forged.headers.first(name: .location) == "/admin/login")
            // Made-up cookies, however many, store nothing.
            for _ in 0..<5 {
                _ = try await app.send(.GET, "/admin", headers: ["Cookie": "dauys_admin=" + TokenHashing.randomToken()])
            }
            #expect(try await SessionRecord.query(on: app.db).count() == keys.count)
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie]).status == .ok)
        }
    }

    /// Each step of signing in gets a new session id: the id of the password step, which a
    /// shoulder-surfer or a planted cookie might know, opens nothing once the code is given.
    @Test func eachStepOfSigningInGetsANewSessionId() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let login = try await app.postLogin(email: account.email, password: "correct horse battery staple")
            let passwordStep = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"])).string
            let prompt = try await app.send(.GET, "/admin/second-factor", headers: ["Cookie": passwordStep])
            #expect(prompt.status == .ok)
            let token = try #require(prompt.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
            let verified = try await app.send(
                .POST, "/admin/second-factor", headers: ["Cookie": passwordStep],
                form: [("code", try await app.authenticatorCode(for: account)), ("csrf", String(token))])
            let signedIn = "dauys_admin=" + (try #require(verified.headers.setCookie?["dauys_admin"])).string
            #expect(signedIn != passwordStep)
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": signedIn]).status == .ok)
            let old = try await app.send(.GET, "/admin", headers: ["Cookie": passwordStep])
            #expect(old.headers.first(name: .location) == "/admin/login")
            #expect(try await SessionRecord.query(on: app.db).count() == 1)
        }
    }

    /// A session ends after 30 minutes without activity, and after 8 hours whatever happens.
    @Test(arguments: ["idle", "absolute"])
    func sessionsExpire(_ how: String) async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .moderator)
            #expect(try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie]).status == .ok)
            let record = try #require(try await SessionRecord.query(on: app.db).first())
            let now = Date().timeIntervalSince1970
            if how == "idle" {
                record.data["seen"] = String(now - AdminSession.idleLifetime - 1)
            } else {
                record.data["started"] = String(now - AdminSession.absoluteLifetime - 1)
                record.data["seen"] = String(now - 5)
            }
            try await record.save(on: app.db)
            let expired = try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie])
            #expect(expired.headers.first(name: .location) == "/admin/login")
            let posted = try await app.send(
                .POST, "/admin/reports/new", headers: ["Cookie": session.cookie], form: [("csrf", session.csrf)])
            #expect(posted.headers.first(name: .location) == "/admin/login")
            let left = try await SessionRecord.query(on: app.db).all().map { $0.data.snapshot }
            #expect(left.isEmpty, "\(left)")
        }
    }
}
