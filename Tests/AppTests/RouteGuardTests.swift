import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: every route of the panel and the admin API, read from the router itself, is tried
/// by nobody, by a moderator, by an administrator and by a disabled account. A new route that
/// is not listed below fails the test, so none can be added without deciding who may call it.
@Suite struct RouteGuardTests {
    enum Guard: Equatable {
        /// Signing in: anyone may reach it.
        case signIn
        /// The panel after both factors; `adminOnly` pages refuse moderators.
        case panel(adminOnly: Bool)
        /// The admin API with a bearer token.
        case api(adminOnly: Bool)
    }

    static let expected: [String: Guard] = [
        "GET /admin/login": .signIn, "POST /admin/login": .signIn,
        "GET /admin/setup/:token": .signIn, "POST /admin/setup/:token": .signIn,
        "GET /admin/second-factor": .signIn, "POST /admin/second-factor": .signIn,
        "GET /admin/second-factor/setup": .signIn, "POST /admin/second-factor/setup": .signIn,

        "GET /admin": .panel(adminOnly: false),
        "POST /admin/bulk": .panel(adminOnly: false),
        "GET /admin/reports/:id": .panel(adminOnly: false),
        "POST /admin/reports/:id/save": .panel(adminOnly: false),
        "POST /admin/reports/:id/publish": .panel(adminOnly: false),
        "POST /admin/reports/:id/reject": .panel(adminOnly: false),
        "POST /admin/reports/:id/archive": .panel(adminOnly: false),
        "POST /admin/reports/:id/merge": .panel(adminOnly: false),
        "GET /admin/reports/new": .panel(adminOnly: false),
        "POST /admin/reports/new": .panel(adminOnly: false),
        "POST /admin/reports/:id/messages": .panel(adminOnly: false),
        "GET /admin/password": .panel(adminOnly: false), "POST /admin/password": .panel(adminOnly: false),
        "POST /admin/logout": .panel(adminOnly: false),
        "GET /admin/tokens": .panel(adminOnly: false), "POST /admin/tokens": .panel(adminOnly: false),
        "POST /admin/tokens/:id/revoke": .panel(adminOnly: false),

        "GET /admin/audit": .panel(adminOnly: true),
        "GET /admin/accounts": .panel(adminOnly: true), "POST /admin/accounts": .panel(adminOnly: true),
        "POST /admin/accounts/:id/disable": .panel(adminOnly: true),
        "POST /admin/accounts/:id/enable": .panel(adminOnly: true),
        "POST /admin/accounts/:id/reset-password": .panel(adminOnly: true),
        "POST /admin/accounts/:id/reset-second-factor": .panel(adminOnly: true),
        "GET /admin/hotlines": .panel(adminOnly: true), "GET /admin/hotlines/new": .panel(adminOnly: true),
        "POST /admin/hotlines": .panel(adminOnly: true), "GET /admin/hotlines/:id": .panel(adminOnly: true),
        "POST /admin/hotlines/:id": .panel(adminOnly: true),
        "GET /admin/guides": .panel(adminOnly: true), "GET /admin/guides/new": .panel(adminOnly: true),
        "POST /admin/guides": .panel(adminOnly: true), "GET /admin/guides/:id": .panel(adminOnly: true),
        "POST /admin/guides/:id": .panel(adminOnly: true),
        "GET /admin/faq": .panel(adminOnly: true), "GET /admin/faq/new": .panel(adminOnly: true),
        "POST /admin/faq": .panel(adminOnly: true), "GET /admin/faq/:id": .panel(adminOnly: true),
        "POST /admin/faq/:id": .panel(adminOnly: true),
        "GET /admin/releases": .panel(adminOnly: true), "POST /admin/releases": .panel(adminOnly: true),

        "GET /api/v1/admin/reports": .api(adminOnly: false),
        "GET /api/v1/admin/reports/:id": .api(adminOnly: false),
        "POST /api/v1/admin/reports/:id/publish": .api(adminOnly: false),
        "POST /api/v1/admin/reports/:id/reject": .api(adminOnly: false),
        "POST /api/v1/admin/reports/:id/archive": .api(adminOnly: false),
        "POST /api/v1/admin/reports/:id/merge": .api(adminOnly: false),
        "GET /api/v1/admin/reports/:id/messages": .api(adminOnly: false),
        "POST /api/v1/admin/reports/:id/messages": .api(adminOnly: false),
        "GET /api/v1/admin/audit": .api(adminOnly: true),
        "POST /api/v1/admin/releases": .api(adminOnly: true),
    ]

