import Fluent
import SQLKit
import Vapor

/// A harassment report, as submitted and as moderated.
///
/// The original fields (exact point, description, contact) are for moderators only; the public
/// sees the `public*` fields, filled in at publication (SPEC §2, §6, rule 5).
final class Report: Model, @unchecked Sendable {
    static let schema = "reports"

    @ID(key: .id) var id: UUID?

    // What the reporter said.
    @Field(key: "status") var status: String
    @Field(key: "role") var role: String
    /// `YYYY-MM-DD` in Kazakhstan time.
    @Field(key: "incident_date") var incidentDate: String
    /// `HH:MM` when the reporter gave an exact time.
    @OptionalField(key: "incident_time") var incidentTime: String?
    @OptionalField(key: "time_band") var timeBand: String?
    @Field(key: "latitude") var latitude: Double
    @Field(key: "longitude") var longitude: Double
    @Field(key: "city") var city: String
    @OptionalField(key: "landmark") var landmark: String?
    @Field(key: "place_type") var placeType: String
    /// Comma-framed list such as `,verbal,physical,`, so one kind can be matched with LIKE on any database.
    @Field(key: "kinds") var kindsList: String
    @Field(key: "perpetrator") var perpetrator: String
    @OptionalField(key: "perpetrator_relation") var perpetratorRelation: String?
    @Field(key: "perpetrator_count") var perpetratorCount: String
    @Field(key: "prevented") var prevented: Bool
    @OptionalField(key: "prevented_by") var preventedBy: String?
    @Field(key: "description") var description: String
    /// `once` or `repeated`; nil when not said (shown as unknown).
    @OptionalField(key: "recurrence") var recurrence: String?
    /// Whom the person told, comma-framed like `kinds`; nil when not said.
    @OptionalField(key: "told_whom") var toldWhomList: String?
    @OptionalField(key: "told_outcome") var toldOutcome: String?
    @OptionalField(key: "age_band") var ageBand: String?
    @OptionalField(key: "gender") var gender: String?
    /// The contact, sealed with AES-GCM under the server's contact key.
    @OptionalField(key: "contact_sealed") var contactSealed: String?
    @Field(key: "publish_consent") var publishConsent: Bool
    @Field(key: "source") var source: String
    @Field(key: "language") var language: String
    /// Synthetic reports made by `dauys demo-data`, so they can be told apart from real ones.
    @Field(key: "is_demo") var isDemo: Bool
    /// A random number that only ever enters sums: it decides which way the counts this report
    /// is part of are rounded (``Disclosure``). Set once, when the report is made.
    @Field(key: "disclosure_key") var disclosureKey: Int

    // The receipt: a short keyed hash to find candidates, and a bcrypt hash to verify.
    @Field(key: "receipt_lookup") var receiptLookup: String
    @Field(key: "receipt_hash") var receiptHash: String

    // The public version, made by a moderator.
    @OptionalField(key: "public_description") var publicDescription: String?
    @OptionalField(key: "public_latitude") var publicLatitude: Double?
    @OptionalField(key: "public_longitude") var publicLongitude: Double?
    @OptionalField(key: "public_precision") var publicPrecision: String?
    @OptionalField(key: "rejection_code") var rejectionCode: String?
    @OptionalField(key: "rejection_reason") var rejectionReason: String?

    // Times are kept to the hour (SPEC §6), so they cannot be matched with a network log; they
    // are set by the code that submits and decides, never by Fluent's exact timestamps. The
    // table's `updated_at` column is left empty for the same reason.
    @OptionalField(key: "created_at") var createdAt: Date?
    @OptionalField(key: "published_at") var publishedAt: Date?
    /// When the report was first decided (published, rejected or archived); its contact is
    /// deleted 90 days later (SPEC §2).
    @OptionalField(key: "closed_at") var closedAt: Date?
    /// The moderator working on the report and since when (``ModerationService/claim``): others
    /// see it and can take over after 30 minutes. Cleared by every decision.
    @OptionalField(key: "claimed_by") var claimedBy: UUID?
    @OptionalField(key: "claimed_at") var claimedAt: Date?
    /// The report this one was merged into as a duplicate (``Merging``): it is archived and its
    /// reporter's receipt shows the other report's status. Never a chain: merges re-point.
    @OptionalField(key: "merged_into") var mergedInto: UUID?

    init() {}

    var kinds: [HarassmentKind] {
        get { kindsList.split(separator: ",").compactMap { HarassmentKind(rawValue: String($0)) } }
        set { kindsList = "," + newValue.map(\.rawValue).joined(separator: ",") + "," }
    }

    var toldWhom: [ToldWhom] {
        get { (toldWhomList ?? "").split(separator: ",").compactMap { ToldWhom(rawValue: String($0)) } }
        set { toldWhomList = newValue.isEmpty ? nil : "," + newValue.map(\.rawValue).joined(separator: ",") + "," }
    }

