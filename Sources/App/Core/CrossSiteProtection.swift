import Vapor

/// Another website must not be able to make a visitor's browser send us a report, look up or
/// delete one, or sign a moderator in (issue #10). Two guards:
/// - every request that changes something is refused when the browser says it comes from
///   another site (`Sec-Fetch-Site`) or names another origin (`Origin`);
/// - the JSON API reads only bodies sent as `application/json`, which a page on another site
///   cannot send without a CORS preflight that this server never grants.
struct SameOriginMiddleware: AsyncMiddleware {
    let publicURL: URL?

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if ![.GET, .HEAD, .OPTIONS].contains(request.method) && !isSameOrigin(request) {
            throw AppError(status: .forbidden, code: "cross_site_request", messageKey: "error_cross_site")
        }
        return try await next.respond(to: request)
    }

    /// Browsers since 2020–2023 send `Sec-Fetch-Site`, which a page cannot forge, and it alone
    /// decides; older ones send `Origin` on a form post (the site's `Referrer-Policy:
    /// same-origin` keeps it a real origin rather than `null`). Programs such as the Telegram
    /// servers or an API client send neither, and are let through.
    func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers.first(name: "Sec-Fetch-Site")?.lowercased() {
            return site == "same-origin" || site == "none"
        }
        guard let origin = request.headers.first(name: .origin) else { return true }
        guard let url = URL(string: origin), let sent = Self.hostAndPort(url) else { return false }
        var ours: [String] = []
        if let host = request.headers.first(name: .host) { ours.append(host.lowercased()) }
        if let publicURL, let host = Self.hostAndPort(publicURL) { ours.append(host) }
        return ours.contains(sent)
    }

    /// `host[:port]` as a `Host` header writes it, in lower case.
    static func hostAndPort(_ url: URL) -> String? {
        guard let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        let written = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return url.port.map { "\(written):\($0)" } ?? written
    }
}

extension Request {
    /// The request's body decoded from JSON; any other content type is refused with 415, so a
    /// cross-site `text/plain` post that looks like JSON is never read.
    func jsonBody<T: Decodable>(_ type: T.Type) throws -> T {
        guard let contentType = headers.contentType, contentType.type.lowercased() == "application",
            contentType.subType.lowercased() == "json"
        else {
            throw AppError(status: .unsupportedMediaType, code: "unsupported_media_type", messageKey: "error_json_only")
        }
        return try content.decode(T.self, as: .json)
    }
}