    /// The router's own list of the panel's and the admin API's routes, as "METHOD /path".
    static func guardedRoutes(_ app: Application) -> [String] {
        app.routes.all.map { route in
            route.method.rawValue + " /" + route.path.map(\.description).joined(separator: "/")
        }.filter { $0.contains(" /admin") || $0.contains(" /api/v1/admin") }
    }

    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: ":id", with: UUID().uuidString).replacingOccurrences(of: ":token", with: "x")
    }

    @Test func everyRouteOfThePanelAndTheAdminAPIIsListedHere() async throws {
        try await withApp { app in
            let routes = Set(Self.guardedRoutes(app))
            #expect(
                routes.subtracting(Self.expected.keys).isEmpty,
                "routes nobody decided on: \(routes.subtracting(Self.expected.keys).sorted())")
            #expect(
                Set(Self.expected.keys).subtracting(routes).isEmpty,
                "listed but gone: \(Set(Self.expected.keys).subtracting(routes).sorted())")
        }
    }

    @Test func eachRouteLetsInOnlyWhomItShould() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let moderator = try await app.signIn(role: .moderator)
            let administrator = try await app.signIn(role: .admin)
            let (_, moderatorToken) = try await app.makeModerator(role: .moderator)
            let (_, administratorToken) = try await app.makeModerator(role: .admin)
            let (disabledAccount, disabledToken) = try await app.makeModerator(role: .admin)
            let disabled = try await app.signIn(email: disabledAccount.email, password: "correct horse battery staple")
            try await AccountService.setDisabled(
                disabledAccount, true, by: try await app.makeModerator(role: .admin).account, on: app.db)

            // Signing out ends the sessions the other routes are tried with, so it goes last.
            let routes = Self.guardedRoutes(app).sorted {
                ($0.hasSuffix("/logout") ? 1 : 0, $0) < ($1.hasSuffix("/logout") ? 1 : 0, $1)
            }
            for route in routes {
                guard let rule = Self.expected[route] else { continue }
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPMethod(rawValue: String(parts[0]))
                let path = Self.concrete(String(parts[1]))
                func panel(_ session: (cookie: String, csrf: String)?) async throws -> TestingHTTPResponse {
                    var headers: HTTPHeaders = [:]
                    if let session { headers.add(name: .cookie, value: session.cookie) }
                    return try await app.send(
                        method, path, headers: headers, form: method == .POST ? [("csrf", session?.csrf ?? "")] : nil)
                }
                func api(_ token: String?) async throws -> TestingHTTPResponse {
                    var headers: HTTPHeaders = [:]
                    if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
                    return try await app.send(method, path, headers: headers, json: method == .POST ? [:] : nil)
                }
                func toSignIn(_ response: TestingHTTPResponse) -> Bool {
                    response.status == .seeOther && response.headers.first(name: .location) == "/admin/login"
                }
                func refused(_ response: TestingHTTPResponse) -> Bool {
                    [.unauthorized, .forbidden].contains(response.status) || toSignIn(response)
                }
                switch rule {
                case .signIn:
                    continue
                case .panel where route.hasSuffix("/logout"):
                    // Signing out sends everyone to the sign-in page; for a session, it ends it.
                    let anonymous = try await panel(nil), whileDisabled = try await panel(disabled)
                    let signedOut = try await panel(moderator)
                    let afterwards = try await app.send(.GET, "/admin", headers: ["Cookie": moderator.cookie])
                    #expect(toSignIn(anonymous) && toSignIn(whileDisabled) && toSignIn(signedOut))
                    #expect(toSignIn(afterwards), "the session ended")
                case .panel(let adminOnly):
                    #expect(toSignIn(try await panel(nil)), "\(route) without a session")
                    #expect(toSignIn(try await panel(disabled)), "\(route) for a disabled account")
                    let asModerator = try await panel(moderator)
                    #expect(
                        adminOnly ? asModerator.status == .forbidden : !refused(asModerator),
                        "\(route) for a moderator: \(asModerator.status)")
                    let asAdministrator = try await panel(administrator)
                    #expect(!refused(asAdministrator), "\(route) for an administrator: \(asAdministrator.status)")
                case .api(let adminOnly):
                    #expect(try await api(nil).status == .unauthorized, "\(route) without a token")
                    #expect(
                        try await api(disabledToken).status == .unauthorized, "\(route) with a disabled account's token"
                    )
                    let asModerator = try await api(moderatorToken)
                    #expect(
                        adminOnly ? asModerator.status == .forbidden : !refused(asModerator),
                        "\(route) for a moderator: \(asModerator.status)")
                    #expect(!refused(try await api(administratorToken)), "\(route) for an administrator")
                }
            }
        }
    }
}
