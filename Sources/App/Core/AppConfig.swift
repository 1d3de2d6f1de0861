import NIOCore
import TelegramKit
import Vapor

/// Every setting the server reads, parsed once at start-up.
///
/// A missing or malformed value stops start-up with a ``ConfigError`` that names the variable,
/// so a typo in a deployment never silently falls back to something unsafe.
struct AppConfig: Sendable {
    enum DatabaseChoice: Sendable, Equatable {
        /// The embedded default: one SQLite file inside the data folder.
        case sqliteFile(path: String)
        /// A throw-away database for tests.
        case sqliteMemory
        case postgres(url: String)
    }

    var dataDirectory: String
    var database: DatabaseChoice
    /// The address people use to reach the site, when it is behind a proxy or on a domain.
    var publicURL: URL?
    /// Upstream map tile server in Leaflet's `{z}/{x}/{y}` template form. Browsers never see
    /// it: tiles are fetched and cached by our server.
    var tileURL: String
    /// The size bound of the tile cache in the data folder.
    var tileCacheBytes: Int = 512 * 1024 * 1024
    /// Where the quick-exit button leaves for.
    var exitURL: String
    var logLevel: Logger.Level
    /// A base64 master secret shared by all instances; generated into the data folder when absent.
    var secretFromEnvironment: String?
    /// A file holding the master secret, kept apart from the database (`DAUYS_SECRET_FILE`).
    var secretFile: String? = nil
    /// bcrypt cost for passwords. Lowered only by tests.
    var hashCost: Int
    /// Requests handled at once; one more is answered 503 with `Retry-After` at once instead of
    /// queueing into a timeout. Lowered only by tests.
    var maxRequestsInFlight = 1024
    /// Abuse limits; switched off only for load and durability tests.
    var rateLimits = RateLimits()
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    var trustedProxies: Set<String> = []
    /// A PostgreSQL schema to work in instead of `public`; tests use one schema per test.
    var postgresSearchPath: String? = nil
    /// The Telegram bot, when `TELEGRAM_BOT_TOKEN` is set.
    var telegram: TelegramSettings? = nil
    /// The bot's public user name (`TELEGRAM_BOT_USERNAME`, without `@`): the site then offers
    /// "Report in Telegram" with a t.me link and its QR code. Independent of the token, so a
    /// site can point at a bot another server runs.
    var telegramBotUsername: String? = nil
    var telegramBotLink: String? { telegramBotUsername.map { "https://t.me/" + $0 } }

    /// Cookies get `Secure` whenever the site is served over HTTPS.
    var usesHTTPS: Bool { publicURL?.scheme == "https" }

    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let dataDirectory = value("DAUYS_DATA_DIR") ?? "./data"

        let database: DatabaseChoice
        if let url = value("DATABASE_URL") {
            guard let parsed = URL(string: url), ["postgres", "postgresql"].contains(parsed.scheme ?? ""),
                parsed.host != nil
            else {
                throw ConfigError(
                    setting: "DATABASE_URL",
                    problem: "must be a postgres:// URL such as postgres://user:password@localhost:5432/dauys")
            }
            database = .postgres(url: url)
        } else {
            database = .sqliteFile(path: dataDirectory + "/dauys.sqlite")
        }

