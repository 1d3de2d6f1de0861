import Fluent
import Vapor

/// What a reporter sees of their report with the receipt code — on the check page, in the API
/// and in the bot: the status, the day it was sent, the public version once published, the
/// reason when it was not, and the follow-up with the moderators. Never the moderators' notes,
/// the contact or the exact place.
struct ReceiptView: Content {
    var status: String
    var submittedOn: String
    var publicVersion: PublicIncident?
    var rejectionCode: String?
    var rejectionReason: String?
    /// True when moderators found that someone else reported the same incident and joined the
    /// two: the status and public version are then the joined report's (counted once).
    var merged = false
    /// The follow-up with the moderators, oldest first (filled by ``withThread(_:app:on:)``).
    var messages: [FollowUp.Entry] = []

    /// The view with its follow-up thread, as the check page and the API show it. A merged
    /// report shows the report it joined — but never that report's moderator note, which was
    /// written to its own reporter — and keeps its own thread.
    static func withThread(_ report: Report, app: Application, on database: any Database) async throws -> ReceiptView {
        var view = ReceiptView(report)
        if let joined = try await report.mergedInto.asyncFlatMap({ try await Report.find($0, on: database) }) {
            view = ReceiptView(joined)
            view.submittedOn = ReceiptView(report).submittedOn
            view.rejectionReason = nil
            view.merged = true
        }
        view.messages = try await FollowUp.thread(of: report, app: app, on: database)
        return view
    }

    init(_ report: Report) {
        let status = report.reportStatus
        self.status = status.rawValue
        submittedOn = report.createdAt.map(KazakhstanTime.dayString) ?? report.incidentDate
        publicVersion = status == .published ? PublicIncident(report) : nil
        rejectionCode = status == .rejected ? report.rejectionCode : nil
        rejectionReason = status == .rejected ? report.rejectionReason : nil
    }
}

extension ReceiptView {
    /// The words the reporter reads, in one language.
    struct Words: Encodable {
        var status: String
        var explanation: String
        /// Why it was not published, when it was not; the moderator's own note is `rejectionReason`.
        var reason: String?
    }

    func words(_ text: (String) -> String) -> Words {
        Words(
            status: text("status_" + status),
            explanation: (merged ? text("receipt_merged") + " " : "") + text("status_explain_" + status),
            reason: rejectionCode.map { text("rejection_" + $0) })
    }
}

extension Optional {
    /// `flatMap` for an asynchronous transform.
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
