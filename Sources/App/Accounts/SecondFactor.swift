import Fluent
import SQLKit
import Vapor

/// The second factor every account needs before any admin page opens: a time-based one-time
/// password (TOTP, RFC 6238) from an authenticator app, and ten single-use recovery codes.
///
/// The codes are the ones every authenticator app makes by default: six digits, a new one every
/// 30 seconds, HMAC-SHA-1. A code is accepted from one step before to one step after the
/// server's clock, and each step only once: the account keeps the last step it accepted, so a
/// code seen over a shoulder or in a proxy cannot be replayed.
enum SecondFactor {
    static let period = 30
    static let issuer = "Dauys"
    static let recoveryCodeCount = 10

    /// 20 random bytes, the key length RFC 4226 recommends for HMAC-SHA-1.
    static func newSecret() -> Data {
        Data((0..<20).map { _ in UInt8.random(in: .min ... .max) })
    }

    static func step(at date: Date) -> Int {
        Int(floor(date.timeIntervalSince1970 / Double(period)))
    }

    static func code(secret: Data, step: Int) -> String {
        TOTP(key: SymmetricKey(data: secret), digest: .sha1, digits: .six, interval: period)
            .generate(time: Date(timeIntervalSince1970: Double(step * period)))
    }

    /// The step whose code `typed` is, within one step of `now` and later than `lastStep`; nil
    /// for a wrong, stale or replayed code. Every candidate is compared, in constant time.
    static func acceptedStep(for typed: String, secret: Data, after lastStep: Int?, now: Date) -> Int? {
        let digits = typed.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let current = step(at: now)
        var accepted: Int?
        for candidate in (current - 1)...(current + 1) {
            let matches = TokenHashing.constantTimeEquals(digits, code(secret: secret, step: candidate))
            if matches && candidate > (lastStep ?? .min) && accepted == nil { accepted = candidate }
        }
        return accepted
    }

    // MARK: What the authenticator app is given

    /// RFC 4648 base32 without padding: what authenticator apps read and people can type.
    static func base32(_ data: Data) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var output = "", buffer = 0, bits = 0
        for byte in data {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }

    /// The secret in groups of four, easier to type by hand.
    static func grouped(_ base32: String) -> String {
        stride(from: 0, to: base32.count, by: 4).map { offset in
            let start = base32.index(base32.startIndex, offsetBy: offset)
            return String(
                base32[start..<(base32.index(start, offsetBy: 4, limitedBy: base32.endIndex) ?? base32.endIndex)])
        }.joined(separator: " ")
    }

    /// The `otpauth://` URI authenticator apps import (Google's key-URI format).
    static func otpauthURI(secret: Data, email: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@:")
        let label = (issuer + ":" + email).addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return
            "otpauth://totp/\(label)?secret=\(base32(secret))&issuer=\(issuer)&algorithm=SHA1&digits=6&period=\(period)"
    }

    // MARK: Recovery codes

