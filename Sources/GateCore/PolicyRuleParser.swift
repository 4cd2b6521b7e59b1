import GateCrypto
import GateWire

/// The parts of a policy line after its keyword: an approver's fields, a rule's action
/// (allow, deny, require M of GROUP) and a rule's options and conditions.
extension PolicyParser {
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
            } else if !keys.isEmpty, w.text == name || w.text.hasPrefix("#") {
                throw PolicyError(line: n, message: "approver '\(name)': unknown field '\(w.text)' after key= (an old .pub file holds the key and its name: paste only the gatepk1:… word)")
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
                    throw fail("unknown rule option '\(w)' (expected user=, agent=, env:NAME=, cwd=, digest=, reason, ticket, context=, bind=, bind-env=, keep-env=, ttl=, approval-ttl=, as= or break-glass)")
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
            case "as":
                // A user name as useradd allows it (or a uid): never a pattern, never empty.
                guard o.runAs == nil else { throw fail("as= is given twice") }
                guard isAccountName(value) else { throw fail("as= needs one user name (letters, digits, '_', '-', '.'; not starting with '-')") }
                o.runAs = value
            default:
                guard key.hasPrefix("env:"), key.utf8.count > 4 else {
                    if key.hasPrefix("env:") || key == "env" { throw fail("expected env:NAME=VALUE") }
                    throw fail("unknown rule option '\(w)' (expected user=, agent=, env:NAME=, cwd=, digest=, reason, ticket, context=, bind=, bind-env=, keep-env=, ttl=, approval-ttl=, as= or break-glass)")
                }
                c.environment.append((String(key.dropFirst(4)), value))
            }
        }
    }

    /// A unix account name: what useradd accepts, so that `as=` cannot name a pattern or a path.
    static func isAccountName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 32, bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
        }
    }
}
