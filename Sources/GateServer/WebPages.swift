import GateCore
import GateWire
import GateSystem
import GateStore
import GateViews

/// The server's two read-only pages: `/` (pending requests) and `/r/ID` (one request, as
/// `gate show` prints it). Plain server-rendered HTML with no script; every piece of request
/// text is escaped (it was made inert for a terminal first, then escaped for HTML), and the
/// Content-Security-Policy header forbids scripts even if something slipped through.
/// Approving stays in the approvers' hands (their keys, their terminals): the page shows the
/// exact command to run.
enum WebPages {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d1d1f}
        pre{background:#f6f8fa;padding:1em;overflow-x:auto;font:13px/1.4 ui-monospace,monospace}
        .add{color:#116329;background:#dafbe1}.del{color:#82071e;background:#ffebe9}.chg{color:#953800}.hunk{color:#0550ae}.head{font-weight:bold}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;vertical-align:top}
        code{font:13px ui-monospace,monospace}.cmd{font-size:15px;background:#fff8c5;padding:.6em 1em;display:block}
        """

    static func page(title: String, _ body: String) -> String {
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title><style>\(style)</style></head>\n<body>\n\(body)</body></html>\n"
    }

    static func index(_ requests: [RequestRecord], total: Int64, older: Store.ListCursor?, tokenCount: (RequestID) -> Int) -> String {
        var rows = ""
        for r in requests {
            let i = r.intent
            rows += "<tr><td><a href=\"/r/\(r.id.compact)\"><code>\(escape(r.id.description))</code></a></td>"
            rows += "<td><code>\(escape(ShellQuote.join(i.argv)))</code></td>"
            rows += "<td>\(escape(ShellQuote.inert(i.user)))@\(escape(ShellQuote.inert(i.host)))</td>"
            rows += "<td>\(escape(r.requirements.map(\.description).joined(separator: " and "))) (\(tokenCount(r.id)) so far)</td>"
            rows += "<td>\(escape(formatUTC(UInt64(max(0, r.createdMicros / 1_000_000)))))</td></tr>\n"
        }
        var table = requests.isEmpty ? "<p>No pending requests here.</p>\n"
            : "<table><tr><th>request</th><th>command</th><th>requester</th><th>needs</th><th>requested</th></tr>\n\(rows)</table>\n"
        if Int64(requests.count) < total {
            table = "<p>\(total) pending requests, newest first; these are \(requests.count) of them.</p>\n" + table
        }
        if let older { table += "<p><a href=\"/?cursor=\(escape(older.text))\">older requests</a></p>\n" }
        return page(title: "gate: pending requests", "<h1>Pending requests</h1>\n" + table)
    }

    /// `publicURL`: where approvers reach this server (`--public-url`), so that the command shown
    /// works from any machine: `GATE_SERVER=URL gate approve 7K3F-Q2XZ`.
    static func request(_ r: RequestRecord, tokens: [String], policy: Policy?, publicURL: String,
                        blob: ([UInt8]) throws -> [UInt8]?) throws -> String {
        var body = "<h1>Request <code>\(escape(r.id.description))</code></h1>\n"
        if r.status == .pending {
            let server = "GATE_SERVER=" + ShellQuote.quote(publicURL)
            body += "<p>To approve, an approver runs (from any machine with their key):</p>\n"
            body += "<code class=\"cmd\">\(escape(server)) gate approve \(r.id)</code>\n"
            body += "<p>or, to deny: <code>\(escape(server)) gate deny \(r.id) --reason &quot;…&quot;</code></p>\n"
        }
        if let via = r.context["requester"]?["name"]?.stringValue {
            body += "<p>Sent by requester <b>\(escape(ShellQuote.inert(via)))</b> (key \(escape(r.context["requester"]?["key_id"]?.stringValue ?? "")))</p>\n"
        }
        body += "<pre>" + escape(Views.showText(r, tokens: tokens, policy: policy)) + "</pre>\n"
        // The context as the terminal shows it, its colours as classes: one renderer for both.
        let context = try Views.contextText(r, color: true, blob: blob)
        if !context.isEmpty {
            body += "<h2>Context</h2>\n<pre>" + htmlFromTerminal(context) + "</pre>\n"
        }
        body += "<p><a href=\"/\">all pending requests</a></p>\n"
        return page(title: "gate request \(r.id)", body)
    }

    /// Text with the SGR sequences `Views.render` writes (bold, and the diff colours: green
    /// added, red removed, yellow changed, cyan hunk headers) as HTML, every other character
    /// escaped. What a provider printed was made inert before it was coloured, so the only
    /// escape sequences here are gate's own; anything else is shown, never interpreted.
    static func htmlFromTerminal(_ text: String) -> String {
        let classes = ["32": "add", "31": "del", "33": "chg", "36": "hunk", "1": "head"]
        var out = "", open = 0
        var rest = Substring(text)
        while let esc = rest.firstIndex(of: "\u{1b}") {
            out += escape(String(rest[..<esc]))
            let after = rest[rest.index(after: esc)...]
            guard after.first == "[", let m = after.firstIndex(of: "m"), after.distance(from: after.startIndex, to: m) <= 4 else {
                out += "\\x1b"
                rest = after
                continue
            }
            let code = String(after[after.index(after: after.startIndex)..<m])
            if code == "0" {
                if open > 0 { out += "</span>"; open -= 1 }
            } else if let c = classes[code] {
                out += "<span class=\"\(c)\">"
                open += 1
            }
            rest = after[after.index(after: m)...]
        }
        out += escape(String(rest))
        out += String(repeating: "</span>", count: open)
        return out
    }
}
