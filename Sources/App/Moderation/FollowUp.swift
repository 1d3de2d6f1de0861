import Fluent
import SQLKit
import Vapor

/// The anonymous two-way follow-up of SPEC §2 and §3: a moderator asks the reporter a question
/// beside the report; the reporter, known only by the receipt code, reads it and answers or adds
/// information. Messages are sealed like the contact, stored to the hour like every report time,
/// and deleted with the contact (``Retention``) or at once with a withdrawn report.
final class ReportMessage: Model, @unchecked Sendable {
    static let schema = "report_messages"

    @ID(key: .id) var id: UUID?
    @Parent(key: "report_id") var report: Report
    /// Its place in the thread: times are kept to the hour, so they cannot order it.
    @Field(key: "position") var position: Int
    @Field(key: "from_moderator") var fromModerator: Bool
    /// The moderator who wrote it; nil for the reporter, who has no account.
    @OptionalField(key: "account_id") var accountID: UUID?
    @Field(key: "body_sealed") var bodySealed: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

struct CreateReportMessages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ReportMessage.schema)
            .id()
            .field("report_id", .uuid, .required, .references(Report.schema, "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("from_moderator", .bool, .required)
            .field("account_id", .uuid, .references(Account.schema, "id", onDelete: .setNull))
            .field("body_sealed", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReportMessage.schema).delete()
    }
}

enum FollowUp {
    static let maxLength = 2000

    /// One message as either side reads it.
    struct Entry: Content, Equatable {
        /// `moderator` or `reporter`.
        var from: String
        var text: String
        /// The day and hour it was written, Kazakhstan time.
        var written: String
    }

    /// A message as a page shows it: who wrote it in the reader's words, and when.
    struct Line: Encodable {
        var fromModerator: Bool
        var who: String
        var text: String
        var written: String
    }

    /// The thread for a page: moderators read "Moderator" and "Reporter", the reporter reads
    /// "The moderators" and "You".
    static func lines(_ entries: [Entry], forReporter: Bool, text: (String) -> String) -> [Line] {
        entries.map { entry in
            let fromModerator = entry.from == "moderator"
            let key =
                forReporter
                ? (fromModerator ? "thread_from_moderators" : "thread_from_you")
                : (fromModerator ? "thread_from_moderator" : "thread_from_reporter")
            return Line(fromModerator: fromModerator, who: text(key), text: entry.text, written: entry.written)
        }
    }

    /// A message's text: 2 to 2,000 characters of clean text.
    static func text(_ raw: String?) throws -> String {
        guard let text = TextRules.trimmed(raw) else { throw AppError.validation(["text": "error_required"]) }
        guard text.count >= 2, text.count <= maxLength, TextRules.isClean(text) else {
            throw AppError.validation(["text": "error_message_length"])
        }
        return text
    }

    /// Adds a message at the end of the report's thread, inside the caller's transaction.
    static func append(
        to report: Report, text: String, fromModerator: Bool, accountID: UUID?, app: Application,
        on transaction: any Database, now: Date
    ) async throws {
        let reportID = try report.requireID()
        let last =
            try await ReportMessage.query(on: transaction).filter(\.$report.$id == reportID)
            .max(\.$position) ?? 0
        let message = ReportMessage()
        message.$report.id = reportID
        message.position = last + 1
        message.fromModerator = fromModerator
        message.accountID = accountID
        message.bodySealed = try ContactSealing.seal(text, key: app.secrets.contactKey)
        message.createdAt = KazakhstanTime.toTheHour(now)
        try await message.create(on: transaction)
    }

    /// The reporter answers or adds information, with nothing but the receipt code.
    static func answer(
        _ report: Report, text raw: String?, app: Application, on database: any Database, now: Date = Date()
    ) async throws {
        let text = try text(raw)
        try await SerialWrites.transaction(on: database) { transaction in
            // A report withdrawn a moment ago takes no message.
            guard try await Report.find(report.requireID(), on: transaction) != nil else {
                throw AppError.receiptNotFound
            }
            try await append(
                to: report, text: text, fromModerator: false, accountID: nil, app: app, on: transaction, now: now)
            try await QuestionNotices.forget(reportID: report.requireID(), on: transaction)
        }
    }

    static func thread(of report: Report, app: Application, on database: any Database) async throws -> [Entry] {
        try await ReportMessage.query(on: database).filter(\.$report.$id == report.requireID())
            .sort(\.$position).all().map { message in
                Entry(
                    from: message.fromModerator ? "moderator" : "reporter",
                    text: ContactSealing.open(message.bodySealed, key: app.secrets.contactKey) ?? "",
                    written: message.createdAt.map(AdminWebController.timestamp) ?? "")
            }
    }

    /// Deletes the messages of reports whose contact is due for deletion: 90 days after the
    /// first decision, or 180 days after sending if nobody decided. Returns how many went.
    static func deleteExpired(decidedBefore: Date, undecidedBefore: Date, on database: any Database) async throws -> Int
    {
        let expired = try await ReportMessage.query(on: database)
            .join(Report.self, on: \ReportMessage.$report.$id == \Report.$id)
            .group(.or) { group in
                group.filter(Report.self, \.$closedAt < decidedBefore)
                group.group(.and) {
                    $0.filter(Report.self, \.$status == ReportStatus.pending.rawValue)
                        .filter(Report.self, \.$createdAt < undecidedBefore)
                }
            }
            .all(\.$id)
        guard !expired.isEmpty else { return 0 }
        try await database.transaction { transaction in
            try await StorageHygiene.overwriteDeletedContent(on: transaction)
            try await ReportMessage.query(on: transaction).filter(\.$id ~~ expired).delete()
        }
        return expired.count
    }
}
