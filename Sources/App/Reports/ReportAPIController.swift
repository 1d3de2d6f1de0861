import Fluent
import Vapor

/// A reporter's side of the JSON API: send a report, look it up and withdraw it by its receipt
/// code (SPEC §7). Routes and their guards are listed in `routes.swift`.
struct ReportAPIController {
    @Sendable func submit(req: Request) async throws -> Response {
        let input = try req.jsonBody(ReportInput.self)
        let cities = try await cityIndex(req.db)
        let valid = try input.validate(cities: cities, fallbackLanguage: req.language).get()
        let receipt = try await ReportService.submit(valid, source: .web, app: req.application, on: req.db)
        req.application.telegramBot?.reportArrived()
        let response = Response(status: .created)
        try response.content.encode(receipt, as: .json)
        return response
    }

    struct ReceiptRequest: Content {
        var code: String?
    }

    @Sendable func lookUpReceipt(req: Request) async throws -> ReceiptView {
        try await ReceiptView.withThread(try await reportForReceipt(req), app: req.application, on: req.db)
    }

    struct AnswerRequest: Content {
        var code: String?
        var text: String?
    }

    /// The reporter answers the moderators or adds information, with the receipt code.
    @Sendable func answer(req: Request) async throws -> Response {
        let body = try req.jsonBody(AnswerRequest.self)
        let report = try await report(forCode: body.code, req)
        try await FollowUp.answer(report, text: body.text, app: req.application, on: req.db)
        return try await ReceiptView.withThread(report, app: req.application, on: req.db)
            .encodeResponse(status: .created, for: req)
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let report = try await reportForReceipt(req)
        try await ReportService.withdraw(report, on: req.db)
        return Response(status: .noContent)
    }

    private func reportForReceipt(_ req: Request) async throws -> Report {
        try await report(forCode: try req.jsonBody(ReceiptRequest.self).code, req)
    }

    private func report(forCode raw: String?, _ req: Request) async throws -> Report {
        guard let code = TextRules.trimmed(raw) else { throw AppError.validation(["code": "error_required"]) }
        guard ReceiptCode.normalize(code) != nil else { throw AppError.validation(["code": "error_receipt_format"]) }
        guard let report = try await ReportService.find(receipt: code, app: req.application, on: req.db) else {
            throw AppError.receiptNotFound
        }
        return report
    }
}