        var publicURL: URL?
        if let raw = value("DAUYS_PUBLIC_URL") {
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigError(
                    setting: "DAUYS_PUBLIC_URL",
                    problem: "must be an http:// or https:// address such as https://dauys.kz")
            }
            publicURL = url
        }

        let tileURL = value("DAUYS_TILE_URL") ?? "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        guard
            let tile = URL(
                string: tileURL.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")),
            ["http", "https"].contains(tile.scheme ?? ""), tile.host != nil,
            tileURL.contains("{z}"), tileURL.contains("{x}"), tileURL.contains("{y}")
        else {
            throw ConfigError(
                setting: "DAUYS_TILE_URL",
                problem:
                    "must be an http(s) URL containing {z}, {x} and {y}, such as https://tile.openstreetmap.org/{z}/{x}/{y}.png"
            )
        }

        var tileCacheBytes = 512 * 1024 * 1024
        if let raw = value("DAUYS_TILE_CACHE_MB") {
            guard let megabytes = Int(raw), (1...1_000_000).contains(megabytes) else {
                throw ConfigError(
                    setting: "DAUYS_TILE_CACHE_MB", problem: "must be a whole number of megabytes, 1 or more")
            }
            tileCacheBytes = megabytes * 1024 * 1024
        }

        var rateLimits = RateLimits()
        if let raw = value("DAUYS_RATE_LIMITS") {
            switch raw.lowercased() {
            case "on": rateLimits.enabled = true
            case "off": rateLimits.enabled = false
            default: throw ConfigError(setting: "DAUYS_RATE_LIMITS", problem: "must be on or off")
            }
        }

        var trustedProxies: Set<String> = []
        if let raw = value("DAUYS_TRUSTED_PROXIES") {
            for item in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                guard (try? SocketAddress(ipAddress: item, port: 0)) != nil else {
                    throw ConfigError(
                        setting: "DAUYS_TRUSTED_PROXIES",
                        problem: "must list IP addresses separated by commas (\(item) is not one)")
                }
                trustedProxies.insert(item)
            }
        }

        let exitURL = value("DAUYS_EXIT_URL") ?? "https://www.google.kz/"
        guard let exit = URL(string: exitURL), ["http", "https"].contains(exit.scheme ?? ""), exit.host != nil else {
            throw ConfigError(setting: "DAUYS_EXIT_URL", problem: "must be an http(s) URL of a neutral site")
        }

        var logLevel = Logger.Level.info
        if let raw = value("LOG_LEVEL") {
            // `trace` is refused: at that level the database drivers log bound values, which
            // would put report texts into the log (SPEC rule 1).
            guard let level = Logger.Level(rawValue: raw.lowercased()), level != .trace else {
                throw ConfigError(
                    setting: "LOG_LEVEL",
                    problem: "must be one of debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }

        let secret = value("DAUYS_SECRET")
        if let secret {
            guard let bytes = Data(base64Encoded: secret), bytes.count >= 32 else {
                throw ConfigError(
                    setting: "DAUYS_SECRET",
                    problem: "must be at least 32 random bytes, base64-encoded (openssl rand -base64 32)")
            }
        }

        let secretFile = value("DAUYS_SECRET_FILE")
        if let secretFile {
            guard secret == nil else {
                throw ConfigError(
                    setting: "DAUYS_SECRET_FILE", problem: "cannot be set together with DAUYS_SECRET; choose one")
            }
            guard secretFile.hasPrefix("/") else {
                throw ConfigError(
                    setting: "DAUYS_SECRET_FILE", problem: "must be an absolute path such as /etc/dauys/secret")
            }
        }

        var botUsername: String?
        if let raw = value("TELEGRAM_BOT_USERNAME") {
            let name = raw.hasPrefix("@") ? String(raw.dropFirst()) : raw
            // Telegram's rule for bots: 5–32 letters, digits and underscores, ending in "bot".
            guard name.range(of: #"^[A-Za-z][A-Za-z0-9_]{4,31}$"#, options: .regularExpression) != nil,
                name.lowercased().hasSuffix("bot")
            else {
                throw ConfigError(
                    setting: "TELEGRAM_BOT_USERNAME",
                    problem:
                        "must be the bot's user name from @BotFather, such as DauysBot (5–32 letters, digits or _, ending in bot)"
                )
            }
            botUsername = name
        }

        return AppConfig(
            dataDirectory: dataDirectory, database: database, publicURL: publicURL, tileURL: tileURL,
            tileCacheBytes: tileCacheBytes, exitURL: exitURL, logLevel: logLevel, secretFromEnvironment: secret,
            secretFile: secretFile, hashCost: 11, rateLimits: rateLimits, trustedProxies: trustedProxies,
            telegram: try TelegramSettings.fromEnvironment(value), telegramBotUsername: botUsername)
    }

}

/// The Telegram bot's settings (SPEC §7).
struct TelegramSettings: Sendable, Equatable {
    /// `123456789:AA…` from @BotFather. It is part of every Bot API URL, so it is never logged.
    var token: String
    /// The Bot API server: Telegram's, a local Bot API server, or a test stand-in.
    var apiURL: String = "https://api.telegram.org"
    /// Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`; without it the webhook
    /// refuses every request and only `dauys telegram poll` works.
    var webhookSecret: String?
    /// A chat that gets a count-only notice on the hour after reports arrive.
    var moderatorsChat: Int64?
    /// Pacing and retries; tests shorten the waits.
    var delivery = DeliveryPolicy()
    /// Long-poll wait in seconds; the Bot API caps it at 50.
    var pollTimeout = 50
    /// The first wait after a failed poll; it doubles up to a minute.
    var pollBackoff: Duration = .seconds(1)

    static func fromEnvironment(_ value: (String) -> String?) throws -> TelegramSettings? {
        guard let token = value("TELEGRAM_BOT_TOKEN") else {
            for dependent in ["TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_MODERATORS_CHAT"] where value(dependent) != nil {
                throw ConfigError(setting: "TELEGRAM_BOT_TOKEN", problem: "must be set when \(dependent) is set")
            }
            return nil
        }
        guard token.range(of: #"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$"#, options: .regularExpression) != nil else {
            throw ConfigError(
                setting: "TELEGRAM_BOT_TOKEN", problem: "must be the token from @BotFather, such as 123456789:AAE…")
        }
        var settings = TelegramSettings(token: token)
        if let raw = value("TELEGRAM_API_URL") {
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                url.query == nil
            else {
                throw ConfigError(
                    setting: "TELEGRAM_API_URL", problem: "must be an http(s) address such as https://api.telegram.org")
            }
            settings.apiURL = raw
        }
        if let secret = value("TELEGRAM_WEBHOOK_SECRET") {
            guard secret.range(of: #"^[A-Za-z0-9_-]{16,256}$"#, options: .regularExpression) != nil else {
                throw ConfigError(
                    setting: "TELEGRAM_WEBHOOK_SECRET",
                    problem: "must be 16 to 256 characters from A–Z, a–z, 0–9, _ and - (openssl rand -hex 32)")
            }
            settings.webhookSecret = secret
        }
        if let chat = value("TELEGRAM_MODERATORS_CHAT") {
            guard let id = Int64(chat), id != 0 else {
                throw ConfigError(
                    setting: "TELEGRAM_MODERATORS_CHAT", problem: "must be a numeric chat id such as -1001234567890")
            }
            settings.moderatorsChat = id
        }
        return settings
    }
}

struct ConfigError: Error, CustomStringConvertible {
    var setting: String
    var problem: String
    var description: String { "Setting \(setting) \(problem)." }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    var config: AppConfig {
        get {
            guard let config = storage[ConfigKey.self] else { fatalError("configure(_:config:) was not called") }
            return config
        }
        set { storage[ConfigKey.self] = newValue }
    }
}
