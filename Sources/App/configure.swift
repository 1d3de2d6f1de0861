import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import SQLKit
import Vapor

/// Wires the whole application: settings, secrets, database, views, sessions, middleware,
/// commands and routes, in that order.
func configure(_ app: Application, config: AppConfig) async throws {
    app.config = config
    app.logger.logLevel = config.logLevel
    app.secrets = try Secrets.load(config: config, logger: app.logger, production: app.environment == .production)
    app.translations = try Translations.load(from: app.directory.resourcesDirectory + "Locales")

    // Database: the embedded SQLite file by default, PostgreSQL when DATABASE_URL is set.
    switch config.database {
    case .sqliteFile(let path):
        // SQLite gives its -wal and -shm files the database file's mode, so owner-only here
        // keeps all three private whatever the umask.
        try PrivateFiles.makeDirectory(config.dataDirectory)
        try PrivateFiles.prepareDatabaseFile(path)
        app.databases.use(.sqlite(.file(path), sqlLogLevel: nil), as: .sqlite)
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory, sqlLogLevel: nil), as: .sqlite)
    case .postgres(let url):
        var postgres = try SQLPostgresConfiguration(url: url)
        postgres.searchPath = config.postgresSearchPath.map { [$0] }
        // Queries are logged only at trace, a level LOG_LEVEL refuses: they carry report texts.
        app.databases.use(.postgres(configuration: postgres, sqlLogLevel: .trace), as: .psql)
    }

    app.migrations.add(CreateCity())
    app.migrations.add(CreateReport())
    app.migrations.add(CreateAccounts())
    app.migrations.add(SessionRecord.migration)
    app.migrations.add(CreateHotline())
    app.migrations.add(CreateGuide())
    app.migrations.add(CreateFAQEntry())
    app.migrations.add(CreateBotTables())
    app.migrations.add(ReviewStoredReportsForPrivacy(locationKey: app.secrets.locationKey))
    app.migrations.add(AddEvidenceFields())
    app.migrations.add(CreateDataReleases())
    app.migrations.add(SecureAccounts())
    app.migrations.add(AddClaims())
    app.migrations.add(CreateReportMessages())
    app.migrations.add(AddMerges())
    app.migrations.add(CreateQuestionWatches())
    app.migrations.add(RoundBotTimesToTheHour())
    app.migrations.add(CreatePublicChanges())
    // Before the migrations that move the counter: they log their change too.
    app.migrations.add(CreatePublicChangeLog())
    app.migrations.add(CreateStatisticsCounts())
    app.migrations.add(WidenPublishedPlaceIndex())
    app.migrations.add(RederivePublicPoints(locationKey: app.secrets.locationKey))
    app.migrations.add(AddDisclosureKeys())
    app.migrations.add(AddReleaseMembers())
    app.migrations.add(RefreshReleasePoints())
    app.migrations.add(DropStatisticsCounts())
    app.migrations.add(CreateNewestIncidentsIndex())

    if app.databases.ids().contains(.sqlite) {
        try await SQLiteDurability.apply(to: app)
    }
    if let schema = config.postgresSearchPath, let sql = app.db as? any SQLDatabase {
        try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
    }
    try await app.autoMigrate()
    try await seedCities(on: app.db)
    try await HotlineDirectory.seed(from: app.directory.resourcesDirectory + "Content/hotlines.json", on: app.db)
    try await GuideLibrary.seed(from: app.directory.resourcesDirectory + "Content/guides.json", on: app.db)
    try await FAQLibrary.seed(from: app.directory.resourcesDirectory + "Content/faq.json", on: app.db)

    // Map tiles, fetched and cached by our server so visitors never contact a third party.
    let contact = config.publicURL.map { " (+\($0.absoluteString))" } ?? ""
    app.tileCache = TileCache(
        directory: config.dataDirectory + "/tiles", maxBytes: config.tileCacheBytes, upstream: config.tileURL,
        userAgent: "Dauys-tile-proxy/1.0\(contact)")

    // A server told to stop stops within seconds (SIGTERM is followed by SIGKILL): requests
    // still open after 3 seconds — a hung tile fetch, a client that went quiet mid-request —
    // are cut off, after the bot's own grace period (``TelegramBot/shutdownGrace``).
    app.http.server.configuration.shutdownTimeout = .seconds(3)

    // Text answers (pages, JSON, CSS, JS) are compressed for clients that accept it; a phone on
    // 3G gets the map's scripts in a fraction of the bytes. Not the panel's pages: they hold
    // the session's form token beside text a request can choose, which compression would let
    // an eavesdropper guess byte by byte (BREACH); `SecurityHeadersMiddleware` turns it off there.
    app.http.server.configuration.responseCompression = .enabledForCompressibleTypes

    // Outbound requests for tiles must not hang a visitor's request.
    app.http.client.configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))

    // The Telegram bot, when a token is set; its Bot API calls use their own longer timeout.
    if let telegram = config.telegram {
        let bot = TelegramBot(app: app, settings: telegram)
        app.telegramBot = bot
        app.lifecycle.use(bot)
    }

    // Every public view is computed from this instance's copy of the published set and kept
    // for its version (issue #22).
    let published = PublishedSet()
    app.publishedSet = published
    app.clusterCache = ClusterCache(following: published)
    app.clusterGridCache = ClusterGridCache(capacity: 256, following: published)
    app.statisticsCache = PublicViewCache(capacity: 256, following: published)
    app.statisticsJSONCache = PublicViewCache(capacity: 256, following: published)
    app.homePageCache = PublicViewCache(capacity: 128, following: published)
    app.densityCache = PublicViewCache(capacity: 256, following: published)
    app.statisticsPageCache = PublicViewCache(capacity: 128, following: published)
    app.reportFormCache = LanguagePageCache()
    app.pageRenders = PageRenders()
    app.submissionWriter = SubmissionWriter()
    app.rateLimiter = RateLimiter()
    app.signInThrottle = SignInThrottle()
    app.dummyPasswordHash = try await app.slowHash(TokenHashing.randomToken())
    if !config.rateLimits.enabled { app.logger.warning("Abuse limits are off (DAUYS_RATE_LIMITS=off).") }

    // Views.
    app.views.use(.leaf)
    app.leaf.cache.isEnabled = app.environment.isRelease

    // Sessions live in the database so any instance can serve any request, stored under a hash
    // of their id. The cookie is HttpOnly, SameSite=Strict and Path=/; under HTTPS or in
    // production it is Secure and named `__Host-`, which browsers accept only from this host
    // over HTTPS (a plain-HTTP development server cannot use the prefix).
    app.sessions.use { _ in HashedSessionDriver() }
    let secureCookie = config.usesHTTPS || app.environment == .production
    app.sessions.configuration = SessionsConfiguration(cookieName: AdminSession.cookieName(secure: secureCookie)) {
        id in
        HTTPCookies.Value(
            string: id.string, maxAge: Int(AdminSession.absoluteLifetime), path: "/", isSecure: secureCookie,
            isHTTPOnly: true, sameSite: .strict)
    }

    // Middleware, outermost first. Vapor's defaults are replaced on purpose: its request logger
    // writes the full URL and its error middleware the user agent (SPEC rule 1).
    app.middleware = Middlewares()
    app.requestCounts = RequestCounts()
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(config: config))
    app.middleware.use(AppErrorMiddleware())
    app.middleware.use(LoadSheddingMiddleware(limit: config.maxRequestsInFlight))
    app.middleware.use(SameOriginMiddleware(publicURL: config.publicURL))
    app.staticAssets = try StaticAssets.load(publicDirectory: app.directory.publicDirectory)
    app.middleware.use(StaticFilesMiddleware(assets: app.staticAssets))
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(LanguageCookieMiddleware())
    app.routes.defaultMaxBodySize = "256kb"
    app.http.server.configuration.serverName = nil

    // Commands of the one `dauys` executable (SPEC §7).
    app.asyncCommands.use(ServeAndAnnounceCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(MigrateNowCommand(), as: "migrate")
    app.asyncCommands.use(AdminCommand(), as: "admin")
    app.asyncCommands.use(DemoDataCommand(), as: "demo-data")
    app.asyncCommands.use(TelegramCommand(), as: "telegram")

    try routes(app)
}

/// SQLite durability (SPEC §5, rule 3): write-ahead log, full fsync on commit, foreign keys,
/// a busy timeout so concurrent writers wait instead of failing, and deleted content overwritten.
///
/// Fluent's SQLite driver keeps one long-lived connection per event loop and offers no hook for
/// new connections, so the settings are applied to each loop's connection at start-up.
/// `journal_mode` is stored in the file itself; SQLiteNIO's build keeps SQLite's default of
/// `synchronous=FULL` for any connection opened later.
enum SQLiteDurability {
    static let pragmas = [
        "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000",
        // Deleted rows are overwritten with zeros, so a withdrawn text leaves the file (issue #10).
        "PRAGMA secure_delete=ON",
    ]

    static func apply(to app: Application) async throws {
        for loop in app.eventLoopGroup.makeIterator() {
            guard let sql = app.databases.database(.sqlite, logger: app.logger, on: loop) as? any SQLDatabase else {
                continue
            }
            for pragma in pragmas { try await sql.raw(SQLQueryString(pragma)).run() }
        }
    }
}
