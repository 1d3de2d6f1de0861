import NIOConcurrencyHelpers
import Vapor

/// What the public pages' caches are keyed by (issue #22): only what changes the page. A query
/// parameter the page does not read (`?utm_source=`, `?fbclid=`) must not make a new page, nor
/// push a real one out of the cache; the same filters written differently are the same page.
extension FilterForm {
    /// The page's filters from a query, each as ``IncidentFilters/parse(_:knownCities:)`` reads
    /// it: trimmed, a month for a day, a list's items trimmed, once each and sorted, yes/no for
    /// `prevented`. Parameters the form does not know are ignored. The page is drawn from this
    /// form, so two requests with the same form get the same page.
    init(normalizing query: any URLQueryContainer) {
        // One parse of the query; a known parameter in a shape the form cannot read
        // (`city[x]=1`) costs only itself, not the other filters.
        let form =
            (try? query.decode(FilterForm.self))
            ?? FilterForm(
                from: try? query.get(String.self, at: "from"), to: try? query.get(String.self, at: "to"),
                kind: try? query.get(String.self, at: "kind"), placeType: try? query.get(String.self, at: "placeType"),
                perpetrator: try? query.get(String.self, at: "perpetrator"),
                prevented: try? query.get(String.self, at: "prevented"), city: try? query.get(String.self, at: "city"))
        func month(_ raw: String?) -> String? {
            TextRules.trimmed(raw).map { IncidentFilters.month($0) ?? $0 }
        }
        func list(_ raw: String?) -> String? {
            // Empty items stay: the parser calls `street,` a mistake, and so must the page.
            TextRules.trimmed(raw).map {
                Set(
                    $0.split(separator: ",", omittingEmptySubsequences: false).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                ).sorted().joined(separator: ",")
            }
        }
        func yesNo(_ raw: String?) -> String? {
            TextRules.trimmed(raw).map {
                switch $0.lowercased() {
                case "yes", "true": "yes"
                case "no", "false": "no"
                default: $0
                }
            }
        }
        self.init(
            from: month(form.from), to: month(form.to), kind: list(form.kind), placeType: list(form.placeType),
            perpetrator: TextRules.trimmed(form.perpetrator), prevented: yesNo(form.prevented),
            city: TextRules.trimmed(form.city))
    }

    /// The filters in a fixed order, for a cache key. Only keys of forms that parse are kept
    /// (see ``PublicPageKey``), and their values never hold the separator.
    var cacheKey: String {
        [from, to, kind, placeType, perpetrator, prevented, city].map { $0 ?? "" }.joined(separator: "\u{1F}")
    }
}

/// The key of a public page in its cache, or nil when the page must be drawn for this request
/// alone: a filter that does not parse (its error page is drawn each time, so a flood of bad
/// values never takes a place in the cache from a real page), or a path other than the page's
/// own (`/stats/`: the language links on the page are made from the path).
enum PublicPageKey {
    static func filtered(
        _ req: Request, path: String, form: FilterForm, cities: [City], perPage: Bool = true
    )
        -> String?
    {
        guard req.url.path == path else { return nil }
        var query = form.apiQuery
        if !perPage { query["perPage"] = nil }
        let known = Set(cities.compactMap(\.id))
        guard (try? IncidentFilters.parse(query, knownCities: known)) != nil else { return nil }
        return req.language.rawValue + "|" + String(kazakhstanDay()) + "|" + form.cacheKey
    }

    /// The day in Kazakhstan as a number that moves at its midnight: pages show this month (the
    /// filters' date limits) or today (the report form's date), so a page is kept for one day.
    static func kazakhstanDay(now: Date = Date()) -> Int {
        Int(((now.timeIntervalSince1970 + zoneOffset) / 86_400).rounded(.down))
    }
    private static let zoneOffset = Double(KazakhstanTime.zone.secondsFromGMT())
}

/// How many times each public page was drawn: what the page caches save, as tests and the
/// benchmark can see it.
final class PageRenders: Sendable {
    enum Page: String, Sendable { case home, statistics, reportForm }
    private let counts = NIOLockedValueBox<[Page: Int]>([:])

    func note(_ page: Page) { counts.withLockedValue { $0[page, default: 0] += 1 } }
    func count(_ page: Page) -> Int { counts.withLockedValue { $0[page] ?? 0 } }
}

/// A page that is the same for every visitor in a language (the report form before anything
/// is typed): kept per language for one generation — the day and the city list it was drawn
/// with. A new generation drops the old pages, so it holds at most one per language.
final class LanguagePageCache: Sendable {
    private struct State {
        var generation = ""
        var pages: [Language: ByteBuffer] = [:]
    }
    private let state = NIOLockedValueBox(State())

    func page(
        _ language: Language, generation: String, make: () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        if let page = state.withLockedValue({ $0.generation == generation ? $0.pages[language] : nil }) {
            return page
        }
        let made = try await make()
        state.withLockedValue { state in
            if state.generation != generation { state = State(generation: generation) }
            state.pages[language] = made
        }
        return made
    }
}

extension Application {
    private struct PageRendersKey: StorageKey { typealias Value = PageRenders }

    /// Set once in `configure`.
    var pageRenders: PageRenders {
        get { storage[PageRendersKey.self] ?? PageRenders() }
        set { storage[PageRendersKey.self] = newValue }
    }

    private struct ReportFormCacheKey: StorageKey { typealias Value = LanguagePageCache }

    /// Set once in `configure`: the empty report form per language.
    var reportFormCache: LanguagePageCache {
        get { storage[ReportFormCacheKey.self] ?? LanguagePageCache() }
        set { storage[ReportFormCacheKey.self] = newValue }
    }
}
