import Fluent
import Vapor

/// Checks the fields of an admin content form (directory entries, guides, FAQ) and collects
/// every problem at once, keyed by field name, as translation keys.
struct FormChecker {
    private(set) var errors: [String: String] = [:]

    /// A required text of at most `max` characters with no control characters.
    mutating func text(_ value: String?, _ field: String, max: Int) -> String {
        guard let value = TextRules.trimmed(value) else {
            errors[field] = "error_required"
            return ""
        }
        if value.count > max || !TextRules.isClean(value) { errors[field] = "error_text_too_long" }
        return value
    }

    /// The same text in the three languages, in the order kk, ru, en.
    mutating func texts(
        _ kk: String?, _ ru: String?, _ en: String?, _ field: String, max: Int
    ) -> (String, String, String) {
        (text(kk, field + "Kk", max: max), text(ru, field + "Ru", max: max), text(en, field + "En", max: max))
    }

    /// A short identifier used in URLs: small latin letters, digits and dashes.
    mutating func slug(_ value: String?) -> String {
        // 40 at most: the Telegram bot puts guide slugs into 64-byte button data.
        let slug = text(value, "slug", max: 40)
        if !slug.isEmpty && slug.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            errors["slug"] = "error_slug"
        }
        return slug
    }

    mutating func order(_ value: String?) -> Int {
        guard let order = Int(TextRules.trimmed(value) ?? "0") else {
            errors["sortOrder"] = "error_wrong_type"
            return 0
        }
        return order
    }

    mutating func fail(_ field: String, _ key: String) { errors[field] = key }

    func check() throws {
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// Content an administrator edits in the panel, identified by a unique slug.
protocol AdminContent: Model where IDValue == UUID {
    var slug: String { get }
}

extension Hotline: AdminContent {}
extension Guide: AdminContent {}
extension FAQEntry: AdminContent {}

enum AdminContentSaving {
    /// Validates with `apply`, refuses a slug another item uses, saves and writes the audit
    /// entry in one transaction. A validation problem comes back as a `400` `AppError`.
    static func save<Item: AdminContent>(
        _ item: Item, apply: (Item) throws -> Void, auditAction: String, detail: (Item) -> String, req: Request
    ) async throws {
        let account = try req.requireAccount()
        let before = fieldValues(item)
        try apply(item)
        // These tables hold tens of rows, so comparing in memory keeps this generic over the models.
        let sameSlug = try await Item.query(on: req.db).all().first { $0.slug == item.slug && $0.id != item.id }
        if sameSlug != nil { throw AppError.validation(["slug": "error_slug_taken"]) }
        let isNew = item.id == nil
        let action = auditAction + (isNew ? "_create" : "_update")
        let after = fieldValues(item)
        let summary =
            detail(item) + "\n"
            + AuditEntry.changes(
                after.keys.sorted().filter { $0 != "id" }.map { ($0, isNew ? nil : before[$0], after[$0]) })
        try await req.db.transaction { transaction in
            try await item.save(on: transaction)
            try await AuditEntry(account: account, action: action, reportID: nil, detail: summary).create(
                on: transaction)
        }
    }

    /// Each stored field of an item as text, for the audit entry's before and after. Read
    /// through Fluent's database input, which skips fields not set yet (a new item's).
    private static func fieldValues<Item: AdminContent>(_ item: Item) -> [String: String] {
        let collected = CollectedFields()
        item.input(to: collected)
        return collected.values
    }

    private final class CollectedFields: DatabaseInput {
        var values: [String: String] = [:]
        var wantsUnmodifiedKeys: Bool { true }

        func set(_ value: DatabaseQuery.Value, at key: FieldKey) {
            switch value {
            case .bind(let bound): values[key.description] = "\(bound)"
            case .null: values.removeValue(forKey: key.description)
            default: values[key.description] = "\(value)"
            }
        }
    }

    /// The form's problems as lines naming the field, in the page's language.
    static func messages(_ error: AppError, fieldPrefix: String, req: Request) -> [String] {
        error.fields.sorted { $0.key < $1.key }.map { req.text(fieldPrefix + $0.key) + ": " + req.text($0.value) }
    }
}
