import Fluent
import Vapor

/// Accounts, passwords, API tokens and the first-administrator link.
enum AccountService {
    static let maxFailedLogins = 5
    static let lockDuration: TimeInterval = 15 * 60
    static let minimumPasswordLength = 12

    static func normalizedEmail(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard email.count <= 254, email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) != nil
        else { return nil }
        return email
    }

    /// A password strong enough for an account that can read unedited reports.
    static func passwordProblem(_ password: String) -> String? {
        if password.count < minimumPasswordLength { return "error_password_short" }
        if password.count > 200 { return "error_password_long" }
        return nil
    }

    /// A random password to print once; its owner must replace it at first login.
    static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

    static func create(
        email rawEmail: String, password: String, role: AccountRole, mustChangePassword: Bool, app: Application,
        on database: any Database
    ) async throws -> Account {
        guard let email = normalizedEmail(rawEmail) else { throw AppError.validation(["email": "error_email"]) }
        if let problem = passwordProblem(password) { throw AppError.validation(["password": problem]) }
        if try await Account.query(on: database).filter(\.$email == email).first() != nil {
            throw AppError.validation(["email": "error_email_taken"])
        }
        let account = Account(
            email: email, passwordHash: try await app.slowHash(password), role: role,
            mustChangePassword: mustChangePassword)
        try await account.create(on: database)
        return account
    }

    enum LoginResult {
        case success(Account)
        case wrongCredentials
        case locked
    }

    /// Checks a password, counting failures and locking the account after too many.
    static func login(
        email rawEmail: String, password: String, app: Application, on database: any Database
    )
        async throws -> LoginResult
    {
        guard let email = normalizedEmail(rawEmail),
            let account = try await Account.query(on: database).filter(\.$email == email).first()
        else {
            // Spend the same time as a real check so response times do not reveal which emails exist.
            _ = try? await app.slowVerify(password, hash: dummyHash)
            return .wrongCredentials
        }
        if let lockedUntil = account.lockedUntil, lockedUntil > Date() { return .locked }
        if try await app.slowVerify(password, hash: account.passwordHash) {
            account.failedLogins = 0
            account.lockedUntil = nil
            try await account.save(on: database)
            return .success(account)
        }
        account.failedLogins += 1
        if account.failedLogins >= maxFailedLogins {
            account.lockedUntil = Date().addingTimeInterval(lockDuration)
            account.failedLogins = 0
        }
        try await account.save(on: database)
        return .wrongCredentials
    }

    private static let dummyHash = (try? Bcrypt.hash("not a real password", cost: 4)) ?? ""

    static func changePassword(
        _ account: Account, to password: String, app: Application, on database: any Database
    )
        async throws
    {
        if let problem = passwordProblem(password) { throw AppError.validation(["password": problem]) }
        account.passwordHash = try await app.slowHash(password)
        account.mustChangePassword = false
        try await account.save(on: database)
    }

    /// A new API token for the account; the token itself is shown once and never stored.
    static func issueToken(for account: Account, on database: any Database) async throws -> String {
        let token = "dauys_" + TokenHashing.randomToken()
        try await APIToken(accountID: try account.requireID(), tokenHash: TokenHashing.sha256(token)).create(
            on: database)
        return token
    }

    static func account(forToken token: String, on database: any Database) async throws -> Account? {
        guard token.count < 200,
            let stored = try await APIToken.query(on: database).filter(\.$tokenHash == TokenHashing.sha256(token))
                .with(\.$account).first()
        else { return nil }
        return stored.account
    }

    /// On a database without accounts, a fresh one-time setup token (valid 24 h); nil otherwise.
    static func setupTokenIfNeeded(on database: any Database) async throws -> String? {
        guard try await Account.query(on: database).count() == 0 else { return nil }
        try await SetupToken.query(on: database).delete()
        let token = TokenHashing.randomToken()
        try await SetupToken(tokenHash: TokenHashing.sha256(token), expiresAt: Date().addingTimeInterval(24 * 3600))
            .create(on: database)
        return token
    }

    static func isValidSetupToken(_ token: String, on database: any Database) async throws -> Bool {
        guard try await Account.query(on: database).count() == 0, token.count < 200 else { return false }
        let found = try await SetupToken.query(on: database).filter(\.$tokenHash == TokenHashing.sha256(token)).first()
        return found.map { $0.expiresAt > Date() } ?? false
    }

    /// Creates the first administrator from the setup link; the link works once.
    static func completeSetup(
        token: String, email: String, password: String, app: Application, on database: any Database
    )
        async throws -> Account
    {
        try await database.transaction { transaction in
            guard try await isValidSetupToken(token, on: transaction) else { throw AppError.notFound }
            let account = try await create(
                email: email, password: password, role: .admin, mustChangePassword: false, app: app, on: transaction)
            try await SetupToken.query(on: transaction).delete()
            return account
        }
    }
}
