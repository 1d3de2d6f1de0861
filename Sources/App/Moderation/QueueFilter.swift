import Fluent
import Vapor

/// What a moderator narrows the queue to: a status and any of city, kind, source, language and
/// whether a contact was left, one page of 50 at a time. The panel and the admin API read the
/// same query parameters; a bad value is refused by name.
struct QueueFilter: Equatable, Sendable {
    static let pageSize = 50

    var status: ReportStatus = .pending
    var city: String?
    var kind: HarassmentKind?
    var source: ReportSource?
    var language: Language?
    var hasContact: Bool?
    var page = 1

    static func parse(_ req: Request) throws -> QueueFilter {
        func value(_ name: String) -> String? {
            (try? req.query.get(String.self, at: name)).flatMap { $0.isEmpty ? nil : $0 }
        }
        func choice<E: RawRepresentable>(_ name: String, _ type: E.Type) throws -> E? where E.RawValue == String {
            guard let raw = value(name) else { return nil }
            guard let parsed = E(rawValue: raw) else { throw AppError.badRequest(field: name, key: "error_choice") }
            return parsed
        }
        var filter = QueueFilter()
        filter.status = try choice("status", ReportStatus.self) ?? .pending
        filter.kind = try choice("kind", HarassmentKind.self)
        filter.source = try choice("source", ReportSource.self)
        filter.language = try choice("language", Language.self)
        if let city = value("city") {
            guard city.count <= 40, city.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
                throw AppError.badRequest(field: "city", key: "error_choice")
            }
            filter.city = city
        }
        if let contact = value("contact") {
            guard ["yes", "no"].contains(contact) else {
                throw AppError.badRequest(field: "contact", key: "error_choice")
            }
            filter.hasContact = contact == "yes"
        }
        if let page = value("page") {
            guard let number = Int(page), (1...100_000).contains(number) else {
                throw AppError.badRequest(field: "page", key: "error_choice")
            }
            filter.page = number
        }
        return filter
    }

    /// Everything but the status and the page: what narrows each status tab's count too.
    func narrow(_ query: QueryBuilder<Report>) -> QueryBuilder<Report> {
        if let city { query.filter(\.$city == city) }
        // Kinds are stored comma-framed (",verbal,catcalling,"); their names hold no LIKE wildcard.
        if let kind { query.filter(\.$kindsList ~~ ("," + kind.rawValue + ",")) }
        if let source { query.filter(\.$source == source.rawValue) }
        if let language { query.filter(\.$language == language.rawValue) }
        if hasContact == true { query.filter(\.$contactSealed != nil) }
        if hasContact == false { query.filter(\.$contactSealed == nil) }
        return query
    }

    /// The query string of this filter at another page or status, for links that keep it.
    func query(status: ReportStatus? = nil, page: Int? = nil) -> String {
        var pairs = [("status", (status ?? self.status).rawValue)]
        if let city { pairs.append(("city", city)) }
        if let kind { pairs.append(("kind", kind.rawValue)) }
        if let source { pairs.append(("source", source.rawValue)) }
        if let language { pairs.append(("language", language.rawValue)) }
        if let hasContact { pairs.append(("contact", hasContact ? "yes" : "no")) }
        let number = page ?? (status == nil ? self.page : 1)
        if number > 1 { pairs.append(("page", String(number))) }
        return "?" + pairs.map { $0.0 + "=" + $0.1 }.joined(separator: "&")
    }
}
