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
    /// The follow-up with the moderators, oldest first (filled by ``withThread(_:app:on:)``).
    var messages: [FollowUp.Entry] = []

    /// The view with its follow-up thread, as the check page and the API show it.
    static func withThread(_ report: Report, app: Application, on database: any Database) async throws -> ReceiptView {
        var view = ReceiptView(report)
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
            status: text("status_" + status), explanation: text("status_explain_" + status),
            reason: rejectionCode.map { text("rejection_" + $0) })
    }
}