    /// Ten codes of 60 random bits each, shown once; only their hashes are kept.
    static func newRecoveryCodes() -> [String] {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return (0..<recoveryCodeCount).map { _ in
            let characters = (0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
            return String(characters[0..<4]) + "-" + String(characters[4..<8]) + "-" + String(characters[8..<12])
        }
    }

    /// Case, spaces and dashes do not matter when a recovery code is typed.
    static func recoveryHash(_ typed: String) -> String {
        TokenHashing.sha256(typed.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}

/// One unused recovery code of an account, as a hash. Used codes are deleted.
final class RecoveryCode: Model, @unchecked Sendable {
    static let schema = "recovery_codes"

    @ID(key: .id) var id: UUID?
    @Parent(key: "account_id") var account: Account
    @Field(key: "code_hash") var codeHash: String

    init() {}

    init(accountID: UUID, codeHash: String) {
        $account.id = accountID
        self.codeHash = codeHash
    }
}

/// What issue #13 adds to accounts: the second factor's columns and recovery codes, the
/// credentials epoch that ends other sessions, disabling, and named API tokens that expire
/// (tokens issued before get the default lifetime from now).
struct SecureAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        try await database.schema(Account.schema).field("totp_secret_sealed", .string).update()
        try await database.schema(Account.schema).field("totp_last_step", .int64).update()
        try await database.schema(Account.schema)
            .field("credentials_epoch", .int, .required, .sql(.default(0))).update()
        try await database.schema(Account.schema).field("disabled_at", .datetime).update()
        try await database.schema(APIToken.schema).field("name", .string, .required, .sql(.default(""))).update()
        try await database.schema(APIToken.schema).field("expires_at", .datetime).update()
        try await APIToken.query(on: database).set(
            \.$expiresAt, to: Date().addingTimeInterval(APIToken.defaultLifetime)
        )
        .update()
        try await database.schema(RecoveryCode.schema)
            .id()
            .field("account_id", .uuid, .required, .references(Account.schema, "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .unique(on: "account_id", "code_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RecoveryCode.schema).delete()
        for column in ["expires_at", "name"] {
            try await database.schema(APIToken.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
        for column in ["disabled_at", "credentials_epoch", "totp_last_step", "totp_secret_sealed"] {
            try await database.schema(Account.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

/// The second factor's acts on the database: enrol, check, reset. Each audited.
enum SecondFactorService {
    static func seal(_ secret: Data, app: Application) throws -> String {
        try ContactSealing.seal(SecondFactor.base32(secret), key: app.secrets.secondFactorKey)
    }

    static func open(_ sealed: String, app: Application) -> Data? {
        ContactSealing.open(sealed, key: app.secrets.secondFactorKey).flatMap(base32Decoded)
    }

    /// Confirms an enrolment: the first code proves the app holds `secret`. Keeps the secret,
    /// replaces any recovery codes and returns the new ones, to be shown once.
    static func enrol(
        _ account: Account, secret: Data, code: String, app: Application, on database: any Database, now: Date = Date()
    ) async throws -> [String] {
        guard let step = SecondFactor.acceptedStep(for: code, secret: secret, after: nil, now: now) else {
            throw AppError.validation(["code": "error_totp_wrong"])
        }
        let codes = SecondFactor.newRecoveryCodes()
        let id = try account.requireID()
        try await database.transaction { transaction in
            account.totpSecretSealed = try seal(secret, app: app)
            account.totpLastStep = step
            try await account.save(on: transaction)
            try await RecoveryCode.query(on: transaction).filter(\.$account.$id == id).delete()
            for code in codes {
                try await RecoveryCode(accountID: id, codeHash: SecondFactor.recoveryHash(code)).create(on: transaction)
            }
            try await AuditEntry(
                account: account, action: "second_factor_enrol", reportID: nil,
                detail: "authenticator app enrolled; 10 new recovery codes"
            )
            .create(on: transaction)
        }
        return codes
    }

    enum Check: Equatable {
        case code, recoveryCode, wrong
    }

    /// Checks a six-digit code, or else a recovery code (which is used up). Both are taken with a
    /// compare-and-set, so the same code sent twice at once passes once.
    static func check(
        _ account: Account, typed: String, allowRecoveryCode: Bool = true, app: Application,
        on database: any Database, now: Date = Date()
    ) async throws -> Check {
        guard let sealed = account.totpSecretSealed, let secret = open(sealed, app: app),
            let sql = database as? any SQLDatabase
        else { return .wrong }
        let id = try account.requireID()
        if let step = SecondFactor.acceptedStep(for: typed, secret: secret, after: account.totpLastStep, now: now) {
            let taken = try await sql.update(Account.schema).set("totp_last_step", to: step)
                .where("id", .equal, id)
                .where(group: {
                    $0.where("totp_last_step", .is, SQLLiteral.null).orWhere("totp_last_step", .lessThan, step)
                })
                .returning("id").all()
            if taken.count == 1 {
                account.totpLastStep = step
                return .code
            }
            return .wrong
        }
        guard allowRecoveryCode else { return .wrong }
        let used = try await sql.delete(from: RecoveryCode.schema)
            .where("account_id", .equal, id)
            .where("code_hash", .equal, SecondFactor.recoveryHash(typed))
            .returning("id").all()
        guard used.count == 1 else { return .wrong }
        try await AuditEntry(
            account: account, action: "second_factor_recovery_code", reportID: nil,
            detail: "signed in with a recovery code; \(try await remainingRecoveryCodes(account, on: database)) left"
        ).create(on: database)
        return .recoveryCode
    }

    static func remainingRecoveryCodes(_ account: Account, on database: any Database) async throws -> Int {
        try await RecoveryCode.query(on: database).filter(\.$account.$id == account.requireID()).count()
    }

    /// An administrator's reset: the moderator enrols a new app at the next sign-in.
    static func reset(_ account: Account, by administrator: Account, on database: any Database) async throws {
        let id = try account.requireID()
        try await database.transaction { transaction in
            account.totpSecretSealed = nil
            account.totpLastStep = nil
            try await account.save(on: transaction)
            try await RecoveryCode.query(on: transaction).filter(\.$account.$id == id).delete()
            try await AuditEntry(
                account: administrator, action: "second_factor_reset", reportID: nil,
                detail: "second factor of \(account.email) reset; enrols again at next sign-in"
            ).create(on: transaction)
        }
    }

    static func base32Decoded(_ text: String) -> Data? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var buffer = 0, bits = 0
        var bytes: [UInt8] = []
        for character in text.uppercased() where character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return Data(bytes)
    }
}
