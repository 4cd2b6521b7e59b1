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
        var keyOwners: [KeyID: String] = [:]
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
                if let other = policy.approvers.first(where: { $0.user == approver.user }) {
                    throw fail("user '\(approver.user)' is approver '\(other.name)' (line \(other.line)) and '\(approver.name)': one person is one approver (list both keys on one line)")
                }
                for key in approver.keys {
                    if let owner = keyOwners[key.id] {
                        throw fail(owner == approver.name
                            ? "key \(key.id) is listed twice for '\(owner)'"
                            : "key \(key.id) is listed for both '\(owner)' and '\(approver.name)' (a key belongs to one person)")
                    }
                    keyOwners[key.id] = approver.name
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
                    if let owner = keyOwners[key.id] {
                        throw fail("key \(key.id) is listed for both '\(owner)' and '\(name)' (a key belongs to one party)")
                    }
                    keyOwners[key.id] = name
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

    static func parseApprover(_ words: ArraySlice<Word>, line n: Int) throws -> Policy.Approver {
        guard let name = words.first?.text, isName(name) else {
            throw PolicyError(line: n, message: "expected 'approver NAME user=USER key=gatepk1:…'")
        }
        var user: String?
        var keys: [PublicKey] = []
        for w in words.dropFirst() {
            if w.text.hasPrefix("user=") {
                guard user == nil else { throw PolicyError(line: n, message: "approver '\(name)' has two user= fields") }
                let u = String(w.text.dropFirst(5))
                guard !u.isEmpty else { throw PolicyError(line: n, message: "approver '\(name)' has an empty user=") }
                user = u
            } else if w.text.hasPrefix("key=") {
                do { keys.append(try PublicKey(text: String(w.text.dropFirst(4)))) } catch let e as WireError {
                    throw PolicyError(line: n, message: "approver '\(name)': \(e.description)")
                }
            } else {
                throw PolicyError(line: n, message: "approver '\(name)': unknown field '\(w.text)' (expected user= or key=)")
            }
        }
        guard let user else { throw PolicyError(line: n, message: "approver '\(name)' needs user=UNIXUSER (who owns the key)") }
        guard !keys.isEmpty else { throw PolicyError(line: n, message: "approver '\(name)' needs at least one key=gatepk1:…") }
        return Policy.Approver(name: name, user: user, keys: keys, line: n)
    }

    /// Parses `allow`, `deny ["message"]` or `require N [of GROUP] [and N of GROUP]…`, returning
    /// what follows it.
    static func parseAction(_ words: ArraySlice<Word>, line n: Int, policy: Policy) throws -> (Policy.Action, ArraySlice<Word>) {
        guard let verb = words.first?.text else { throw PolicyError(line: n, message: "missing action (allow, deny or require)") }
        var rest = words.dropFirst()
        switch verb {
        case "allow":
            return (.allow, rest)
        case "deny":
            if let m = rest.first, m.quoted { rest.removeFirst(); return (.deny(message: m.text), rest) }
            return (.deny(message: nil), rest)
        case "require":
            var clauses: [Policy.Requirement] = []
            while true {
                guard let countWord = rest.first, let count = Int(countWord.text), count >= 1, count <= 100 else {
                    throw PolicyError(line: n, message: "'require' needs a number of approvals from 1 to 100")
                }
                rest.removeFirst()
                var group: String?
                var more = false
                if rest.first?.text == "of" {
                    rest.removeFirst()
                    guard var g = rest.first?.text else { throw PolicyError(line: n, message: "'of' needs a group name") }
                    rest.removeFirst()
                    if g.hasSuffix(",") { g.removeLast(); more = true }
                    guard let members = policy.groups[g] else {
                        throw PolicyError(line: n, message: "unknown group '\(g)' (declare groups before rules)")
                    }
                    guard count <= members.count else {
                        throw PolicyError(line: n, message: "needs \(count) of '\(g)' but the group has \(members.count) member\(members.count == 1 ? "" : "s")")
                    }
                    group = g
                } else if count > policy.approvers.count {
                    throw PolicyError(line: n, message: "needs \(count) approvals but only \(policy.approvers.count) approver\(policy.approvers.count == 1 ? " is" : "s are") declared")
                }
                clauses.append(.init(count: count, group: group))
                if more { continue }
                if rest.first?.text == "and" { rest.removeFirst(); continue }
                break
            }
            let people = clauses.reduce(0) { $0 + $1.count }
            let pool = clauses.count == 1 ? policy.eligibleApprovers(for: clauses[0]).count
                : Set(clauses.flatMap { policy.eligibleApprovers(for: $0) }).count
            guard people <= pool else {
                throw PolicyError(line: n, message: "needs \(people) distinct approvers but the groups named have only \(pool) people")
            }
            return (.require(clauses), rest)
        default:
            throw PolicyError(line: n, message: "unknown action '\(verb)' (expected allow, deny or require)")
        }
    }

    /// Rule options, between the action and `--`. Keys are compared as bytes: this runs for
    /// every rule of the policy on every command.
    static func parseRuleOptions(_ words: ArraySlice<Word>, line n: Int, into c: inout Policy.Conditions, _ o: inout Policy.Options) throws {
        func fail(_ m: String) -> PolicyError { PolicyError(line: n, message: m) }
        for word in words {
            var w = word.text
            // withUTF8 gives a contiguous buffer; searching the UTF8View generically was the
            // most expensive part of option parsing.
            guard let eqOffset = w.withUTF8({ $0.firstIndex(of: UInt8(ascii: "=")) }) else {
                switch w {
                case "reason": o.reasonRequired = true
                case "ticket": o.ticketRequired = true
                case "break-glass": o.breakGlass = true
                default:
                    if w.hasPrefix("env:") { throw fail("expected env:NAME=VALUE") }
                    throw fail("unknown rule option '\(w)' (expected user=, agent=, env:NAME=, cwd=, digest=, reason, ticket, context=, bind=, bind-env=, keep-env=, ttl=, approval-ttl= or break-glass)")
                }
                continue
            }
            let eq = w.utf8.index(w.utf8.startIndex, offsetBy: eqOffset)
            let key = String(w[..<eq])
            let value = String(w[w.utf8.index(after: eq)...])
            func duration() throws -> UInt64 {
                guard let d = GateDuration(parsing: value) else { throw fail("\(key)= needs a duration such as 15m, 1h or 7d, at most 366d") }
                return d.seconds
            }
            switch key {
            case "user":
                guard !value.isEmpty else { throw fail("user= needs a user name or pattern") }
                c.users.append(value)
            case "agent":
                guard c.agent == .any else { throw fail("agent= is given twice") }
                guard !value.isEmpty else { throw fail("agent= needs a label pattern, or 'none'") }
                c.agent = value == "none" ? .none : .matching(value)
            case "cwd":
                var v = value
                guard v.hasPrefix("/") else { throw fail("cwd= needs an absolute directory") }
                while v.utf8.count > 1 && v.hasSuffix("/") { v.removeLast() }
                c.cwdPrefixes.append(v)
            case "digest":
                guard value.hasPrefix("blake2b:"), let d = try? Hex.decode(value.dropFirst(8)), d.count == 32 else {
                    throw fail("digest= needs blake2b: and 64 hex digits (b2sum -l 256 FILE prints them)")
                }
                guard c.executableDigest == nil else { throw fail("digest= is given twice") }
                c.executableDigest = d
            case "context":
                guard !value.isEmpty else { throw fail("context= needs the name of a context provider") }
                o.contexts.append(value)
            case "bind":
                o.bindFiles.append(try parseBindTarget(value, line: n))
            case "bind-env":
                guard isVariableName(value) else { throw fail("bind-env= needs one variable name") }
                o.bindEnvironment.append(value)
            case "keep-env":
                for name in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                    let bare = name.hasSuffix("*") ? String(name.dropLast()) : name
                    guard isVariableName(bare) else {
                        throw fail("keep-env= needs variable names separated by commas ('\(name)' is not one; a trailing * matches a prefix)")
                    }
                    o.keepEnvironment.append(name)
                }
            case "ttl":
                o.requestTTL = try duration()
            case "approval-ttl":
                o.approvalTTL = try duration()
            default:
                guard key.hasPrefix("env:"), key.utf8.count > 4 else {
                    if key.hasPrefix("env:") || key == "env" { throw fail("expected env:NAME=VALUE") }
                    throw fail("unknown rule option '\(w)' (expected user=, agent=, env:NAME=, cwd=, digest=, reason, ticket, context=, bind=, bind-env=, keep-env=, ttl=, approval-ttl= or break-glass)")
                }
                c.environment.append((String(key.dropFirst(4)), value))
            }
        }
    }
}
