
/// The hot path, `gate [run] [--reason R] [--ticket T] [--timeout D] [--token T]… -- CMD…`, parsed by hand.
///
/// Why: argument-parser discovers a command's options through dynamic casts, and on Linux each
/// uncached protocol-conformance lookup scans every conformance record in the binary. That cost
/// about 2 ms of gate's start-up (callgrind: swift_conformsToProtocol was 40% of the instructions
/// of `gate --version`), more than the whole budget of a wrapper meant to be cheaper than sudo.
/// Anything this parser does not recognise exactly (help, a typo, another subcommand) returns nil
/// and goes to argument-parser, which then accepts or rejects it with its usual messages, so
/// the two paths cannot disagree on a command line both accept.
package enum FastRun {
    package static func parse(_ args: [String]) -> RunInvocation? {
        var i = 0
        if args.first == "run" { i = 1 }
        var inv = RunInvocation()
        while i < args.count {
            let a = args[i]
            if a == "--" {
                inv.command = Array(args[(i + 1)...])
                return inv.command.isEmpty ? nil : inv
            }
            var name = a
            var value: String?
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                name = String(a[..<eq])
                value = String(a[a.index(after: eq)...])
            }
            guard name == "--reason" || name == "--ticket" || name == "--timeout" || name == "--token" else { return nil }
            if value == nil {
                guard i + 1 < args.count, !args[i + 1].hasPrefix("-") else { return nil }
                value = args[i + 1]
                i += 1
            }
            switch name {
            case "--reason":
                guard inv.reason.isEmpty else { return nil }
                inv.reason = value!
            case "--ticket":
                guard inv.ticket.isEmpty else { return nil }
                inv.ticket = value!
            case "--timeout":
                guard inv.timeout == nil else { return nil }
                inv.timeout = value
            default:
                inv.tokens.append(value!)
            }
            i += 1
        }
        return nil
    }
}
