import Logging
import NIOConcurrencyHelpers
import Vapor

/// Logs each request as method, route pattern, status and duration, and nothing else
/// (SPEC rule 1): no address, no user agent, no query string, no concrete path values. The line
/// is at `debug`; at `info` the requests are counted per route pattern and written once a minute
/// (``RouteMinuteCounts``), so a busy server does not flood its log (issue #22).
///
/// A request on a reporter's path (``ReporterRoutes``: a report sent, a receipt looked up, a
/// report withdrawn or answered, a Telegram update, and the forms on those paths) writes no line
/// at all, at any level and whatever its outcome — accepted, refused as cross-site, too large,
/// of the wrong type, over the abuse limit, shed under load, not found or failed (SPEC §6): a
/// stamped line per request would let anyone holding a network log match a report to an
/// address by its time (issues #10 and #21). Its logger is silenced before anything else runs,
/// so neither this middleware nor the error middleware nor Vapor itself writes about it. It is
/// counted instead, and the counts are logged once an hour, on the hour.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let counts = request.application.requestCounts
        if let path = counts.reporterPath(request.url.path) {
            request.storage[ReporterRequest.self] = true
            request.logger = Logger(label: request.logger.label) { _ in SwiftLogNoOpLogHandler() }
            let key = request.method.rawValue + " " + path
            do {
                let response = try await next.respond(to: request)
                counts.add(key, status: response.status)
                return response
            } catch {
                counts.add(key, status: .internalServerError)
                throw error
            }
        }
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            counts.minutes.add(Self.minuteKey(request), status: .internalServerError, milliseconds: Self.since(start))
            throw error
        }
        let milliseconds = Self.since(start)
        counts.minutes.add(Self.minuteKey(request), status: response.status, milliseconds: milliseconds)
        request.logger.debug(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(request.route.map(Self.pattern) ?? RouteMinuteCounts.unmatched),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }

    /// A route's path pattern, e.g. `api/v1/incidents/:id`.
    static func pattern(_ route: Route) -> String { route.path.map { "\($0)" }.joined(separator: "/") }

    /// The key a request is counted under each minute: the method and pattern of the route it
    /// matched (the route's method, so a HEAD is counted with its GET), or one key for all
    /// that matched none, so the keys are as few as the routes whatever the requests are.
    static func minuteKey(_ request: Request) -> String {
        guard let route = request.route else { return RouteMinuteCounts.unmatched }
        return route.method.rawValue + " /" + pattern(route)
    }

    static func since(_ start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// Set on a request on a reporter's path: nothing about it is logged (``RequestLogMiddleware``).
enum ReporterRequest: StorageKey { typealias Value = Bool }

/// Registers a reporter's routes: every request on their paths, with any method and whatever
/// its outcome, is counted and never logged one by one (``RequestLogMiddleware``). The paths are
/// recorded as the routes are added, so a new reporter route is covered by being declared here.
struct ReporterRoutes: RoutesBuilder {
    let root: any RoutesBuilder
    let counts: RequestCounts

    init(_ app: Application) {
        root = app
        counts = app.requestCounts
    }

    func add(_ route: Route) {
        counts.addReporterPath(route.path.map { "\($0)" }.joined(separator: "/"))
        root.add(route)
    }
}

/// How many requests each reporter route has had since the last report, and which paths are a
/// reporter's.
final class RequestCounts: Sendable {
    /// The other routes' requests, counted per minute with their durations.
    let minutes = RouteMinuteCounts()
    private let counts = NIOLockedValueBox<[String: Int]>([:])
    private let reporterPaths = NIOLockedValueBox<Set<String>>([])

    /// Counts one request under `METHOD path`, and a refused or failed one also under
    /// `METHOD path STATUS`.
    func add(_ route: String, status: HTTPStatus = .ok) {
        counts.withLockedValue { counts in
            counts[route, default: 0] += 1
            if status.code >= 400 { counts[route + " " + String(status.code), default: 0] += 1 }
        }
    }

    func addReporterPath(_ path: String) { reporterPaths.withLockedValue { _ = $0.insert(path.lowercased()) } }

    /// The reporter's path a request's path names, or nil: compared without empty segments,
    /// percent-encoding or case, so `/report/`, `//report` or `/%72eport` are the same path.
    func reporterPath(_ requestPath: String) -> String? {
        let decoded = requestPath.removingPercentEncoding ?? requestPath
        let path = decoded.split(separator: "/").joined(separator: "/").lowercased()
        return reporterPaths.withLockedValue { $0.contains(path) } ? path : nil
    }

    /// The counts so far, which start again from zero.
    func take() -> [String: Int] {
        counts.withLockedValue { counts in
            defer { counts = [:] }
            return counts
        }
    }

    /// One line an hour, on the hour, with the counts, while the server runs; nothing in a quiet
    /// hour. Report times are stored to the hour; a finer count would say more than they do.
    static func schedule(_ app: Application) {
        let logger = app.logger
        let counts = app.requestCounts
        let clock = app.wallClock
        app.repeatWhileRunning(every: .zero) {
            guard (try? await clock.sleep(until: SystemWallClock.nextHour(after: clock.now))) != nil else { return }
            let taken = counts.take()
            if !taken.isEmpty {
                logger.info("requests in the last hour", metadata: taken.mapValues { .stringConvertible($0) })
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
