import Foundation
import Testing
import Vapor

@testable import App

@Suite struct ConfigurationTests {
    @Test func defaultsNeedNoSettings() throws {
        let config = try AppConfig.fromEnvironment([:])
        #expect(config.dataDirectory == "./data")
        #expect(config.database == .sqliteFile(path: "./data/dauys.sqlite"))
        #expect(config.logLevel == .info)
    }

    @Test func aPostgresURLSwitchesTheDatabase() throws {
        let config = try AppConfig.fromEnvironment(["DATABASE_URL": "postgres://dauys:secret@127.0.0.1:5432/dauys"])
        #expect(config.database == .postgres(url: "postgres://dauys:secret@127.0.0.1:5432/dauys"))
    }

    @Test(arguments: [
        ("DATABASE_URL", "mysql://localhost/dauys"), ("DAUYS_PUBLIC_URL", "dauys.kz"),
        ("DAUYS_TILE_URL", "https://tiles.example/{z}/{x}.png"),
        ("DAUYS_EXIT_URL", "javascript:alert(1)"), ("LOG_LEVEL", "loud"), ("LOG_LEVEL", "trace"),
        ("DAUYS_SECRET", "c2hvcnQ="), ("TELEGRAM_BOT_USERNAME", "dauys"), ("TELEGRAM_BOT_USERNAME", "t.me/DauysBot"),
        ("TELEGRAM_BOT_USERNAME", "Dauys Bot"),
    ])
    func aBadSettingStopsStartUpAndIsNamed(name: String, value: String) {
        #expect {
            _ = try AppConfig.fromEnvironment([name: value])
        } throws: { error in
            (error as? ConfigError)?.setting == name && "\(error)".contains(name)
        }
    }

    @Test func theBotsUserNameMayComeWithItsAt() throws {
        #expect(
            try AppConfig.fromEnvironment(["TELEGRAM_BOT_USERNAME": "@Dauys_KZ_bot"]).telegramBotLink
                == "https://t.me/Dauys_KZ_bot")
        #expect(try AppConfig.fromEnvironment([:]).telegramBotLink == nil)
    }

    @Test func httpsTurnsOnSecureCookies() throws {
        #expect(try AppConfig.fromEnvironment(["DAUYS_PUBLIC_URL": "https://dauys.kz"]).usesHTTPS)
        #expect(!(try AppConfig.fromEnvironment(["DAUYS_PUBLIC_URL": "http://localhost:8080"]).usesHTTPS))
    }

    @Test func theSecretIsGeneratedOncePrivatelyAndReused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-secret-\(UUID())").path
        var config = try AppConfig.fromEnvironment(["DAUYS_DATA_DIR": folder])
        config.secretFromEnvironment = nil
        let first = try Secrets.load(config: config, logger: Logger(label: "test"))
        let path = folder + "/" + Secrets.fileName
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let second = try Secrets.load(config: config, logger: Logger(label: "test"))
        #expect(first.locationKey == second.locationKey)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigError.self) { _ = try Secrets.load(config: config, logger: Logger(label: "test")) }
    }
}

@Suite struct TranslationTests {
    let translations: Translations

    init() throws {
        translations = try Translations.load(from: DirectoryConfiguration.detect().resourcesDirectory + "Locales")
    }

    @Test func everyKeyExistsInEveryLanguageAndIsNotEmpty() {
        let english = Set(translations.keys)
        for language in Language.allCases {
            let table = translations.table(language)
            #expect(Set(table.keys) == english, "\(language): \(english.symmetricDifference(table.keys).sorted())")
            for (key, value) in table {
                #expect(!value.trimmingCharacters(in: .whitespaces).isEmpty, "\(language).\(key) is empty")
            }
        }
    }

    @Test func kazakhUsesKazakhLettersNotLatinLookAlikes() {
        for (key, value) in translations.table(.kk) {
            // Latin i inside a Cyrillic word means a mistyped Kazakh і (U+0456).
            #expect(value.range(of: #"[а-яәғқңөұүһі]i|i[а-яәғқңөұүһі]"#, options: .regularExpression) == nil, "\(key)")
        }
    }

    @Test func everyChoiceOfTheReportHasALabel() {
        var keys: [String] = []
        keys += ReporterRole.allCases.map { "role_" + $0.rawValue }
        keys += TimeBand.allCases.map { "band_" + $0.rawValue }
        keys += PlaceType.allCases.map { "place_" + $0.rawValue }
        keys += HarassmentKind.allCases.map { "kind_" + $0.rawValue }
        keys += Perpetrator.allCases.map { "perpetrator_" + $0.rawValue }
        keys += PerpetratorRelation.allCases.map { "relation_" + $0.rawValue }
        keys += PerpetratorCount.allCases.map { "count_" + $0.rawValue }
        keys += PreventedBy.allCases.map { "prevented_by_" + $0.rawValue }
        keys += AgeBand.allCases.map { "age_" + $0.rawValue }
        keys += Gender.allCases.map { "gender_" + $0.rawValue }
        keys += ReportStatus.allCases.flatMap { ["status_" + $0.rawValue, "status_explain_" + $0.rawValue] }
        keys += RejectionReason.allCases.map { "rejection_" + $0.rawValue }
        keys += PublicPrecision.allCases.map { "precision_" + $0.rawValue }
        let fields = [
            "role", "date", "time", "timeBand", "city", "latitude", "longitude", "landmark", "placeType", "kinds",
            "description", "perpetrator", "perpetratorRelation", "perpetratorCount", "prevented", "preventedBy",
            "ageBand",
            "gender", "contact", "publishConsent",
        ]
        keys += fields.map { "field_" + $0 }
        let known = Set(translations.keys)
        for key in keys { #expect(known.contains(key), "missing \(key)") }
    }

    @Test func templatesUseOnlyKnownKeys() throws {
        let views = DirectoryConfiguration.detect().viewsDirectory
        let known = Set(translations.keys)
        let files =
            FileManager.default.enumerator(atPath: views)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".leaf") }
            ?? []
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOfFile: views + file, encoding: .utf8)
            for match in text.matches(of: /#\(t\.([a-z_0-9]+)\)/) {
                #expect(known.contains(String(match.1)), "\(file) uses unknown key \(match.1)")
            }
        }
    }
}
