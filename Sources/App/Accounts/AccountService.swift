import Fluent
import Vapor

/// Accounts, passwords, API tokens and the first-administrator link.
enum AccountService {
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
        /// Unknown address or wrong password: one answer for both.
        case wrongCredentials
        /// Too many failures of this address from this client: wait this many seconds.
        case slowedDown(seconds: Int)
    }

    /// Checks a password. Every refusal costs one bcrypt check at the accounts' cost, whether
    /// the address exists or not, and failures slow down only this address from this client
    /// (``SignInThrottle``): never a lock a stranger could put on a moderator.
    static func login(
        email rawEmail: String, password: String, client: String, app: Application, on database: any Database
    )
        async throws -> LoginResult
    {
        let typed = String(rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().prefix(254))
        if let wait = await app.signInThrottle.remainingWait(email: typed, client: client) {
            _ = try? await app.slowVerify(password, hash: app.dummyPasswordHash)
            return .slowedDown(seconds: wait)
        }
        var account: Account?
        if let email = normalizedEmail(rawEmail) {
            account = try await Account.query(on: database).filter(\.$email == email).first()
        }
        let matches = try await app.slowVerify(password, hash: account?.passwordHash ?? app.dummyPasswordHash)
        // A disabled account is refused with the same answer as a wrong password.
        guard let account, matches, !account.isDisabled else {
            await app.signInThrottle.recordFailure(email: typed, client: client)
            if let account {
                try await AuditEntry(
                    account: account, action: "sign_in_failed", reportID: nil, detail: "wrong password"
                )
                .create(on: database)
            }
            return .wrongCredentials
        }
        await app.signInThrottle.recordSuccess(email: typed, client: client)
        return .success(account)
    }

    /// Replaces a password after checking the current one. Every other session of the account
    /// ends (its epoch no longer matches) and every API token is revoked, so whoever had the
    /// old password keeps nothing. Audited.
    static func changePassword(
        _ account: Account, current: String, to password: String, app: Application, on database: any Database
    )
        async throws
    {
        guard try await app.slowVerify(current, hash: account.passwordHash) else {
            throw AppError.validation(["current": "error_password_current"])
        }
        if let problem = passwordProblem(password) { throw AppError.validation(["password": problem]) }
        let hash = try await app.slowHash(password)
        try await database.transaction { transaction in
            account.passwordHash = hash
            account.mustChangePassword = false
            let tokens = try await endEverySession(of: account, on: transaction)
            try await AuditEntry(
                account: account, action: "password_change", reportID: nil,
                detail: "password changed; other sessions ended; \(tokens) API token(s) revoked"
            ).create(on: transaction)
        }
    }

    /// Saves the account with a new credentials epoch, which ends every session begun before,
    /// and revokes all its API tokens; returns how many were revoked. Inside the caller's
    /// transaction, with whatever else the caller changed on the account.
    @discardableResult
    private static func endEverySession(of account: Account, on transaction: any Database) async throws -> Int {
        let id = try account.requireID()
        account.credentialsEpoch += 1
        try await account.save(on: transaction)
        let tokens = try await APIToken.query(on: transaction).filter(\.$account.$id == id).count()
        try await APIToken.query(on: transaction).filter(\.$account.$id == id).delete()
        return tokens
    }

    /// A new API token for the account; the token itself is shown once and never stored.
    static func issueToken(
        for account: Account, name: String = "", lifetime: TimeInterval = APIToken.defaultLifetime,
        on database: any Database, now: Date = Date()
    ) async throws -> String {
        let token = "dauys_" + TokenHashing.randomToken()
        try await APIToken(
            accountID: try account.requireID(), tokenHash: TokenHashing.sha256(token), name: name,
            expiresAt: now.addingTimeInterval(lifetime)
        ).create(on: database)
        return token
    }

    /// The account a bearer token belongs to, if the token is live and the account enabled.
    static func account(forToken token: String, on database: any Database, now: Date = Date()) async throws -> Account?
    {
        guard token.count < 200,
            let stored = try await APIToken.query(on: database).filter(\.$tokenHash == TokenHashing.sha256(token))
                .with(\.$account).first(),
            (stored.expiresAt ?? .distantPast) > now, !stored.account.isDisabled
        else { return nil }
        return stored.account
    }

    /// A moderator's name for a token: what it is for, so it can be told apart and revoked.
    static func tokenName(_ raw: String?) throws -> String {
        guard let name = TextRules.trimmed(raw), name.count <= 80, TextRules.isClean(name) else {
            throw AppError.validation(["name": "error_token_name"])
        }
        return name
    }

    // MARK: Administrators' acts on accounts

    /// An account made in the panel, with a one-time password to hand over (shown once).
    static func createFromPanel(
        email: String, role: AccountRole, by administrator: Account, app: Application, on database: any Database
    ) async throws -> (Account, password: String) {
        let password = oneTimePassword()
        let account = try await create(
            email: email, password: password, role: role, mustChangePassword: true, app: app, on: database)
        try await AuditEntry(
            account: administrator, action: "account_create", reportID: nil,
            detail: "\(account.email) created as \(role.rawValue)"
        ).create(on: database)
        return (account, password)
    }

    /// Disables or enables an account. Disabling ends its sessions and revokes its tokens at
    /// once; nobody disables their own account (the last administrator could lock everyone out).
    static func setDisabled(
        _ account: Account, _ disabled: Bool, by administrator: Account, on database: any Database,
        now: Date = Date()
    ) async throws {
        guard account.id != administrator.id else { throw AppError.validation(["account": "error_account_self"]) }
        try await database.transaction { transaction in
            account.disabledAt = disabled ? now : nil
            if disabled {
                try await endEverySession(of: account, on: transaction)
            } else {
                try await account.save(on: transaction)
            }
            try await AuditEntry(
                account: administrator, action: disabled ? "account_disable" : "account_enable", reportID: nil,
                detail: disabled
                    ? "\(account.email) disabled; sessions ended, API tokens revoked" : "\(account.email) enabled again"
            ).create(on: transaction)
        }
    }

    /// A new one-time password for someone who forgot theirs; it must be replaced at the next
    /// sign-in, and every session and token of the account ends now.
    static func resetPassword(
        _ account: Account, by administrator: Account, app: Application, on database: any Database
    ) async throws -> String {
        let password = oneTimePassword()
        let hash = try await app.slowHash(password)
        try await database.transaction { transaction in
            account.passwordHash = hash
            account.mustChangePassword = true
            try await endEverySession(of: account, on: transaction)
            try await AuditEntry(
                account: administrator, action: "password_reset", reportID: nil,
                detail: "one-time password issued for \(account.email); sessions ended, API tokens revoked"
            ).create(on: transaction)
        }
        return password
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
