import Fluent
import Vapor

/// Who did what to which report, and when (SPEC §3 audit trail).
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_entries"

    @ID(key: .id) var id: UUID?
    @OptionalParent(key: "account_id") var account: Account?
    @Field(key: "actor_email") var actorEmail: String
    @Field(key: "action") var action: String
    @OptionalField(key: "report_id") var reportID: UUID?
    /// What changed, as `field: old → new` lines; never the original description or contact.
    @Field(key: "detail") var detail: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    /// How much of one value an entry keeps: enough to see what an edit did, short enough that
    /// the log stays readable when a guide of many pages is edited.
    static let valueLimit = 1000

    /// `field: «before» → «after»` lines for the values that differ, in the order given.
    static func changes(_ values: [(field: String, before: String?, after: String?)]) -> String {
        func shown(_ value: String?) -> String {
            guard let value else { return "—" }
            return "«" + (value.count > valueLimit ? value.prefix(valueLimit) + "…" : value) + "»"
        }
        let lines = values.filter { $0.before != $0.after }.map {
            "\($0.field): \(shown($0.before)) → \(shown($0.after))"
        }
        return lines.isEmpty ? "no field changed" : lines.joined(separator: "\n")
    }

    /// What the reporter's withdrawal leaves of the entries about the report: who did what and
    /// when stays, the public texts drafted from their words go with the report.
    static let withdrawnDetail = "text removed: the reporter withdrew the report"
    static let actionsQuotingText = ["edit_public_description", "publish"]

    init(account: Account, action: String, reportID: UUID?, detail: String) {
        $account.id = account.id
        actorEmail = account.email
        self.action = action
        self.reportID = reportID
        self.detail = detail
    }
}
