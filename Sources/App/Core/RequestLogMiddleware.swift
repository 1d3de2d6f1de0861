import NIOConcurrencyHelpers
import Vapor

/// Logs each request as method, route pattern, status and duration, and nothing else
/// (SPEC rule 1): no address, no user agent, no query string, no concrete path values.
///
/// Requests on routes marked ``CountedNotLogged`` — a report sent, a receipt looked up, a
/// report withdrawn, a Telegram update — get no line of their own: a stamped line per request
/// would let anyone holding a proxy's access log match a report to an address by its second
/// (issue #10). They are counted, and the counts are logged once a minute.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let route = request.route.map { $0.path.map { "\($0)" }.joined(separator: "/") } ?? "unmatched"
        if request.storage[CountedNotLogged.Key.self] == true {
            request.application.requestCounts.add(request.method.rawValue + " " + route)
            return response
        }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(route),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }
}

/// Marks the routes of ``RequestLogMiddleware``'s second paragraph: wrap them in a group with it.
struct CountedNotLogged: AsyncMiddleware {
    struct Key: StorageKey { typealias Value = Bool }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.storage[Key.self] = true
        return try await next.respond(to: request)
    }
}

/// How many requests each counted route has had since the last report.
final class RequestCounts: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    func add(_ route: String) { counts.withLockedValue { $0[route, default: 0] += 1 } }

    /// The counts so far, which start again from zero.
    func take() -> [String: Int] {
        counts.withLockedValue { counts in
            defer { counts = [:] }
            return counts
        }
    }

    /// One line a minute with the counts, while the server runs; nothing in a quiet minute.
    static func schedule(_ app: Application) {
        let logger = app.logger
        let counts = app.requestCounts
        app.repeatWhileRunning(every: .seconds(60), firstAfter: .seconds(60)) {
            let taken = counts.take()
            if !taken.isEmpty {
                logger.info("requests in the last minute", metadata: taken.mapValues { .stringConvertible($0) })
            }
        }
    }
}

extension Application {
    private struct RequestCountsKey: StorageKey { typealias Value = RequestCounts }

    var requestCounts: RequestCounts {
        get {
            guard let counts = storage[RequestCountsKey.self] else { fatalError("configure(_:config:) was not called") }
            return counts
        }
        set { storage[RequestCountsKey.self] = newValue }
    }
}
