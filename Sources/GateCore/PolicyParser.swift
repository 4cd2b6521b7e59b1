import GateCrypto
import GateWire

/// Parses the policy text (grammar in man/gate-policy.5). Every error names its line; the first
/// error stops parsing, because a half-understood security policy is worse than none.
public enum PolicyParser {
    typealias Word = PolicyLexer.Word

    public static func parse(_ text: String) throws -> Policy {
        var policy = Policy()
        policy.digest = BLAKE2b.hash(Array(text.utf8))
        policy.text = text
        // Searched in order, not a Dictionary: a policy names a few keys, and the first use of a
        // [KeyID: String] cost every run a scan of the binary's conformances (issue 17).
        var keyOwners: [(id: KeyID, owner: String)] = []
        func owner(of id: KeyID) -> String? { keyOwners.first(where: { $0.id == id })?.owner }
        var sawDefault = false

        // Lines are split on bytes: in Swift "\r\n" is one Character, so splitting Characters
        // on "\n" would not split CRLF files at all. A contiguous byte array also keeps parsing
        // fast enough for the hot path (a 1,000-rule policy is read on every command).
        let all = Array(text.utf8)
        policy.rules.reserveCapacity(all.count / 40)
        var lineWords: [Word] = []
        lineWords.reserveCapacity(16)
        var lineStart = 0
        var n = 0
        while lineStart <= all.count {
            n += 1
            var lineEnd = lineStart
            while lineEnd < all.count && all[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var end = lineEnd
            if end > lineStart && all[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let bytes = all[lineStart..<end]
            lineWords.removeAll(keepingCapacity: true)
            try bytes.withUnsafeBufferPointer { try PolicyLexer.lex($0, lineNumber: n, into: &lineWords) }
            let words = lineWords[...]
            guard let first = words.first else { continue }
            let rest = words.dropFirst()
            func fail(_ message: String) -> PolicyError { PolicyError(line: n, message: message) }

            switch first.text {
            // Rules first: in a large policy nearly every line is one, and the cases are
            // tried in order.
            case "allow", "deny", "require":
                let (action, leftover) = try parseAction(words, line: n, policy: policy)
                guard let sep = leftover.firstIndex(where: { !$0.quoted && $0.text == "--" }) else {
                    throw fail("expected '--' before the command pattern, e.g. '\(first.text) -- git status'")
                }
                var rule = Policy.Rule(line: n, action: action, executable: "", arguments: [])
                if sep > leftover.startIndex {
                    try parseRuleOptions(leftover[..<sep], line: n, into: &rule.conditions, &rule.options)
                }
                let pattern = leftover[(sep + 1)...]
                guard let exe = pattern.first else { throw fail("missing command after '--'") }
                rule.arguments.reserveCapacity(pattern.count - 1)
                for i in pattern.indices.dropFirst() {
                    let w = pattern[i]
                    if !w.quoted && w.text == "..." {
                        guard i == pattern.endIndex - 1 else { throw fail("'...' may only end a pattern") }
                        rule.arguments.append(.rest)
                    } else {
                        rule.arguments.append(.glob(w.text))
                    }
                }
                var exeText = exe.text
                if exeText.withUTF8({ $0.first != UInt8(ascii: "/") && $0.contains(UInt8(ascii: "/")) }) {
                    throw fail("executable '\(exe.text)' must be a bare name or an absolute path")
                }
                rule.executable = exe.text
                if case .allow = action, rule.options.reasonRequired {
                    throw fail("'reason' has no effect on 'allow' (nobody reviews it); use require or drop it")
                }
                for name in rule.options.contexts where policy.contextProviders[name] == nil {
                    throw fail("context '\(name)' is not defined (define it with 'context \(name) -- …' above this line)")
                }
                policy.rules.append(rule)

            case "version":
                guard rest.map(\.text) == ["1"] else { throw fail("unsupported policy version (this gate reads 'version 1')") }

            case "approver":
                let approver = try parseApprover(rest, line: n)
                guard policy.approver(named: approver.name) == nil else { throw fail("approver '\(approver.name)' is defined twice") }
                // One person is one approver: two names for one user would let them count twice.
                if let other = policy.approvers.first(where: { TextSearch.sameBytes($0.user, approver.user) }) {
                    throw fail("user '\(approver.user)' is approver '\(other.name)' (line \(other.line)) and '\(approver.name)': one person is one approver (list both keys on one line)")
                }
                for key in approver.keys {
                    if let owner = owner(of: key.id) {
                        throw fail(owner == approver.name
                            ? "key \(key.id) is listed twice for '\(owner)'"
                            : "key \(key.id) is listed for both '\(owner)' and '\(approver.name)' (a key belongs to one person)")
                    }
                    keyOwners.append((key.id, approver.name))
                }
                policy.approvers.append(approver)

            case "requester":
                guard let name = rest.first?.text, isName(name) else { throw fail("expected 'requester NAME key=gatepk1:…'") }
                guard !policy.requesters.contains(where: { $0.name == name }) else { throw fail("requester '\(name)' is defined twice") }
                var keys: [PublicKey] = []
                for w in rest.dropFirst() {
                    guard w.text.hasPrefix("key=") else { throw fail("requester '\(name)': unknown field '\(w.text)' (expected key=)") }
                    do { keys.append(try PublicKey(text: String(w.text.dropFirst(4)))) } catch let e as WireError {
                        throw fail("requester '\(name)': \(e.description)")
                    }
                }
                guard !keys.isEmpty else { throw fail("requester '\(name)' needs at least one key=gatepk1:…") }
                for key in keys {
                    if let owner = owner(of: key.id) {
                        throw fail("key \(key.id) is listed for both '\(owner)' and '\(name)' (a key belongs to one party)")
                    }
                    keyOwners.append((key.id, name))
                }
                policy.requesters.append(Policy.Requester(name: name, keys: keys, line: n))

            case "group":
                guard let name = rest.first?.text, isName(name) else { throw fail("expected 'group NAME MEMBER…'") }
                guard policy.groups[name] == nil else { throw fail("group '\(name)' is defined twice") }
                let members = rest.dropFirst().map(\.text)
                guard !members.isEmpty else { throw fail("group '\(name)' has no members") }
                for m in members where policy.approver(named: m) == nil {
                    throw fail("group '\(name)': '\(m)' is not a declared approver (declare approvers before groups)")
                }
                guard Set(members).count == members.count else { throw fail("group '\(name)' lists a member twice") }
                policy.groups[name] = members
                policy.groupLines[name] = n

            case "context":
                let provider = try parseContextProvider(rest, line: n)
                guard policy.contextProviders[provider.name] == nil else { throw fail("context '\(provider.name)' is defined twice") }
                policy.contextProviders[provider.name] = provider

            case "env":
                guard !rest.isEmpty else { throw fail("expected 'env NAME…' (a trailing * matches a prefix)") }
                for w in rest {
                    let name = w.text.hasSuffix("*") ? String(w.text.dropLast()) : w.text
                    guard isVariableName(name) else {
                        throw fail("'\(w.text)' is not a variable name (letters, digits and _, optionally ending in *)")
                    }
                    policy.environmentAllowlist.append(w.text)
                    policy.environmentAllowlistLines.append(n)
                }

            case "trusted-path":
                guard policy.trustedPathLine == nil else { throw fail("'trusted-path' is given twice") }
                guard rest.count == 1 else { throw fail("expected 'trusted-path DIR:DIR:…' (absolute directories, as one word)") }
                var dirs: [String] = []
                for part in rest.first!.text.split(separator: ":", omittingEmptySubsequences: false) {
                    let dir = String(part)
                    guard dir.hasPrefix("/") else { throw fail("trusted-path: '\(dir)' is not an absolute directory") }
                    let parts = dir.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                    guard dir == "/" || !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                        throw fail("trusted-path: '\(dir)' is not canonical (no '.', '..', '//' or trailing '/')")
                    }
                    dirs.append(dir)
                }
                policy.trustedPath = dirs
                policy.trustedPathLine = n

            case "syslog":
                guard policy.syslogFacility == nil else { throw fail("'syslog' is given twice") }
                guard rest.count <= 1 else { throw fail("expected 'syslog' or 'syslog FACILITY'") }
                let name = rest.first?.text ?? "authpriv"
                guard let code = Self.syslogFacilities[name] else {
                    throw fail("unknown syslog facility '\(name)' (expected auth, authpriv, daemon, user or local0–local7)")
                }
                policy.syslogFacility = code

            case "default":
                guard !sawDefault else { throw fail("'default' is given twice") }
                sawDefault = true
                let (action, leftover) = try parseAction(rest, line: n, policy: policy)
                var conditions = Policy.Conditions(), options = Policy.Options()
                try parseRuleOptions(leftover, line: n, into: &conditions, &options)
                guard conditions.isEmpty else { throw fail("'default' cannot have conditions; write a rule instead") }
                policy.defaultAction = action
                policy.defaultOptions = options
                policy.defaultLine = n

            default:
                throw fail("unknown statement '\(first.text)' (expected approver, requester, group, context, env, trusted-path, default, syslog, allow, deny or require)")
            }
        }
        return policy
    }

    /// syslog(3) facility codes (<syslog.h>), by name.
    static let syslogFacilities: [String: Int] = {
        var f = ["user": 1, "daemon": 3, "auth": 4, "authpriv": 10]
        for n in 0...7 { f["local\(n)"] = 16 + n }
        return f
    }()

    static func isVariableName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46 || c == 64
        }
    }
}
