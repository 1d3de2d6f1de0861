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
    @OptionalField(key: "age_band") var ageBand: String?
    @OptionalField(key: "gender") var gender: String?
    /// The contact, sealed with AES-GCM under the server's contact key.
    @OptionalField(key: "contact_sealed") var contactSealed: String?
    @Field(key: "publish_consent") var publishConsent: Bool
    @Field(key: "source") var source: String
    @Field(key: "language") var language: String
    /// Synthetic reports made by `dauys demo-data`, so they can be told apart from real ones.
    @Field(key: "is_demo") var isDemo: Bool

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

    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @OptionalField(key: "published_at") var publishedAt: Date?
    /// When the report was rejected or archived; contacts are deleted 90 days later.
    @OptionalField(key: "closed_at") var closedAt: Date?

    init() {}

    var kinds: [HarassmentKind] {
        get { kindsList.split(separator: ",").compactMap { HarassmentKind(rawValue: String($0)) } }
        set { kindsList = "," + newValue.map(\.rawValue).joined(separator: ",") + "," }
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
