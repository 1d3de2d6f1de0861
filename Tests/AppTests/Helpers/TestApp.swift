import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Runs `test` against a freshly configured application; with `logs`, its log goes there.
///
/// By default the database is a private in-memory SQLite. When `DAUYS_TEST_DATABASE_URL` is set
/// (the test script does so), each test gets its own schema on that PostgreSQL server, so the
/// same suite runs on both databases and tests never see each other's rows.
func withApp(
    _ adjust: (inout AppConfig) -> Void = { _ in }, logs: LogCapture? = nil,
    _ test: (Application) async throws -> Void
) async throws {
    // Swift Testing starts every test at once; on PostgreSQL each application holds its own
    // connections, so only so many run together or the server refuses clients.
    guard testsUsePostgres else { return try await runApp(adjust, logs: logs, test) }
    await postgresGate.enter()
    do {
        try await runApp(adjust, logs: logs, test)
    } catch {
        await postgresGate.leave()
        throw error
    }
    await postgresGate.leave()
}

private func runApp(
    _ adjust: (inout AppConfig) -> Void, logs: LogCapture?, _ test: (Application) async throws -> Void
) async throws {
    let app = try await Application.make(.testing)
    if let logs { app.logger = logs.logger() }
    var config = testConfig()
    adjust(&config)
    do {
        try await configure(app, config: config)
        try await test(app)
    } catch {
        await cleanUp(app, config: config)
        throw error
    }
    await cleanUp(app, config: config)
}

/// Shuts the application down and drops its PostgreSQL schema.
func cleanUp(_ app: Application, config: AppConfig) async {
    if let schema = config.postgresSearchPath, let sql = app.db as? any SQLDatabase {
        try? await sql.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
    }
    try? await app.asyncShutdown()
}

/// The key of the authenticator app every test account has enrolled.
let testTOTPSecret = Data((1...20).map { UInt8($0) })

/// At most this many applications talk to the test PostgreSQL server at once: each opens up to
/// one connection per event loop, and the server started by `scripts/postgres.sh` takes 300.
let postgresGate = AsyncGate(width: 24)

/// Whether this run is the PostgreSQL run of the suite.
var testsUsePostgres: Bool { ProcessInfo.processInfo.environment["DAUYS_TEST_DATABASE_URL"] != nil }

func testConfig() -> AppConfig {
    let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-test-\(UUID().uuidString)")
        .path
    var database = AppConfig.DatabaseChoice.sqliteMemory
    var schema: String?
    if let url = ProcessInfo.processInfo.environment["DAUYS_TEST_DATABASE_URL"] {
        database = .postgres(url: url)
        schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
    return AppConfig(
        dataDirectory: dataDirectory, database: database, publicURL: nil,
        tileURL: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", exitURL: "https://www.google.kz/",
        logLevel: .warning,
        secretFromEnvironment: Data(repeating: 7, count: 32).base64EncodedString(), hashCost: 4,
        postgresSearchPath: schema)
}

/// A complete, valid report in the API's JSON shape; tests change one field at a time.
func validReportJSON(_ changes: [String: Any?] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "role": "victim",
        "date": "2025-03-08",
        "timeBand": "evening",
        "latitude": 43.2389,
        "longitude": 76.8897,
        "city": "almaty",
        "landmark": "остановка у ЦУМа",
        "placeType": "street",
        "kinds": ["catcalling", "verbal"],
        "perpetrator": "stranger",
        "perpetratorCount": "one",
        "prevented": false,
        "description": "Мужчина шёл за мной от остановки и выкрикивал оскорбления 😡 Қорқынышты болды.",
        "publishConsent": true,
        "language": "ru",
    ]
    for (key, value) in changes {
        if let value { body[key] = value } else { body.removeValue(forKey: key) }
    }
    return body
}

func jsonBody(_ object: Any) -> ByteBuffer {
    ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
}

