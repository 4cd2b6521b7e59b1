import GateCore
import GateWire
import Glibc
import GateSystem
import GateStore

/// How a request's context reads for a person (`gate show`) and for a program (`--json`). Every
/// byte a provider printed is made inert first: a hostile plan must not be able to move the
/// cursor, clear the screen or fake a line of gate's own. Diff lines are coloured only on a
/// terminal that wants colour.
extension Views {
    public static func contextText(_ r: RequestRecord, color: Bool, blob: ([UInt8]) throws -> [UInt8]?) throws -> String {
        var out = ""
        // The bound environment (in the intent, signed) is shown with the intent; the context's
        // copy only for older requests that bound none.
        let env = r.intent.boundEnvironment.isEmpty ? r.context["environment"]?.arrayValue ?? [] : []
        if !env.isEmpty {
            out += "environment\n"
            for v in env {
                let name = ShellQuote.inert(v["name"]?.stringValue ?? "?")
                let value = v["value"]?.stringValue ?? ""
                let redacted = v["redacted"] == .bool(true)
                out += "  \(name.padding(22)) \(redacted ? "(redacted) " : "")\(ShellQuote.quote(value))\n"
            }
        }
        // What the run is bound to, from its own bytes: checked against the bound digest (the
        // blob store refuses bytes that do not hash to it), so this is what will be used.
        for f in r.intent.boundFiles {
            guard r.context["bound_contents"]?.arrayValue?.contains(where: { $0["digest"]?.stringValue == Hex.encode(f.digest) }) == true,
                  let bytes = try blob(f.digest) else { continue }
            let head = "bound file \(ShellQuote.quote(f.path)): its contents, checked against the bound digest (the run uses exactly these bytes)"
            out += "\n" + (color ? "\u{1b}[1m\(head)\u{1b}[0m" : head) + "\n" + render(bytes, color: color)
        }
        for p in r.context["providers"]?.arrayValue ?? [] {
            let name = ShellQuote.inert(p["name"]?.stringValue ?? "?")
            let argv = (p["argv"]?.arrayValue ?? []).compactMap(\.stringValue)
            let status = p["status"]?.stringValue ?? "?"
            var head = "context \(name): \(ShellQuote.join(argv))  [\(ShellQuote.inert(status))"
            if let c = p["exit_code"]?.intValue, c != 0 { head += ", exit \(c)" }
            if let s = p["signal"]?.intValue { head += ", signal \(s)" }
            head += ", \(p["bytes"]?.intValue ?? 0) bytes"
            if p["truncated"] == .bool(true) { head += ", TRUNCATED at \(p["limit"]?.intValue ?? 0) bytes" }
            head += "]"
            out += "\n" + (color ? "\u{1b}[1m\(head)\u{1b}[0m" : head) + "\n"
            // A provider's output is what the requester's host says it printed: nothing binds it
            // to what will run. Say so, every time.
            out += "  (as the requester's host reported it: gate cannot check this output against what will run\(r.intent.boundFiles.isEmpty ? "" : "; the bound files are checked"))\n"
            if let summary = p["summary"]?.stringValue { out += "  \(ShellQuote.inert(summary))\n" }
            // A bare name was resolved through the requester's PATH: say which file ran, and
            // whether it is the command's own executable (whose digest is bound).
            if let exe = p["executable"]?.stringValue, !exe.isEmpty, !(argv.first ?? "").hasPrefix("/") {
                out += "  (ran \(ShellQuote.quote(exe))\(exe == r.intent.executable ? ", the command's own executable" : ""))\n"
            }
            let digestHex = p["digest"]?.stringValue ?? ""
            guard let digest = try? Hex.decode(digestHex), let bytes = try blob(digest) else {
                out += "  (output \(digestHex) is not in this state directory)\n"
                continue
            }
            out += render(bytes, color: color)
            if p["truncated"] == .bool(true) { out += "… output truncated: the provider printed more than the policy's max=\n" }
            let stderr = p["stderr"]?.stringValue ?? ""
            if !stderr.isEmpty && status != "ok" {
                out += "stderr:\n" + render(Array(stderr.utf8), color: false)
            }
        }
        return out
    }

    /// Output lines made inert (tabs kept), diff markers coloured: `+` added, `-` removed,
    /// `~` changed, `@@` hunk headers (git, kubectl and terraform all print these).
    static func render(_ bytes: [UInt8], color: Bool) -> String {
        var out = ""
        out.reserveCapacity(bytes.count + bytes.count / 16)
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = String(line)
            if l.hasSuffix("\r") { l.removeLast() }
            let safe = inertKeepingTabs(l)
            guard color else { out += safe + "\n"; continue }
            let marker = safe.drop { $0 == " " }.first
            let code: String? = safe.hasPrefix("@@") ? "36" : marker == "+" ? "32" : marker == "-" ? "31" : marker == "~" ? "33" : nil
            out += code.map { "\u{1b}[\($0)m\(safe)\u{1b}[0m\n" } ?? safe + "\n"
        }
        if text.hasSuffix("\n") { out.removeLast() }
        return out
    }

    static func inertKeepingTabs(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.isTerminalControl && $0 != "\t" }) else { return s }
        return s.split(separator: "\t", omittingEmptySubsequences: false).map { ShellQuote.inert(String($0)) }.joined(separator: "\t")
    }

    /// The context for `--json`: the stored document with each provider's output as text.
    public static func contextJSON(_ r: RequestRecord, blob: ([UInt8]) throws -> [UInt8]?) throws -> [(String, JSON)] {
        let providers: [JSON] = try (r.context["providers"]?.arrayValue ?? []).map { p in
            guard case .object(var fields) = p else { return p }
            if let d = p["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }), let bytes = try blob(d) {
                fields.append(("output", .string(String(decoding: bytes, as: UTF8.self))))
            }
            return .object(fields)
        }
        return [("ticket", .string(r.ticket)), ("environment", r.context["environment"] ?? .array([])), ("context", .array(providers))]
    }
}
