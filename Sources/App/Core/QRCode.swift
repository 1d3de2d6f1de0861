import CQRencode

/// QR codes drawn here by Debian's libqrencode, so no image service ever sees what they hold
/// (a moderator's second-factor secret, the bot's link).
enum QRCode {
    /// `text` as an SVG QR code: one path of unit squares, with the four-module quiet zone
    /// scanners need, titled `label` for screen readers.
    static func svg(_ text: String, label: String) -> String? {
        guard let symbol = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width), quiet = 4, size = width + 2 * quiet
        var path = ""
        for row in 0..<width {
            for column in 0..<width where symbol.pointee.data[row * width + column] & 1 == 1 {
                path += "M\(column + quiet) \(row + quiet)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="\(size * 5)" height="\(size * 5)" \
            shape-rendering="crispEdges" role="img" aria-labelledby="qr-title"><title id="qr-title">\(SafeMarkdown.escape(label))</title>\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }
}
