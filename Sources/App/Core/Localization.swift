import LeafKit
import Vapor

/// The three languages every public text exists in (SPEC rule 6).
enum Language: String, CaseIterable, Codable, Sendable {
    case kk, ru, en

    /// Shown in the language switcher in the language itself.
    var nativeName: String {
        switch self {
        case .kk: "Қазақша"
        case .ru: "Русский"
        case .en: "English"
        }
    }

    /// The one of three texts written in this language.
    func pick<T>(kk: T, ru: T, en: T) -> T {
        switch self {
        case .kk: kk
        case .ru: ru
        case .en: en
        }
    }

    /// Picks the first supported language from an `Accept-Language` header.
    static func preferred(acceptLanguage: String?) -> Language? {
        guard let acceptLanguage else { return nil }
        let ranked = acceptLanguage.split(separator: ",").compactMap { part -> (String, Double)? in
            let pieces = part.split(separator: ";")
            guard let tag = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased(), !tag.isEmpty else {
                return nil
            }
            var quality = 1.0
            for piece in pieces.dropFirst() {
                let parameter = piece.trimmingCharacters(in: .whitespaces)
                if parameter.hasPrefix("q="), let value = Double(parameter.dropFirst(2)) { quality = value }
            }
            return (tag, quality)
        }
        for (tag, _) in ranked.sorted(by: { $0.1 > $1.1 }) {
            let primary = String(tag.split(separator: "-").first ?? "")
            if let language = Language(rawValue: primary) { return language }
        }
        return nil
    }
}

/// A text in the three languages, as the reference content files hold it.
struct LocalizedText: Codable, Sendable {
    var kk: String
    var ru: String
    var en: String
}

/// One language's interface strings as pages get them (`t` in templates), converted for Leaf
/// once: encoding the few hundred strings again for every page was a quarter of its cost.
struct StringTable: Encodable, LeafDataRepresentable, Sendable {
    let strings: [String: String]
    let leafData: LeafData

    init(_ strings: [String: String]) {
        self.strings = strings
        leafData = .dictionary(strings.mapValues { .string($0) })
    }

    func encode(to encoder: any Encoder) throws { try strings.encode(to: encoder) }
}

/// All interface strings, loaded once from `Resources/Locales/<lang>.json`.
struct Translations: Sendable {
    private let strings: [Language: [String: String]]
    private let tables: [Language: StringTable]

    init(strings: [Language: [String: String]]) {
        self.strings = strings
        tables = strings.mapValues(StringTable.init)
    }

    static func load(from directory: String) throws -> Translations {
        var strings: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let path = directory + "/" + language.rawValue + ".json"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(
                    setting: "working directory", problem: "has no \(path); start dauys from the project folder")
            }
            strings[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return Translations(strings: strings)
    }

    /// The keys of the reference language, English.
    var keys: [String] { strings[.en].map { Array($0.keys) } ?? [] }

    func table(_ language: Language) -> [String: String] { strings[language] ?? [:] }

    func stringTable(_ language: Language) -> StringTable { tables[language] ?? StringTable([:]) }

    /// A string in `language`, falling back to English and then to the key itself so that a
    /// missing translation shows up in tests rather than as an empty label.
    func text(_ key: String, _ language: Language) -> String {
        strings[language]?[key] ?? strings[.en]?[key] ?? key
    }
}

extension Application {
    private struct TranslationsKey: StorageKey { typealias Value = Translations }

    var translations: Translations {
        get {
            guard let value = storage[TranslationsKey.self] else { fatalError("configure(_:config:) was not called") }
            return value
        }
        set { storage[TranslationsKey.self] = newValue }
    }
}

extension Request {
    private struct LanguageKey: StorageKey { typealias Value = Language }

    /// The visitor's language: `?lang=` (remembered in a cookie), the cookie, `Accept-Language`,
    /// then Russian, the language most widely read across Kazakhstan's cities.
    var language: Language {
        if let cached = storage[LanguageKey.self] { return cached }
        let chosen =
            (try? query.get(String.self, at: "lang")).flatMap(Language.init(rawValue:))
            ?? cookies["lang"].flatMap { Language(rawValue: $0.string) }
            ?? Language.preferred(acceptLanguage: headers.first(name: .acceptLanguage))
            ?? .ru
        storage[LanguageKey.self] = chosen
        return chosen
    }

    func text(_ key: String) -> String { application.translations.text(key, language) }
}

/// Remembers a language chosen with `?lang=` so the next pages stay in it.
///
/// The cookie has no expiry: it ends with the browser session, so a shared or borrowed phone
/// keeps no lasting sign that someone visited (issue #10).
struct LanguageCookieMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        if let raw = try? request.query.get(String.self, at: "lang"), let language = Language(rawValue: raw),
            request.cookies["lang"]?.string != language.rawValue
        {
            response.cookies["lang"] = HTTPCookies.Value(
                string: language.rawValue, path: "/",
                isSecure: request.config.usesHTTPS, isHTTPOnly: true, sameSite: .lax)
        }
        return response
    }
}

/// The `lang` query parameter of reference endpoints; when absent, the request's language.
func languageParameter(_ req: Request) throws -> Language {
    guard let raw = try? req.query.get(String.self, at: "lang") else { return req.language }
    guard let language = Language(rawValue: raw) else { throw AppError.badRequest(field: "lang", key: "error_choice") }
    return language
}
