import Crypto
import Foundation
import Vapor

/// Our own CSS and JavaScript, and the vendor files pages load, under URLs that carry a hash of
/// their content (issue #15): a browser may then keep them for a year, and a new release is
/// fetched at once because its URLs differ.
struct StaticAssets: Sendable {
    /// The first 10 hex digits of a SHA-256 over every file, in path order.
    let version: String

    /// The files that make up the version: `Public/static` and the vendor files pages load.
    static func load(publicDirectory: String) throws -> StaticAssets {
        let root = URL(fileURLWithPath: publicDirectory).appendingPathComponent("static")
        var paths: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let path as String in walker where path.hasSuffix(".css") || path.hasSuffix(".js") {
                paths.append(root.appendingPathComponent(path).path)
            }
        }
        paths.sort()
        paths += vendorFiles.compactMap { file in
            let parts = file.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let folder = VendorFilesController.folders[parts[0]] else { return nil }
            return folder + "/" + parts[1]
        }
        var hash = SHA256()
        for path in paths {
            hash.update(data: Data(path.utf8))
            if let data = FileManager.default.contents(atPath: path) { hash.update(data: data) }
        }
        return StaticAssets(version: String(hash.finalize().hexString.prefix(10)))
    }

    /// The vendor files the layout loads, as `/vendor/` paths.
    static let vendorFiles = ["leaflet/leaflet.css", "leaflet/leaflet.min.js", "chart.js/chart.min.js"]
}

/// `Cache-Control` for `/static/` and `/vendor/`: a year, never revalidated, when the URL
/// carries the current version; otherwise revalidated on every use.
struct StaticCacheMiddleware: AsyncMiddleware {
    let version: String

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let path = request.url.path
        guard path.hasPrefix("/static/") || path.hasPrefix("/vendor/"), response.status == .ok else { return response }
        let current = request.url.query?.split(separator: "&").contains { $0 == "v=" + version } ?? false
        response.headers.replaceOrAdd(
            name: .cacheControl, value: current ? "public, max-age=31536000, immutable" : "no-cache")
        return response
    }
}

extension Application {
    private struct StaticAssetsKey: StorageKey { typealias Value = StaticAssets }

    /// Set once in `configure`.
    var staticAssets: StaticAssets {
        get { storage[StaticAssetsKey.self] ?? StaticAssets(version: "0") }
        set { storage[StaticAssetsKey.self] = newValue }
    }
}
