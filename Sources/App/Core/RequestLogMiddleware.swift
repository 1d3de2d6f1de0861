import Vapor

/// Logs each request as method, route pattern, status and duration, and nothing else
/// (SPEC rule 1): no address, no user agent, no query string, no concrete path values.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(request.route.map { $0.path.map { "\($0)" }.joined(separator: "/") } ?? "unmatched"),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }
}

/// Security headers on every response (SPEC rule 2: nothing third-party but map tiles).
struct SecurityHeadersMiddleware: AsyncMiddleware {
    let contentSecurityPolicy: String

    init(config: AppConfig) {
        // Nothing from another origin at all: even map tiles come through our server.
        contentSecurityPolicy = [
            "default-src 'self'",
            "img-src 'self' data:",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ].joined(separator: "; ")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let headers = [
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
            ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
        ]
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        // Browsers ignore HSTS over plain HTTP, so sending it always is harmless and covers a
        // deployment behind a TLS-terminating proxy without configuration.
        response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        let isStatic = request.url.path.hasPrefix("/static/") || request.url.path.hasPrefix("/vendor/")
        if !isStatic && !response.headers.contains(name: .cacheControl) {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}
