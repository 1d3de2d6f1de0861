import Vapor

/// "How to leave no trace" (issue #15): linked beside the quick exit on every page, because the
/// exit replaces only the page it leaves and the earlier ones stay in the browser's history.
struct NoTracePage {
    /// Each section: a heading and its paragraphs, all interface strings.
    static let sections: [(heading: String, paragraphs: [String])] = [
        ("notrace_private_heading", ["notrace_private_text"]),
        ("notrace_history_heading", ["notrace_history_text", "notrace_history_cookies"]),
        ("notrace_exit_heading", ["notrace_exit_text"]),
        ("notrace_telegram_heading", ["notrace_telegram_text", "notrace_telegram_autodelete"]),
        ("notrace_receipt_heading", ["notrace_receipt_text"]),
    ]

    struct Section: Encodable {
        var id: String
        var heading: String
        var paragraphs: [String]
    }

    struct Content: Encodable {
        var sections: [Section]
    }

    @Sendable func page(req: Request) async throws -> View {
        let content = Content(
            sections: Self.sections.map { section in
                Section(
                    id: String(section.heading.dropFirst("notrace_".count).dropLast("_heading".count)),
                    heading: req.text(section.heading), paragraphs: section.paragraphs.map { req.text($0) })
            })
        return try await req.view.render(
            "no-trace", PageContext(req, title: req.text("notrace_title"), nav: "no-trace", content: content))
    }
}
