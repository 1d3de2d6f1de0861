import NIOConcurrencyHelpers
import Vapor

/// Abuse limits that never store who anyone is (SPEC rule 1).
///
/// A client is known only by a keyed hash of its address; the key lives in memory, is replaced
/// every hour, and the counters go with it. Nothing is written to disk or to the database.
/// Each server instance counts on its own.
struct RateLimitRule: Sendable, Equatable {
    var limit: Int
    var window: TimeInterval
}

struct RateLimits: Sendable, Equatable {
    var enabled = true
    /// Reports submitted, on the website or through the API.
    var report = RateLimitRule(limit: 20, window: 3600)
    /// Receipt look-ups, answers and deletions: codes must not be guessable by trying.
    var receipt = RateLimitRule(limit: 30, window: 3600)
    /// Sign-in attempts to the admin panel.
    var login = RateLimitRule(limit: 10, window: 900)
    /// Second-factor codes typed after a correct password (counted apart, so a sign-in costs
    /// one attempt of each).
    var secondFactor = RateLimitRule(limit: 10, window: 900)
    /// Full downloads of the open data: each reads every matching row.
    var export = RateLimitRule(limit: 60, window: 3600)
}

actor RateLimiter {
    private var key = SymmetricKey(size: .bits256)
    private var keyCreated = Date()
    private var counters: [String: (start: Date, count: Int)] = [:]
    static let keyLifetime: TimeInterval = 3600

    /// Counts one request; returns nil when it is allowed, or the seconds to wait.
    func admit(category: String, client: String, rule: RateLimitRule, now: Date = Date()) -> Int? {
        if now.timeIntervalSince(keyCreated) >= Self.keyLifetime {
            key = SymmetricKey(size: .bits256)
            keyCreated = now
            counters.removeAll()
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Data((category + "|" + client).utf8), using: key)
        let bucket = Data(mac.prefix(16)).base64EncodedString()
        var entry = counters[bucket] ?? (now, 0)
        if now.timeIntervalSince(entry.start) >= rule.window { entry = (now, 0) }
        guard entry.count < rule.limit else {
            return max(1, Int((rule.window - now.timeIntervalSince(entry.start)).rounded(.up)))
        }
        entry.count += 1
        counters[bucket] = entry
        return nil
    }
}

extension Request {
    /// The address abuse limits count by. Client-sent `X-Forwarded-For` is believed only when
    /// the connection itself comes from a configured trusted proxy (Vapor's `peerAddress`
    /// believes it always, so it is not used anywhere).
    var clientAddressForLimits: String {
        let trusted = application.config.trustedProxies
        guard let peer = remoteAddress?.ipAddress else { return "unknown" }
        guard trusted.contains(peer) else { return peer }
        let chain = headers[.xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return chain.last { !trusted.contains($0) } ?? peer
    }
}

/// Applies one limit to the routes it guards; over the limit, a 429 in the error shape.
struct RateLimitMiddleware: AsyncMiddleware {
    let category: String
    let rule: @Sendable (RateLimits) -> RateLimitRule

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limits = request.application.config.rateLimits
        if limits.enabled,
            let wait = await request.application.rateLimiter.admit(
                category: category, client: request.clientAddressForLimits, rule: rule(limits))
        {
            throw AppError(
                status: .tooManyRequests, code: "rate_limited", messageKey: "error_rate_limited",
                headers: ["Retry-After": String(wait)])
        }
        return try await next.respond(to: request)
    }

    static let report = RateLimitMiddleware(category: "report") { $0.report }
    static let receipt = RateLimitMiddleware(category: "receipt") { $0.receipt }
    static let login = RateLimitMiddleware(category: "login") { $0.login }
    static let secondFactor = RateLimitMiddleware(category: "second-factor") { $0.secondFactor }
    static let export = RateLimitMiddleware(category: "export") { $0.export }
}

extension Application {
    private struct RateLimiterKey: StorageKey { typealias Value = RateLimiter }

    var rateLimiter: RateLimiter {
        get {
            guard let limiter = storage[RateLimiterKey.self] else { fatalError("configure(_:config:) was not called") }
            return limiter
        }
        set { storage[RateLimiterKey.self] = newValue }
    }
}

/// Sheds load instead of queueing it: past `limit` requests at once, the next is answered 503
/// with `Retry-After` straight away, before it takes a database connection or a thread. A
/// saturated server so stays quick to answer — and to answer its health check — and never
/// lets requests wait into timeouts that end as 500s.
struct LoadSheddingMiddleware: AsyncMiddleware {
    let limit: Int
    private let inFlight = ManagedAtomicCounter()

    init(limit: Int) { self.limit = limit }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.url.path != "/healthz" else { return try await next.respond(to: request) }
        guard inFlight.increment() <= limit else {
            inFlight.decrement()
            throw AppError.overloaded
        }
        defer { inFlight.decrement() }
        return try await next.respond(to: request)
    }
}

/// A counter shared by every request of the server.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    /// The value after adding one.
    func increment() -> Int {
        value.withLockedValue {
            $0 += 1; return $0
        }
    }
    func decrement() { value.withLockedValue { $0 -= 1 } }
    var current: Int { value.withLockedValue { $0 } }
}
