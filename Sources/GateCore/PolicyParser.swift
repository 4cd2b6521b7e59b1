import GateCrypto
import GateWire

/// Parses the policy text (grammar in man/gate-policy.5). Every error names its line; the first
/// error stops parsing, because a half-understood security policy is worse than none.
public enum PolicyParser {
    public static func parse(_ text: String) throws -> Policy {
        var policy = Policy()
        policy.digest = BLAKE2b.hash(Array(text.utf8))
        var keyOwners: [KeyID: String] = [:]
        var sawDefault = false

        // Split on bytes: in Swift "\r\n" is one Character, so splitting Characters on "\n"
        // would not split CRLF files at all.
        for (index, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let n = index + 1
            let bytes = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine[...]
            let line = String(decoding: bytes, as: UTF8.self)
            let words = try PolicyLexer.words(in: line, lineNumber: n)
            guard let first = words.first else { continue }
            let rest = Array(words.dropFirst())
            func fail(_ message: String) -> PolicyError { PolicyError(line: n, message: message) }

            switch first.text {
            case "version":
                guard rest.map(\.text) == ["1"] else { throw fail("unsupported policy version (this gate reads 'version 1')") }

            case "approver":
                let approver = try parseApprover(rest, line: n)
                guard policy.approver(named: approver.name) == nil else { throw fail("approver '\(approver.name)' is defined twice") }
                for key in approver.keys {
                    if let owner = keyOwners[key.id] {
                        throw fail(owner == approver.name
                            ? "key \(key.id) is listed twice for '\(owner)'"
                            : "key \(key.id) is listed for both '\(owner)' and '\(approver.name)' (a key belongs to one person)")
                    }
                    keyOwners[key.id] = approver.name
                }
                policy.approvers.append(approver)

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

            case "default":
                guard !sawDefault else { throw fail("'default' is given twice") }
                sawDefault = true
                let (action, leftover) = try parseAction(rest, line: n, policy: policy)
                guard leftover.isEmpty else { throw fail("unexpected '\(leftover[0].text)' after the default action") }
                policy.defaultAction = action
                policy.defaultLine = n

            case "allow", "deny", "require":
                let (action, leftover) = try parseAction(words, line: n, policy: policy)
                guard let sep = leftover.firstIndex(where: { $0.text == "--" && !$0.quoted }) else {
                    throw fail("expected '--' before the command pattern, e.g. '\(first.text) -- git status'")
                }
                if sep > 0 { throw fail("unknown rule option '\(leftover[0].text)'") }
                let pattern = Array(leftover[(sep + 1)...])
                guard let exe = pattern.first else { throw fail("missing command after '--'") }
                var args: [Policy.ArgPattern] = []
                for (i, w) in pattern.dropFirst().enumerated() {
                    if w.text == "..." && !w.quoted {
                        guard i == pattern.count - 2 else { throw fail("'...' may only end a pattern") }
                        args.append(.rest)
                    } else {
                        args.append(.glob(w.text))
                    }
                }
                if exe.text.contains("/") && !exe.text.hasPrefix("/") {
                    throw fail("executable '\(exe.text)' must be a bare name or an absolute path")
                }
                policy.rules.append(Policy.Rule(line: n, action: action, executable: exe.text, arguments: args))

            default:
                throw fail("unknown statement '\(first.text)' (expected approver, group, default, allow, deny or require)")
            }
        }
        return policy
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46 || c == 64
        }
    }

    static func parseApprover(_ words: [PolicyLexer.Word], line n: Int) throws -> Policy.Approver {
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
    static func parseAction(_ words: [PolicyLexer.Word], line n: Int, policy: Policy) throws -> (Policy.Action, [PolicyLexer.Word]) {
        guard let verb = words.first?.text else { throw PolicyError(line: n, message: "missing action (allow, deny or require)") }
        var rest = Array(words.dropFirst())
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
                if rest.first?.text == "of" {
                    rest.removeFirst()
                    guard var g = rest.first?.text else { throw PolicyError(line: n, message: "'of' needs a group name") }
                    rest.removeFirst()
                    var more = false
                    if g.hasSuffix(",") { g.removeLast(); more = true }
                    guard let members = policy.groups[g] else {
                        throw PolicyError(line: n, message: "unknown group '\(g)' (declare groups before rules)")
                    }
                    guard count <= members.count else {
                        throw PolicyError(line: n, message: "needs \(count) of '\(g)' but the group has \(members.count) member\(members.count == 1 ? "" : "s")")
                    }
                    group = g
                    if more { clauses.append(.init(count: count, group: group)); continue }
                } else if count > policy.approvers.count {
                    throw PolicyError(line: n, message: "needs \(count) approvals but only \(policy.approvers.count) approver\(policy.approvers.count == 1 ? " is" : "s are") declared")
                }
                clauses.append(.init(count: count, group: group))
                if rest.first?.text == "and" { rest.removeFirst(); continue }
                break
            }
            return (.require(clauses), rest)
        default:
            throw PolicyError(line: n, message: "unknown action '\(verb)' (expected allow, deny or require)")
        }
    }
}
