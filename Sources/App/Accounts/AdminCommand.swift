import Fluent
import Vapor

/// `dauys admin create --email E --role admin|moderator` and `dauys admin token --email E [--name N]`:
/// the server's operator, who holds the database anyway, may issue a token without the panel.
struct AdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create (a new account) or token (a new API token for an account)")
        var action: String

        @Option(name: "email", help: "The account's email address.")
        var email: String?

        @Option(name: "role", help: "admin or moderator (for create).")
        var role: String?

        @Option(name: "name", help: "What the token is for (for token), so it can be told apart and revoked.")
        var name: String?
    }

    var help: String { "Creates accounts and API tokens for moderators and administrators." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let email = signature.email else { throw CommandFailure("--email is required") }
        switch signature.action {
        case "create":
            guard let role = signature.role.flatMap(AccountRole.init(rawValue:)) else {
                throw CommandFailure("--role must be admin or moderator")
            }
            let password = AccountService.oneTimePassword()
            do {
                let account = try await AccountService.create(
                    email: email, password: password, role: role, mustChangePassword: true, app: app, on: app.db)
                context.console.print("Created \(account.accountRole.rawValue) \(account.email).")
                context.console.print("One-time password (shown once; it must be changed at first login): \(password)")
            } catch let error as AppError {
                throw CommandFailure(
                    error.fields.map { "\($0.key): \(app.translations.text($0.value, .en))" }.joined(separator: "; "))
            }
        case "token":
            guard let normalized = AccountService.normalizedEmail(email),
                let account = try await Account.query(on: app.db).filter(\.$email == normalized).first()
            else { throw CommandFailure("no account with the email \(email)") }
            let name: String
            do {
                name = try AccountService.tokenName(signature.name ?? "dauys admin token")
            } catch {
                throw CommandFailure("--name: " + app.translations.text("error_token_name", .en))
            }
            let token = try await AccountService.issueToken(for: account, name: name, on: app.db)
            context.console.print("API token for \(account.email) (shown once): \(token)")
            context.console.print("It expires in 90 days; revoke it sooner from the panel's token page.")
        default:
            throw CommandFailure("unknown action \(signature.action); use create or token")
        }
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
