import Vapor

/// Browser libraries from Debian's packages, served by our own server (SPEC rule 2).
struct VendorFilesController {
    /// URL folder → folder on disk. Nothing outside these folders is ever served.
    static let folders = [
        "leaflet": "/usr/share/javascript/leaflet",
        "chart.js": "/usr/share/javascript/chart.js",
    ]

    @Sendable func file(req: Request) async throws -> Response {
        guard let package = req.parameters.get("package"), let root = Self.folders[package] else {
            throw AppError.notFound
        }
        let parts = req.parameters.getCatchall()
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") }) else {
            throw AppError.notFound
        }
        let path = root + "/" + parts.joined(separator: "/")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw AppError.notFound
        }
        let response = try await req.fileio.asyncStreamFile(at: path)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }
}
