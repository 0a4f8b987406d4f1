import Hummingbird

/// The pages' only script, served as a file of this server so that the Content Security
/// Policy can forbid inline scripts (`script-src 'self'`): an injected `<script>` never
/// runs. It auto-refreshes a page when asked to, and records how wide the browser drew
/// each plotted line and the page, so that scripts/browser-check can tell from the DOM
/// that a plot was laid out, not just sent, and that no page is wider than the window.
enum PageScript {
    static let path = "/assets/pgscorer.js"

    /// The tag every page carries in its head.
    static let tag: HTML = "<script src=\"/assets/pgscorer.js\" defer></script>"

    static let source = """
        const box = document.getElementById('autorefresh');
        if (box) {
          box.checked = localStorage.getItem('pgscorer.refresh') === '1';
          box.onchange = () => localStorage.setItem('pgscorer.refresh', box.checked ? '1' : '0');
          setInterval(() => { if (box.checked) location.reload(); }, 10000);
        }
        document.querySelectorAll('svg.chart polyline').forEach(l => l.dataset.drawnWidth = Math.round(l.getBBox().width));
        document.documentElement.dataset.scrollWidth = document.documentElement.scrollWidth;

        """

    static var response: Response {
        var headers = pageHeaders
        headers[.contentType] = "text/javascript; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: source)))
    }
}
