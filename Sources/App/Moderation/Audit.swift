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

    init(account: Account, action: String, reportID: UUID?, detail: String) {
        $account.id = account.id
        actorEmail = account.email
        self.action = action
        self.reportID = reportID
        self.detail = detail
    }
}