    var reportStatus: ReportStatus { ReportStatus(rawValue: status) ?? .pending }

    /// Residential places and people close to the victim get no pin, only statistics (SPEC §6).
    var mayHavePin: Bool {
        if placeType == PlaceType.residential.rawValue { return false }
        if let relation = perpetratorRelation.flatMap(PerpetratorRelation.init(rawValue:)), relation.hidesPin {
            return false
        }
        return publishConsent
    }
}

struct CreateReport: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Report.schema)
            .id()
            .field("status", .string, .required)
            .field("role", .string, .required)
            .field("incident_date", .string, .required)
            .field("incident_time", .string)
            .field("time_band", .string)
            .field("latitude", .double, .required)
            .field("longitude", .double, .required)
            .field("city", .string, .required)
            .field("landmark", .string)
            .field("place_type", .string, .required)
            .field("kinds", .string, .required)
            .field("perpetrator", .string, .required)
            .field("perpetrator_relation", .string)
            .field("perpetrator_count", .string, .required)
            .field("prevented", .bool, .required)
            .field("prevented_by", .string)
            .field("description", .string, .required)
            .field("age_band", .string)
            .field("gender", .string)
            .field("contact_sealed", .string)
            .field("publish_consent", .bool, .required)
            .field("source", .string, .required)
            .field("language", .string, .required)
            .field("is_demo", .bool, .required, .sql(.default(false)))
            .field("receipt_lookup", .string, .required)
            .field("receipt_hash", .string, .required)
            .field("public_description", .string)
            .field("public_latitude", .double)
            .field("public_longitude", .double)
            .field("public_precision", .string)
            .field("rejection_code", .string)
            .field("rejection_reason", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .field("published_at", .datetime)
            .field("closed_at", .datetime)
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "reports_receipt_lookup").on(Report.schema).column("receipt_lookup").run()
            try await sql.create(index: "reports_status_created").on(Report.schema).column("status").column(
                "created_at"
            )
            .run()
            try await sql.create(index: "reports_public_point").on(Report.schema).column("public_latitude")
                .column("public_longitude").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Report.schema).delete()
    }
}

/// The fields the evidence needs (issue #12): repeated or not, whom the person told and what
/// came of it — reports stored before have none and count as unknown — and the index the
/// open-data exports walk.
struct AddEvidenceFields: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        for column in ["recurrence", "told_whom", "told_outcome"] {
            try await database.schema(Report.schema).field(FieldKey(stringLiteral: column), .string).update()
        }
        // Exports walk the published reports in id order, a thousand at a time.
        try await database.sql().create(index: "reports_status_id").on(Report.schema).column("status").column("id")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "reports_status_id").run()
        for column in ["recurrence", "told_whom", "told_outcome"] {
            try await database.schema(Report.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

/// Brings reports stored before the privacy review (issue #10) in line with SPEC §6: times to the
/// hour, `updated_at` emptied, the contact clock started at publication, and public points
/// derived per place instead of per report.
struct ReviewStoredReportsForPrivacy: AsyncMigration {
    let locationKey: SymmetricKey

    func prepare(on database: any Database) async throws {
        let centres = Dictionary(
            uniqueKeysWithValues: try await City.query(on: database).all().map {
                ($0.id ?? "", PublicLocation.Point(latitude: $0.latitude, longitude: $0.longitude))
            })
        var after: UUID?
        while true {
            // Only the columns this review touches, so a later migration's new columns are not
            // asked for before they exist.
            var page = Report.query(on: database).field(\.$id).field(\.$city).field(\.$latitude)
                .field(\.$longitude).field(\.$createdAt).field(\.$publishedAt).field(\.$closedAt)
                .field(\.$publicLatitude).field(\.$publicLongitude).field(\.$publicPrecision)
                .sort(\.$id).limit(500)
            if let after { page = page.filter(\.$id > after) }
            let reports = try await page.all()
            guard let last = reports.last else { break }
            try await database.transaction { transaction in
                for report in reports {
                    report.createdAt = report.createdAt.map(KazakhstanTime.toTheHour)
                    report.publishedAt = report.publishedAt.map(KazakhstanTime.toTheHour)
                    report.closedAt = (report.closedAt ?? report.publishedAt).map(KazakhstanTime.toTheHour)
                    if report.publicLatitude != nil,
                        let precision = report.publicPrecision.flatMap(PublicPrecision.init(rawValue:)),
                        let centre = centres[report.city]
                    {
                        let point = PublicLocation.make(
                            latitude: report.latitude, longitude: report.longitude, precision: precision,
                            cityCentre: centre, key: locationKey)
                        report.publicLatitude = point.latitude
                        report.publicLongitude = point.longitude
                    }
                    try await report.save(on: transaction)
                }
            }
            after = try last.requireID()
        }
        if let sql = database as? any SQLDatabase {
            try await sql.update(Report.schema).set("updated_at", to: SQLLiteral.null).run()
        }
    }

    func revert(on database: any Database) async throws {}
}