extension Application {
    /// One request through the whole middleware stack, with a full URL (query string included).
    func send(
        _ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], json: Any? = nil,
        form: [(String, String)]? = nil
    ) async throws -> TestingHTTPResponse {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            headers.replaceOrAdd(name: .contentType, value: "application/json")
            body = jsonBody(json)
        } else if let form {
            headers.replaceOrAdd(name: .contentType, value: "application/x-www-form-urlencoded")
            body = ByteBuffer(string: formEncode(form))
        }
        return try await testing().sendRequest(method, "/", headers: headers, body: body) { request in
            request.url = URI(string: url)
        }
    }

    /// The same as ``send(_:_:headers:json:form:)`` but through a real server on a loopback port,
    /// for what only a real connection shows (body limits, the peer's address).
    func sendOverNetwork(
        _ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil
    )
        async throws -> TestingHTTPResponse
    {
        try await testing(method: .running(hostname: "127.0.0.1", port: 0)).sendRequest(
            method, "/", headers: headers, body: body
        ) { request in
            request.url = URI(string: url)
        }
    }

    /// Submits a report through the API and returns its receipt code.
    @discardableResult
    func submitReport(_ changes: [String: Any?] = [:]) async throws -> String {
        let response = try await send(.POST, "/api/v1/reports", json: validReportJSON(changes))
        #expect(response.status == .created, "\(response.body.string)")
        return try response.content.decode(ReportService.Receipt.self).receipt
    }

    /// The report behind a receipt code, straight from the database.
    func report(receipt code: String) async throws -> Report {
        let report = try await ReportService.find(receipt: code, app: self, on: db)
        return try #require(report)
    }

    func makeModerator(
        role: AccountRole = .admin, password: String = "correct horse battery staple"
    ) async throws
        -> (account: Account, token: String)
    {
        let account = try await AccountService.create(
            email: "moderator-\(UUID().uuidString.prefix(6))@example.org", password: password, role: role,
            mustChangePassword: false, app: self, on: db)
        // Every account has its authenticator app enrolled, as after its first sign-in.
        account.totpSecretSealed = try SecondFactorService.seal(testTOTPSecret, app: self)
        try await account.save(on: db)
        let token = try await AccountService.issueToken(for: account, on: db)
        return (account, token)
    }

    /// A signed-in panel session for a new account with `role`: its cookie and form token.
    func signIn(role: AccountRole = .moderator) async throws -> (cookie: String, csrf: String) {
        let (account, _) = try await makeModerator(role: role)
        return try await signIn(email: account.email, password: "correct horse battery staple")
    }

    /// Sends the sign-in form as a browser does: the page first, for its token and cookie.
    func postLogin(
        email: String, password: String, path: String = "/admin/login"
    ) async throws
        -> TestingHTTPResponse
    {
        let page = try await send(.GET, "/admin/login")
        let token = try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        let cookie = try #require(page.headers.setCookie?[SignInWebController.formTokenCookie])
        return try await send(
            .POST, path, headers: ["Cookie": "\(SignInWebController.formTokenCookie)=\(cookie.string)"],
            form: [("email", email), ("password", password), ("csrf", String(token))])
    }

    /// Signs in as a moderator does, password then the code from the app, and returns the
    /// session cookie and the form token of the page it lands on.
    func signIn(email: String, password: String) async throws -> (cookie: String, csrf: String) {
        let login = try await postLogin(email: email, password: password)
        #expect(login.headers.first(name: .location) == "/admin/second-factor")
        let passwordStep = "dauys_admin=" + (try #require(login.headers.setCookie?["dauys_admin"])).string
        let prompt = try await send(.GET, "/admin/second-factor", headers: ["Cookie": passwordStep])
        let promptToken = try #require(prompt.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        let account = try #require(try await Account.query(on: db).filter(\.$email == email).first())
        let verified = try await send(
            .POST, "/admin/second-factor", headers: ["Cookie": passwordStep],
            form: [("code", try await authenticatorCode(for: account)), ("csrf", String(promptToken))])
        #expect(verified.status == .seeOther, "\(verified.body.string)")
        let cookie = "dauys_admin=" + (try #require(verified.headers.setCookie?["dauys_admin"])).string
        let landing = verified.headers.first(name: .location) ?? "/admin"
        let page = try await send(.GET, landing, headers: ["Cookie": cookie])
        return (cookie, String(try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)))
    }

    /// The code the account's app shows now; if this step's code was just used, the next one's
    /// (accepted as clock drift), and failing that it waits for a new step.
    func authenticatorCode(for account: Account, secret: Data = testTOTPSecret) async throws -> String {
        let lastStep = try await Account.find(try account.requireID(), on: db)?.totpLastStep ?? .min
        var current = SecondFactor.step(at: Date())
        if lastStep > current {
            try await Task.sleep(for: .seconds(Double(SecondFactor.period * (lastStep - current)) + 0.5))
            current = SecondFactor.step(at: Date())
        }
        return SecondFactor.code(secret: secret, step: max(current, lastStep + 1))
    }

    /// Publishes a report through the admin API, as a moderator would.
    @discardableResult
    func publish(
        receipt code: String, text: String = "Незнакомец преследовал и оскорблял на улице вечером.",
        precision: String? = nil
    ) async throws -> TestingHTTPResponse {
        let (_, token) = try await makeModerator()
        let report = try await report(receipt: code)
        var body: [String: Any] = ["publicDescription": text]
        if let precision { body["precision"] = precision }
        let response = try await send(
            .POST, "/api/v1/admin/reports/\(try report.requireID())/publish",
            headers: ["Authorization": "Bearer \(token)"],
            json: body)
        #expect(response.status == .ok, "\(response.body.string)")
        return response
    }
}

func formEncode(_ pairs: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return pairs.map { key, value in
        (key.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "="
            + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }.joined(separator: "&")
}

/// The error body of SPEC §3, decoded.
func errorFields(_ response: TestingHTTPResponse) throws -> [String: String] {
    try response.content.decode(ErrorBody.self).error.fields ?? [:]
}
