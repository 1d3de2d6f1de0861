import Vapor

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
            // Other sites get no referrer; our own form posts keep a real `Origin` for the
            // cross-site guard (with `no-referrer` browsers would send `Origin: null`).
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
        ]
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        // Browsers ignore HSTS over plain HTTP, so sending it always is harmless and covers a
        // deployment behind a TLS-terminating proxy without configuration.
        response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        // The panel's answers, error pages included, are never compressed (`configure.swift`):
        // they may carry a form token or a session beside text a request chose (BREACH).
        let path = request.url.path
        if path == "/admin" || path.hasPrefix("/admin/") || path.hasPrefix("/api/v1/admin") {
            response.headers.responseCompression = .disable
        }
        let isStatic = request.url.path.hasPrefix("/static/") || request.url.path.hasPrefix("/vendor/")
        if !isStatic && !response.headers.contains(name: .cacheControl) {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}
