import Vapor

/// Every URL the server answers, grouped by who may call it and what guards it.
///
/// | group | who | guards |
/// |---|---|---|
/// | public | anyone | none: reads only, nothing about the visitor is kept |
/// | open data | anyone | abuse limits: each download reads every matching row |
/// | reporter | whoever sends or follows a report | abuse limits; counted, never logged one by one |
/// | panel | moderators and administrators | session cookie after password and second factor, form token; admin pages need the admin role |
/// | admin API | the same, from programs | bearer token |
/// | Telegram | Telegram's servers | the webhook secret, checked in the handler |
///
/// Every group also has the site-wide guards of `configure.swift`: security headers, the
/// cross-site check on anything that changes data, and the privacy-keeping request log.
func routes(_ app: Application) throws {
    let api = app.grouped("api", "v1")
    let map = MapWebController(), mapAPI = MapAPIController(), tiles = TileProxyController()
    let reports = ReportWebController(), reportAPI = ReportAPIController()
    let help = HelpWebController(), guides = GuidesWebController(), faq = FAQWebController()
    let selfCheck = SelfCheckWebController(), helpAPI = HelpAPIController()
    let statistics = StatisticsController()

    // MARK: Public — anyone; nothing about the visitor is kept
    app.get(use: map.home)
    app.get("report", use: reports.form)
    app.get("check", use: reports.checkForm)
    app.get("help", use: help.hotlines)
    app.get("guides", use: guides.list)
    app.get("guides", ":slug", use: guides.show)
    app.get("faq", use: faq.page)
    app.get("stats", use: statistics.page)
    app.get("data", use: OpenDataPage().page)
    app.get("no-trace", use: NoTracePage().page)
    app.get("telegram.svg", use: TelegramOffer().qrCode)
    app.get("self-check", use: selfCheck.form)
    app.post("self-check", use: selfCheck.answer)
    app.get("tiles", ":z", ":x", ":file", use: tiles.tile)
    app.get("vendor", ":package", "**", use: VendorFilesController().file)
    app.get("healthz", use: health)
    api.get("incidents", use: mapAPI.incidents)
    api.get("incidents", "density", use: mapAPI.density)
    api.get("incidents", "clusters", use: mapAPI.clusters)
    api.get("incidents", ":id", use: mapAPI.incident)
    api.get("cities", use: mapAPI.cities)
    api.get("stats", use: statistics.api)
    api.get("hotlines", use: helpAPI.hotlines)
    api.get("guides", use: helpAPI.guides)
    api.get("guides", ":slug", use: helpAPI.guide)
    api.get("openapi.json", use: openAPIDocument)

    // MARK: Open data — anyone, but each download reads everything: abuse limits
    let exports = ExportController()
    let downloads = api.grouped("export").grouped(RateLimitMiddleware.export)
    downloads.get("incidents.csv", use: exports.csv)
    downloads.get("incidents.geojson", use: exports.geoJSON)
    // Frozen releases: each file was written once; reading one is a few rows a megabyte.
    let releases = ReleaseController()
    app.get("data", "releases", use: releases.list)
    app.get("data", "releases", ":name", use: releases.show)
    app.get("data", "releases", ":name", "cities", ":city", use: releases.city)
    app.grouped(RateLimitMiddleware.export).get("data", "releases", ":name", ":file", use: releases.file)

    // MARK: Reporter — sends or follows a report: abuse limits; counted, never logged one by one
    let sending = ReporterRoutes(app).grouped(RateLimitMiddleware.report)
    sending.post("report", use: reports.submit)
    sending.grouped("api", "v1").post("reports", use: reportAPI.submit)
    let following = ReporterRoutes(app).grouped(RateLimitMiddleware.receipt)
    following.post("check", use: reports.check)
    following.post("check", "delete", use: reports.withdraw)
    following.post("check", "messages", use: reports.answer)
    following.grouped("api", "v1").post("receipt", use: reportAPI.lookUpReceipt)
    following.grouped("api", "v1").delete("receipt", use: reportAPI.withdraw)
    following.grouped("api", "v1").post("receipt", "messages", use: reportAPI.answer)

    // MARK: Panel — session cookie; signing in is rate-limited
    let admin = app.grouped("admin").grouped(app.sessions.middleware)
    let signIn = SignInWebController()
    admin.get("login", use: signIn.loginForm)
    let attempts = admin.grouped(RateLimitMiddleware.login)
    attempts.post("login", use: signIn.login)
    attempts.get("setup", ":token", use: signIn.setupForm)
    attempts.post("setup", ":token", use: signIn.setup)

    // MARK: Panel — password given, second factor not yet: only these pages, form token on POST
    let passwordGiven = admin.grouped(PasswordStepMiddleware())
    let secondFactor = SecondFactorWebController()
    passwordGiven.get("second-factor", use: secondFactor.prompt)
    passwordGiven.grouped(RateLimitMiddleware.secondFactor).post("second-factor", use: secondFactor.verify)
    passwordGiven.get("second-factor", "setup", use: secondFactor.setupForm)
    passwordGiven.grouped(RateLimitMiddleware.secondFactor).post("second-factor", "setup", use: secondFactor.setup)

    // MARK: Panel — signed in with both factors (any role), form token on every POST
    let signedIn = admin.grouped(AdminPageMiddleware())
    let moderation = AdminWebController()
    signedIn.get(use: moderation.queue)
    signedIn.post("bulk", use: moderation.bulk)
    let entry = ReportEntryWebController()
    signedIn.get("reports", "new", use: entry.form)
    signedIn.post("reports", "new", use: entry.submit)
    signedIn.get("reports", ":id", use: moderation.show)
    signedIn.post("reports", ":id", "save", use: moderation.save)
    signedIn.post("reports", ":id", "publish", use: moderation.publish)
    signedIn.post("reports", ":id", "reject", use: moderation.reject)
    signedIn.post("reports", ":id", "archive", use: moderation.archive)
    signedIn.post("reports", ":id", "merge", use: moderation.merge)
    signedIn.post("reports", ":id", "messages", use: moderation.ask)
    signedIn.get("password", use: signIn.passwordForm)
    signedIn.post("password", use: signIn.changePassword)
    signedIn.post("logout", use: signIn.logout)
    let tokens = TokensWebController()
    signedIn.get("tokens", use: tokens.list)
    signedIn.post("tokens", use: tokens.create)
    signedIn.post("tokens", ":id", "revoke", use: tokens.revoke)

    // MARK: Panel — administrators only
    let administrators = signedIn.grouped(AdminRoleMiddleware())
    let hotlines = AdminHotlinesController(), guideEditor = AdminGuidesController(), faqEditor = AdminFAQController()
    administrators.get("hotlines", use: hotlines.list)
    administrators.get("hotlines", "new", use: hotlines.newForm)
    administrators.post("hotlines", use: hotlines.create)
    administrators.get("hotlines", ":id", use: hotlines.editForm)
    administrators.post("hotlines", ":id", use: hotlines.update)
    administrators.get("guides", use: guideEditor.list)
    administrators.get("guides", "new", use: guideEditor.newForm)
    administrators.post("guides", use: guideEditor.create)
    administrators.get("guides", ":id", use: guideEditor.editForm)
    administrators.post("guides", ":id", use: guideEditor.update)
    administrators.get("audit", use: moderation.audit)
    let accounts = AccountsWebController()
    administrators.get("accounts", use: accounts.list)
    administrators.post("accounts", use: accounts.create)
    administrators.post("accounts", ":id", "disable", use: accounts.disable)
    administrators.post("accounts", ":id", "enable", use: accounts.enable)
    administrators.post("accounts", ":id", "reset-password", use: accounts.resetPassword)
    administrators.post("accounts", ":id", "reset-second-factor", use: accounts.resetSecondFactor)
    let releaseDesk = AdminReleasesController()
    administrators.get("releases", use: releaseDesk.list)
    administrators.post("releases", use: releaseDesk.freeze)
    administrators.get("faq", use: faqEditor.list)
    administrators.get("faq", "new", use: faqEditor.newForm)
    administrators.post("faq", use: faqEditor.create)
    administrators.get("faq", ":id", use: faqEditor.editForm)
    administrators.post("faq", ":id", use: faqEditor.update)

    // MARK: Admin API — bearer token
    let bearer = api.grouped("admin").grouped(BearerAccountMiddleware())
    let adminAPI = AdminAPIController()
    bearer.get("reports", use: adminAPI.list)
    bearer.get("reports", ":id", use: adminAPI.show)
    bearer.post("reports", ":id", "publish", use: adminAPI.publish)
    bearer.post("reports", ":id", "reject", use: adminAPI.reject)
    bearer.post("reports", ":id", "archive", use: adminAPI.archive)
    bearer.post("reports", ":id", "merge", use: adminAPI.merge)
    bearer.get("reports", ":id", "messages", use: adminAPI.thread)
    bearer.post("reports", ":id", "messages", use: adminAPI.ask)
    let bearerAdministrators = bearer.grouped(AdminRoleMiddleware())
    bearerAdministrators.get("audit", use: adminAPI.audit)
    bearerAdministrators.post("releases", use: AdminReleasesController().freezeFromAPI)

    // MARK: Telegram — webhook secret checked in the handler; updates counted, never logged
    // one by one (long polling needs no route: `dauys telegram poll`)
    ReporterRoutes(app).post("telegram", "webhook", use: TelegramWebhookController().receive)
}
