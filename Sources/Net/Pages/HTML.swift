import NIOCore
import NIOHTTP1

/// Server-rendered HTML: text escaped where it is put in, one layout, one stylesheet, no script. Every answer
/// already carries a Content-Security-Policy that allows no script and only this server's stylesheet
/// (`HTTPResponse.securityHeaders`, written by `ResponseEncoding`).
enum HTML {
    /// `text` with the five characters that mean something in HTML (text or attribute) escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A whole page: `title` (escaped) and `body` (HTML, already escaped where it holds text).
    static func page(title: String, body: String) -> HTTPResponse {
        let document = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(title)) · Tessera</title>
            <link rel="stylesheet" href="/static/tessera.css">
            </head>
            <body>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
        return HTTPResponse(
            status: .ok, headers: ["content-type": "text/html; charset=utf-8", "cache-control": "no-cache"],
            body: ByteBuffer(string: document))
    }

    /// The one stylesheet: readable on a phone, keyboard focus visible, light and dark.
    static let stylesheet = """
        :root { color-scheme: light dark; --accent: #3553c7; --muted: #5f6670; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
        main { max-width: 56rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
        h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #8884; padding-bottom: .25rem; }
        p.lead { color: var(--muted); margin-top: 0; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; font-size: .95rem; }
        th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid #8883; }
        .method { display: inline-block; min-width: 4.2rem; font: 600 .8rem ui-monospace, monospace; }
        .muted { color: var(--muted); }
        @media (max-width: 36rem) { th.optional, td.optional { display: none; } }
        form.stack { display: grid; gap: .5rem; max-width: 24rem; }
        form.stack label { font-weight: 600; margin-top: .5rem; }
        input[type=email], input[type=password] { font: inherit; padding: .6rem; border: 1px solid #8888; border-radius: .4rem; }
        button { font: inherit; font-weight: 600; padding: .6rem 1rem; border: 0; border-radius: .4rem; background: var(--accent); color: #fff; cursor: pointer; margin-top: 1rem; }
        button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
        a.button { display: block; text-align: center; text-decoration: none; font-weight: 600; padding: .6rem 1rem; border-radius: .4rem; }
        a.button.secondary { color: var(--accent); border: 1px solid var(--accent); }
        nav.providers { display: grid; gap: .5rem; max-width: 24rem; margin-top: 1rem; }
        nav.providers p { text-align: center; margin: .5rem 0 0; }
        p.error { border-left: 4px solid #c62828; padding: .5rem .75rem; background: #c6282814; }

        """
}
