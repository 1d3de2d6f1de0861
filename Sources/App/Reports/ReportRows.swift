import Fluent
import SQLKit

/// New reports written as plain SQL rows. Fluent's `create` reflects over a model's 37 fields
/// for every row, which was most of the CPU of intake and of `demo-data` (issue #14); here
/// each column is named once, beside its value.
enum ReportRows {
    /// Every column of a new report with its value. A test checks this list against the
    /// model's fields, so a new field cannot be forgotten here.
    static func columns(of report: Report) throws -> [(name: String, value: any SQLExpression)] {
        func bind(_ value: some Encodable & Sendable) -> any SQLExpression { SQLBind(value) }
        // Required fields are read through `$field.value`: one left unset becomes a NULL the
        // table refuses, not a crash.
        return [
            ("id", bind(try report.requireID())),
            ("status", bind(report.$status.value)),
            ("role", bind(report.$role.value)),
            ("incident_date", bind(report.$incidentDate.value)),
            ("incident_time", bind(report.incidentTime)),
            ("time_band", bind(report.timeBand)),
            ("latitude", bind(report.$latitude.value)),
            ("longitude", bind(report.$longitude.value)),
            ("city", bind(report.$city.value)),
            ("landmark", bind(report.landmark)),
            ("place_type", bind(report.$placeType.value)),
            ("kinds", bind(report.$kindsList.value)),
            ("perpetrator", bind(report.$perpetrator.value)),
            ("perpetrator_relation", bind(report.perpetratorRelation)),
            ("perpetrator_count", bind(report.$perpetratorCount.value)),
            ("prevented", bind(report.$prevented.value)),
            ("prevented_by", bind(report.preventedBy)),
            ("description", bind(report.$description.value)),
            ("recurrence", bind(report.recurrence)),
            ("told_whom", bind(report.toldWhomList)),
            ("told_outcome", bind(report.toldOutcome)),
            ("age_band", bind(report.ageBand)),
            ("gender", bind(report.gender)),
            ("contact_sealed", bind(report.contactSealed)),
            ("publish_consent", bind(report.$publishConsent.value)),
            ("source", bind(report.$source.value)),
            ("language", bind(report.$language.value)),
            ("is_demo", bind(report.$isDemo.value)),
            ("disclosure_key", bind(report.$disclosureKey.value)),
            ("receipt_lookup", bind(report.$receiptLookup.value)),
            ("receipt_hash", bind(report.$receiptHash.value)),
            ("public_description", bind(report.publicDescription)),
            ("public_latitude", bind(report.publicLatitude)),
            ("public_longitude", bind(report.publicLongitude)),
            ("public_precision", bind(report.publicPrecision)),
            ("rejection_code", bind(report.rejectionCode)),
            ("rejection_reason", bind(report.rejectionReason)),
            ("created_at", bind(report.createdAt)),
            ("published_at", bind(report.publishedAt)),
            ("closed_at", bind(report.closedAt)),
            ("claimed_by", bind(report.claimedBy)),
            ("claimed_at", bind(report.claimedAt)),
            ("merged_into", bind(report.mergedInto)),
        ]
    }

    /// Inserts the reports with one statement. With `randomRowIDs` (SQLite only) each row gets
    /// a random row number, so the table's order says nothing about which report came first
    /// (without it, the n-th report of an hour would sit beside the n-th request of that hour in a
    /// proxy's log); two reports drawing the same one fail the
    /// statement, and the caller retries.
    static func insert(_ reports: [Report], randomRowIDs: Bool, on database: any Database) async throws {
        guard !reports.isEmpty, let sql = database as? any SQLDatabase else { return }
        let rows = try reports.map { try columns(of: $0) }
        let random = randomRowIDs && sql.dialect.name == "sqlite"
        var insert = sql.insert(into: Report.schema).columns((random ? ["rowid"] : []) + rows[0].map(\.name))
        for row in rows {
            insert = insert.values(
                (random ? [SQLBind(Int64.random(in: 1...(1 << 62))) as any SQLExpression] : []) + row.map(\.value))
        }
        try await insert.run()
        for report in reports { report.$id.exists = true }
    }
}
