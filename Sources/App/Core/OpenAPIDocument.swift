import Vapor

/// `GET /api/v1/openapi.json`: the API's description, `Resources/openapi.json`, as it is.
@Sendable func openAPIDocument(req: Request) async throws -> Response {
    try await req.fileio.asyncStreamFile(
        at: req.application.directory.resourcesDirectory + "openapi.json",
        mediaType: .json)
}
