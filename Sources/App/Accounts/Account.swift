import Fluent
import Vapor

enum AccountRole: String, CaseIterable, Codable, Sendable { case moderator, admin }

/// A moderator's or administrator's account.
final class Account: Model, @unchecked Sendable {
    static let schema = "accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var role: String
    /// Set for a password printed by `dauys admin create`: it must be replaced at first login.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    /// No longer used: failed sign-ins slow down one address from one client instead of
    /// locking the account (``SignInThrottle``). Kept so older databases need no table rewrite.
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    /// Raised by every password change, reset or disabling; sessions begun under an older value end.
    @Field(key: "credentials_epoch") var credentialsEpoch: Int
    /// Set by an administrator: the account opens nothing until it is enabled again.
    @OptionalField(key: "disabled_at") var disabledAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    /// The TOTP secret, AES-GCM sealed with the server's second-factor key; nil until the
    /// moderator has enrolled an authenticator app (``SecondFactor``).
    @OptionalField(key: "totp_secret_sealed") var totpSecretSealed: String?
    /// The last TOTP step accepted, so no code works twice.
    @OptionalField(key: "totp_last_step") var totpLastStep: Int?

    init() {}

    init(email: String, passwordHash: String, role: AccountRole, mustChangePassword: Bool) {
        self.email = email
        self.passwordHash = passwordHash
        self.role = role.rawValue
        self.mustChangePassword = mustChangePassword
        failedLogins = 0
        credentialsEpoch = 0
    }

    var accountRole: AccountRole { AccountRole(rawValue: role) ?? .moderator }
    var isDisabled: Bool { disabledAt != nil }
}

/// A bearer token for the admin API; only its SHA-256 is stored. Named by its owner, and good
/// until it expires or is revoked.
final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"
    static let defaultLifetime: TimeInterval = 90 * 24 * 3600

    @ID(key: .id) var id: UUID?
    @Parent(key: "account_id") var account: Account
    @Field(key: "token_hash") var tokenHash: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "name") var name: String
    @OptionalField(key: "expires_at") var expiresAt: Date?

    init() {}

    init(accountID: UUID, tokenHash: String, name: String, expiresAt: Date) {
        $account.id = accountID
        self.tokenHash = tokenHash
        self.name = name
        self.expiresAt = expiresAt
    }
}

/// The one-time link printed on first start to create the first administrator.
final class SetupToken: Model, @unchecked Sendable {
    static let schema = "setup_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(tokenHash: String, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
    }
}

/// Accounts, their API tokens, setup links, and the audit log (``AuditEntry``, whose table was
/// created here before it had a file of its own).
struct CreateAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Account.schema)
            .id()
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("created_at", .datetime)
            .unique(on: "email")
            .create()
        try await database.schema(APIToken.schema)
            .id()
            .field("account_id", .uuid, .required, .references(Account.schema, "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.schema(SetupToken.schema)
            .id()
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .create()
        try await database.schema(AuditEntry.schema)
            .id()
            .field("account_id", .uuid, .references(Account.schema, "id", onDelete: .setNull))
            .field("actor_email", .string, .required)
            .field("action", .string, .required)
            .field("report_id", .uuid)
            .field("detail", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema).delete()
        try await database.schema(SetupToken.schema).delete()
        try await database.schema(APIToken.schema).delete()
        try await database.schema(Account.schema).delete()
    }
}

enum TokenHashing {
    /// Compares every byte whatever the first difference, so the time taken says nothing
    /// about how much of a guess was right (webhook secrets, form tokens, one-time codes).
    static func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0
    }

    /// Tokens are long random strings, so a fast hash is enough to keep them unusable if the
    /// database leaks.
    static func sha256(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hexString
    }

    static func randomToken() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
