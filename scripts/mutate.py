#!/usr/bin/env python3
"""Mutation score of the checks gate promises (SPEC.md §2.2, §5, §6, §9): each mutation below
removes or weakens one check; the full suite must fail on every one of them.

    scripts/mutate.sh [--list] [NAME...]

Each mutation is applied alone to a scratch copy of the work tree (/tmp/gate-mutate, kept between
runs so that only the first build compiles the NIO stack), judged by `swift build --build-tests`
and the full `swift test`, and reverted. A mutation that does not compile is reported as such
(it says nothing). Prints killed/survived per mutation and exits 1 if any survived. Not part of
CI: it is dozens of builds. Run it before resolving an issue that touches a guarantee, and add
a mutation for every guarantee added.
"""
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.environ.get("GATE_MUTATE_DIR", "/tmp/gate-mutate")

# (name, file, [(original, mutated), ...]): every original must occur exactly once. An edit may
# name its own file as (file, original, mutated), for a check that lives in two places.
MUTATIONS = [
    # SPEC §5: the token check.
    ("issued-in-future skew 300 s → 3000 s", "Sources/GateCore/ApprovalCheck.swift",
     [("public static let allowedSkew: UInt64 = 300", "public static let allowedSkew: UInt64 = 3000")]),
    ("untrusted key accepted (key id not looked up)", "Sources/GateCore/ApprovalCheck.swift",
     [("guard let (approver, key) = policy.approver(forKey: p.keyID) else { return .failure(.untrustedKey(p.keyID)) }",
       "guard let (approver, key) = policy.approver(forKey: p.keyID) ?? policy.approvers.first.map({ ($0, $0.keys[0]) }) else { return .failure(.untrustedKey(p.keyID)) }")]),
    ("signature not checked", "Sources/GateCore/ApprovalCheck.swift",
     [("guard key.key.isValidSignature(token.signature, for: token.payloadBytes) else",
       "guard key.key.isValidSignature(token.signature, for: token.payloadBytes) || true else")]),
    ("token for another request accepted", "Sources/GateCore/ApprovalCheck.swift",
     [("if let requestID, p.requestID != requestID {", "if let requestID, p.requestID != requestID, false {")]),
    ("intent digest not compared", "Sources/GateCore/ApprovalCheck.swift",
     [("guard p.intentDigest == intentDigest.bytes else {", "guard p.intentDigest == intentDigest.bytes || true else {")]),
    ("expired token accepted for a day", "Sources/GateCore/ApprovalCheck.swift",
     [("guard now < p.expiresAt else", "guard now < p.expiresAt + 86400 else")]),
    ("self-approval accepted", "Sources/GateCore/ApprovalCheck.swift",
     [("guard !TextSearch.sameBytes(approver.user, requesterUser) else", "guard !TextSearch.sameBytes(approver.user, requesterUser) || true else")]),
    ("approval-ttl not enforced", "Sources/GateCore/ApprovalCheck.swift",
     [("if let max = approvalTTL, p.expiresAt > p.issuedAt,", "if let max = approvalTTL, false, p.expiresAt > p.issuedAt,")]),
    ("a denial does not deny", "Sources/GateCore/ApprovalCheck.swift",
     [("if d.token.payload.decision == .deny { return .denied(d) }", "if d.token.payload.decision == .deny, false { return .denied(d) }")]),
    ("distinct approvers keyed by key id, not by person", "Sources/GateCore/ApprovalCheck.swift",
     [("if !approvals.contains(where: { $0.approver == d.approver }) { approvals.append(d) }",
       "if !approvals.contains(where: { $0.token.payload.keyID == d.token.payload.keyID }) { approvals.append(d) }")]),
    ("one person may fill two places", "Sources/GateCore/ApprovalCheck.swift",
     [("if missing.isEmpty && !Self.assignable(", "if false && !Self.assignable(")]),
    ("4096-character token bound removed", "Sources/GateWire/Token.swift",
     [('guard text.utf8.count <= 4096 || text.count <= 4096 else { throw WireError("token is too long") }', "")]),
    ("executable and bound files not re-hashed before exec", "Sources/GateFlows/Capture/IntentCapture.swift",
     [("if digest != approved.executableDigest {", "if digest != approved.executableDigest, false {"),
      ('if d != f.digest { return "bound file', 'if d != f.digest, false { return "bound file')]),
    ("used-token mark in its own transaction after started", "Sources/GateFlows/Run/Launcher.swift",
     [("                try store.markUsed(approvals.map { TokenSigning.useID(of: $0.token) }, request: request)\n", ""),
      ("        let began = System.monotonicNanos()\n",
       "        do { try s.store.write { try s.store.markUsed(launch.approvals.map { TokenSigning.useID(of: $0.token) }, request: launch.request) } } catch {\n"
       "            throw s.refuse(.denied(\"token was already used: each approval runs its command once\"), code: .replayed, about: launch.refused)\n"
       "        }\n        let began = System.monotonicNanos()\n")]),
    ("used-token mark in its own transaction before started", "Sources/GateFlows/Run/Launcher.swift",
     [("                try store.markUsed(approvals.map { TokenSigning.useID(of: $0.token) }, request: request)\n", ""),
      ("        do {\n            try store.write {\n                // The policy the approvals",
       "        do {\n            try store.write { try store.markUsed(approvals.map { TokenSigning.useID(of: $0.token) }, request: request) }\n"
       "            try store.write {\n                // The policy the approvals")]),
    ("any constraint error read as a replay", "Sources/GateStore/Requests/Requests.swift",
     [("catch let e as SQLiteError where e.isDuplicateKey {", "catch let e as SQLiteError where e.kind == .constraint {")]),
    # Tokens are good only for their standing request (issue 11).
    ("tokens of different requests combine", "Sources/GateFlows/Run/GivenTokens.swift",
     [("guard named.count == 1, let id = RequestID(tokens[0].payload.requestID) else {",
       "guard let id = RequestID(tokens[0].payload.requestID) else {")]),
    ("a request that no longer stands still runs", "Sources/GateFlows/Run/GivenTokens.swift",
     [("        try requireStanding(record)\n", ""),
      ("Sources/GateFlows/Run/Launcher.swift", "                        try GivenTokens.requireStanding(id, status: standing.status, expiresMicros: standing.expiresMicros)\n", "")]),
    # What runs is what the policy says (issue 11, SPEC §2.2).
    ("patterns see the spelled path, not the canonical one", "Sources/GateFlows/Capture/ExecutableResolver.swift",
     [("        var current = spelled\n", "        if !spelled.isEmpty { return Resolved(path: spelled, trustedAliases: [spelled]) }\n        var current = spelled\n")]),
    ("'*' in an executable pattern crosses '/'", "Sources/GateCore/PolicyEvaluation.swift",
     [("(named(path) && Glob.matches(self.executable, path, pathname: true))", "(named(path) && Glob.matches(self.executable, path, pathname: false))")]),
    ("bare names match outside trusted directories", "Sources/GateFlows/Capture/ExecutableResolver.swift",
     [("if trusted.contains(dir), !aliases.contains(where: { $0.utf8.elementsEqual(here.utf8) }) {",
       "if !aliases.contains(where: { $0.utf8.elementsEqual(here.utf8) }) {")]),
    ("a directory others can write counts as root-controlled", "Sources/GateSystem/FileSafety.swift",
     [("            if st.st_mode & S_IFMT != S_IFLNK, st.st_mode & 0o022 != 0 && (i == end || st.st_mode & 0o1000 == 0) { return false }\n", "")]),
    ("the child inherits gate's whole environment", "Sources/GateFlows/Run/Launcher.swift",
     [("environment: launch.environment.map { $0.name + \"=\" + $0.value }, previousMask: oldMask",
       "environment: Spawner.environmentVariables().map { $0.name + \"=\" + $0.value }, previousMask: oldMask")]),
    ("injection variables pass through patterns and env", "Sources/GateCore/EnvironmentReset.swift",
     [("        if dangerousPatterns.matches(name) { return false }\n", "")]),
    ("the kept environment is not bound into the intent", "Sources/GateFlows/Capture/ContextCapture.swift",
     [("        let variables = try boundEnvironment(child, options: options, home: home)\n",
       "        let variables = try boundEnvironment([], options: options, home: home)\n")]),
    ("#! interpreters not bound", "Sources/GateFlows/Capture/ContextCapture.swift",
     [("for step in interpreters where !files.contains(where: { $0.path.utf8.elementsEqual(step.path.utf8) }) {",
       "for step in interpreters.prefix(0) where !files.contains(where: { $0.path.utf8.elementsEqual(step.path.utf8) }) {")]),
    ("ELF binaries run by path, not from the hashed descriptor", "Sources/GateSystem/OpenExecutable.swift",
     [("        guard isELF else { return path }\n", "        if isELF || !isELF { return path }\n")]),
    ("a script is not re-hashed by path", "Sources/GateFlows/Capture/IntentCapture.swift",
     [("if !file.isELF, (try? Files.digest(approved.executable)) != approved.executableDigest {",
       "if !file.isELF, false, (try? Files.digest(approved.executable)) != approved.executableDigest {")]),
    ("an allow matches under any alias, not the called name", "Sources/GateCore/PolicyEvaluation.swift",
     [("let called: Substring? = action == .allow ? Policy.fileName(of: argv.first ?? \"\") : nil",
       "let called: Substring? = nil")]),
    ("pattern directories resolved through links anyone made", "Sources/GateStore/Policy/PolicyLoader.swift",
     [("policy.resolvePatternDirectories { FileSafety.isRootControlled($0) ? Paths.real($0) : nil }",
       "policy.resolvePatternDirectories { Paths.real($0) }")]),
    ("untrusted trusted-path entries kept on the command's PATH", "Sources/GateStore/Policy/PolicyLoader.swift",
     [("            policy.trustedPath = policy.trustedPath.filter { FileSafety.isRootControlled($0) }\n", "")]),
    ("#! lines split on CR and read through invalid UTF-8", "Sources/GateFlows/Capture/Interpreters.swift",
     [("guard !line.contains(0), !line.contains(0x0d), let text = String(validating: line, as: UTF8.self) else {",
       "guard let text = Optional(String(decoding: line, as: UTF8.self)) else {")]),
    ("launchers on #! lines followed as interpreters", "Sources/GateFlows/Capture/Interpreters.swift",
     [("                if launchers.contains(name) {", "                if launchers.contains(name), false {")]),
    ("env -S assignments followed", "Sources/GateFlows/Capture/Interpreters.swift",
     [('!name.contains(where: { "=\\"\'\\\\$`-".contains($0) })', "true")]),
    ("the ELF loader is not bound", "Sources/GateFlows/Capture/Interpreters.swift",
     [("                if let loader { out.append(Step(path: loader, digest: try hash(loader, of: current, digest))) }\n", "")]),
    ("an interrupt before the start leaves the request standing", "Sources/GateFlows/Run/Launcher.swift",
     [("                    try s.store.setStatus(id, .cancelled)\n", "")]),
    ("gate runs inside a user namespace", "Sources/GateFlows/Run/Decide.swift",
     [("        case false?:\n            throw s.refuse(.denied(\"gate does not run commands inside a user namespace", "        case false?:\n            if false { throw s.refuse(.denied(\"gate does not run commands inside a user namespace"),
      ("hint: \"run gate outside unshare/rootless containers\"), code: .userNamespace)\n", "hint: \"run gate outside unshare/rootless containers\"), code: .userNamespace) }\n")]),
    ("an allowed program may be called from the requester's directory", "Sources/GateFlows/Run/Decide.swift",
     [("if dir.utf8.elementsEqual(Paths.parent(of: canonical).utf8) || FileSafety.isRootControlled(dir) { return nil }", "return nil")]),
    ("the program's own directory compared as Swift Strings", "Sources/GateFlows/Run/Decide.swift",
     [("if dir.utf8.elementsEqual(Paths.parent(of: canonical).utf8) ||", "if dir == Paths.parent(of: canonical) ||")]),
    ("files a #! argument names are not bound", "Sources/GateFlows/Capture/Interpreters.swift",
     [("guard let info = Files.info(named), info.isRegular, !out.contains(where: { $0.path.utf8.elementsEqual(named.utf8) }) else { continue }",
       "guard let info = Files.info(named), info.isRegular, !out.contains(where: { $0.path.utf8.elementsEqual(named.utf8) }), false else { continue }")]),
    ("#! lines longer than the kernel reads are followed", "Sources/GateFlows/Capture/Interpreters.swift",
     [("&& n == firstLineLimit && !buf.contains(0x0a) {", "&& n == firstLineLimit && !buf.contains(0x0a) && false {")]),
    ("the ELF header read by its ident bytes, not e_machine", "Sources/GateFlows/Capture/Interpreters.swift",
     [("        case 62, 183: is64 = true\n", "        case 62, 183: is64 = h[4] == 2\n")]),
    ("env -S with several words followed", "Sources/GateFlows/Capture/Interpreters.swift",
     [("guard words.count == 1, let name = words.first, !name.isEmpty,", "guard let name = words.first, !name.isEmpty,")]),
    # Configuration safety.
    ("policy writable by others accepted (mask 0o022 → 0o020)", "Sources/GateSystem/FileSafety.swift",
     [("if info.mode & 0o022 != 0 && !sticky {", "if info.mode & 0o020 != 0 && !sticky {")]),
    ("KEY dropped from the secret-name words", "Sources/GateCore/Redaction.swift",
     [('"PASS", "KEY", "CREDENTIAL"', '"PASS", "CREDENTIAL"')]),
    # SPEC §6: the ledger.
    ("edited ledger entry not detected", "Sources/GateCore/LedgerChain.swift",
     [("guard computed() == storedHash else { return .edited(seq: seq) }", "")]),
    ("broken hash link not detected", "Sources/GateCore/LedgerChain.swift",
     [("guard prevHash == head else { return .brokenLink(seq: seq) }", "")]),
    ("checkpoint head not compared", "Sources/GateCore/LedgerAudit.swift",
     [("guard checkpoint.body.head == chain.head else {", "guard checkpoint.body.head == chain.head || true else {")]),
    # SPEC §9: the server's statements.
    ("statement signature not checked", "Sources/GateCore/StatementSigning.swift",
     [("guard key.key.isValidSignature(s.signature, for: s.payloadBytes) else", "guard key.key.isValidSignature(s.signature, for: s.payloadBytes) || true else")]),
    ("statement body digest not compared", "Sources/GateCore/StatementSigning.swift",
     [("guard constantTimeEquals(s.payload.bodyDigest, expected) else", "guard constantTimeEquals(s.payload.bodyDigest, expected) || true else")]),
    ("stale statements accepted", "Sources/GateCore/StatementSigning.swift",
     [("guard s.payload.issuedAt + skew >= now, s.payload.issuedAt <= now + skew else", "guard true else")]),
    ("server does not compare the statement's intent with the body's", "Sources/GateServer/Broker/BrokerWrites.swift",
     [("guard digest.bytes == statement.payload.intentDigest else {", "guard digest.bytes == statement.payload.intentDigest || true else {")]),
    # Robustness (issue 13).
    ("a policy changed while the request waited is ignored", "Sources/GateFlows/Run/Launcher.swift",
     [("if !launch.approvedAtCapture { try policyInForce(launch, in: s) }", "if !launch.approvedAtCapture { }")]),
    ("the HTTP client takes a chunk without its CRLF", "Sources/GateClient/PlainHTTP.swift",
     [("guard size <= data.count - i, data.count - i - size >= 2, data[i + size] == 13, data[i + size + 1] == 10 else {",
       "guard size <= data.count - i else {")]),
    ("a key file is written in place (a full disk leaves it empty)", "Sources/GateSystem/Files.swift",
     [("        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)\n",
       "        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)\n"),
      ("        try linkIntoPlace(temp, at: path)\n", "")]),
    ("a run whose end was not recorded exits with the child's status", "Sources/GateFlows/Run/Launcher.swift",
     [("            return ExitCode.ioError.rawValue\n", "")]),
    ("audit verify passes with a damaged ledger key", "Sources/GateStore/Ledger/Checkpoints.swift",
     [("        case .unusable(let why): return why\n", "        case .unusable: return nil\n")]),
    ("a dead run's pid alone decides (a reused pid keeps it running)", "Sources/GateSystem/ProcessIdentity.swift",
     [("        if kill(pid, 0) != 0 && errno == ESRCH { return true }\n", "        return kill(pid, 0) != 0 && errno == ESRCH\n")]),
    ("gate-server keeps idle connections open", "Sources/GateServer/ServerApp.swift",
     [("""            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits)],
                                                idleTimeout: .seconds(configuration.idleTimeoutSeconds))),""",
       """            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits)])),"""),
      ("Sources/GateServer/ConnectionGuard.swift", """            peak = limits.peak.load(ordering: .relaxed)
        }
        arm(context, seconds: limits.headSeconds)""", """            peak = limits.peak.load(ordering: .relaxed)
        }""")]),
    ("a cut request list does not say so", "Sources/GateStore/Requests/Requests.swift",
     [('            let s = try db.prepare("SELECT count(*) FROM requests" + (statuses.isEmpty ? "" : " WHERE status IN (\\(marks))"))',
       '            let s = try db.prepare("SELECT min(count(*), 200) FROM requests" + (statuses.isEmpty ? "" : " WHERE status IN (\\(marks))"))')]),
    # SPEC as an auditor reads it (issue 20): gate's side, then the second verifier's.
    ("evidence written for a request that never ran", "Sources/GateStore/Audit/Evidence.swift",
     [("guard starts == 1 else {", "guard starts == 1 || starts == 0 else {")]),
    ("a start recorded at a second its approval had expired by", "Sources/GateFlows/Run/Launcher.swift",
     [("if second >= p.expiresAt {", "if second > p.expiresAt {")]),
    ("bound files deduplicated as Unicode text, not bytes", "Sources/GateFlows/Capture/ContextCapture.swift",
     [("guard !files.contains(where: { $0.path.utf8.elementsEqual(path.utf8) }) else { continue }",
       "guard !files.contains(where: { $0.path == path }) else { continue }")]),
    ("machine-readable request ids in the display form", "Sources/GateViews/Views.swift",
     [('("id", .string(r.id.compact)),', '("id", .string(r.id.description)),')]),
    ("the verifier trusts fields outside the hash", "tools/gate_verify.py",
     [("        check_outside_the_hash(e)\n", "")]),
    ("the verifier ignores the export's header", "tools/gate_verify.py",
     [("        header = objects.pop(0)\n", "        header = objects.pop(0)\n        return verify_entries(objects, on_entry) + (header,)\n")]),
    ("the verifier does not re-check recorded statements", "tools/gate_verify.py",
     [("        check_recorded_statement(e)\n", "")]),
    # Issue 13, item 6: a chain that lost its WAL.
    ("appends go on after the chain fell short of its head", "Sources/GateStore/Ledger/LedgerHead.swift",
     [("        guard size <= count else {", "        guard size <= count || true else {")]),
    ("verify ignores the head file", "Sources/GateCLI/LedgerCommands.swift",
     [("            external.append(head)\n", "")]),
    ("the head moves backwards", "Sources/GateStore/Ledger/LedgerHead.swift",
     [("held.ledgerID == checkpoint.body.ledgerID, held.size >= checkpoint.body.size,",
       "held.ledgerID == checkpoint.body.ledgerID, held.size >= checkpoint.body.size, false,")]),
    ("the WAL folded only at SQLite's default 1000 pages", "Sources/GateStore/Store.swift",
     [("public static let walPages = 32", "public static let walPages = 1000")]),
    # Issue 13, items 7, 10, 11 and the fault suite.
    ("a start with no end is not listed", "Sources/GateStore/Ledger/LoneStarts.swift",
     [("            open[request()] = seq\n", "")]),
    ("the verify halves' open starts not merged", "Sources/GateStore/Ledger/LoneStarts.swift",
     [("            for r in p.endsOfEarlier { open.removeValue(forKey: r) }\n", "")]),
    ("a request body has no deadline", "Sources/GateServer/ConnectionGuard.swift",
     [("        case .head: arm(context, seconds: limits.bodySeconds)", "        case .head: disarm()")]),
    ("no connection cap", "Sources/GateServer/ConnectionGuard.swift",
     [("        if now > limits.maxConnections {", "        if now > limits.maxConnections, false {")]),
    ("a chunked body is read", "Sources/GateServer/ServerApp.swift",
     [("""        guard let lengthText = request.headers[.contentLength] else {
            throw Broker.Refusal(status: 411, code: .badRequest, message: "a request body needs a Content-Length (chunked bodies are not accepted)")
        }
        guard let length = Int(lengthText), length >= 0 else {""", """        let lengthText = request.headers[.contentLength] ?? "0"
        guard let length = Int(lengthText), length >= 0 else {""")]),
    ("list pages by time alone", "Sources/GateStore/Requests/Requests.swift",
     [("WHERE (created_us, id) < (?, ?) ORDER BY created_us DESC, id DESC LIMIT ?", "WHERE created_us < ? OR ? = '' ORDER BY created_us DESC, id DESC LIMIT ?")]),
    ("a full disk is an internal error", "Sources/GateSQLite/Database.swift",
     [("        case SQLITE_FULL: return .full\n", "")]),
    ("undescribed methods are 404", "Sources/GateServer/ServerApp.swift",
     [("                if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {", "                if !allowed.isEmpty, !allowed.contains(request.method.rawValue), false {")]),
    # Issue 18: the server under attack.
    ("a larger checkpoint copy need not extend the one held", "Sources/GateServer/Broker/BrokerCheckpoints.swift",
     [("            if let problem = CheckpointExtension.problem(", "            if false, let problem = CheckpointExtension.problem(")]),
    ("the extension's last head is not compared", "Sources/GateCore/CheckpointExtension.swift",
     [("        guard chain.head == head else { return .otherHead(size: size) }\n", "")]),
    ("another requester may send a held ledger's copies", "Sources/GateServer/Broker/BrokerCheckpoints.swift",
     [("        if let holder = newest?[\"from\"]?.stringValue, holder != requester.name {", "        if let holder = newest?[\"from\"]?.stringValue, holder != requester.name, false {")]),
    ("unattributable refusals are ledgered", "Sources/GateServer/Broker/Broker.swift",
     [("    func refuse(_ status: Int, _ code: RefusalCode, _ message: String, request: String = \"\", actor: String?) -> Refusal {\n        if let actor {",
       "    func refuse(_ status: Int, _ code: RefusalCode, _ message: String, request: String = \"\", actor: String?) -> Refusal {\n        if let actor = actor ?? \"server\" as String? {")]),
    ("a stranger's large body is read", "Sources/GateServer/ServerApp.swift",
     [("            return (try await collect(request, upTo: announced == nil ? maxSmallBody : maxCreateBody), announced, held)",
       "            return (try await collect(request, upTo: maxCreateBody), announced, held)")]),
    ("large bodies admitted beyond the budget", "Sources/GateServer/BodyBudget.swift",
     [("            guard s.used + bytes <= limits.total, mine + bytes <= limits.perRequester else { return false }",
       "            guard true else { return false }")]),
    ("no cap on pending requests", "Sources/GateServer/Broker/BrokerWrites.swift",
     [("        guard pending < maxPendingPerRequester else {", "        guard pending < maxPendingPerRequester || true else {")]),
    ("the pending list oldest first", "Sources/GateServer/Broker/Broker.swift",
     [("        var rs = try store.requests(status: statuses, after: cursor, newestFirst: true)", "        var rs = try store.requests(status: statuses, after: cursor, newestFirst: all)")]),
    ("no context quota", "Sources/GateServer/Broker/BrokerWrites.swift",
     [("        guard used + adding <= contextLimits.quotaBytes else {", "        guard used + adding <= contextLimits.quotaBytes || true else {")]),
    ("context outputs never expire", "Sources/GateServer/Broker/BrokerWrites.swift",
     [("        try store.expireContext(endedBefore: now - contextLimits.retentionSeconds * 1_000_000)\n", "")]),
    ("Slack's notification line unescaped", "Sources/GateViews/WebhookPayloads.swift",
     [('("text", .string("gate: \\(mrkdwn(f.who)) requests approval for \\(mrkdwn(f.what)) (\\(r.id.compact))")),',
       '("text", .string("gate: \\(f.who) requests approval for \\(f.what) (\\(r.id.compact))")),')]),
    ("webhook redirects followed", "Sources/GateServer/Webhooks.swift",
     [("configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))", "configuration: HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false)))")]),
    ("the webhook signature leaves out the event", "Sources/GateCore/WebhookSignature.swift",
     [('Array("\\(time).\\(event).\\(delivery).".utf8)', 'Array("\\(time).\\(delivery).".utf8)')]),
    ("bound file contents not sent", "Sources/GateFlows/Capture/ContextCapture.swift",
     [("            if !blobs.contains(where: { $0.digest == f.digest }) { blobs.append((f.digest, bytes)) }\n", "")]),
    ("the verifier ignores copy extension", "tools/gate_verify.py",
     [("        check_copy_extension(e, copies)\n", "")]),
    # The attack round on issues 13 and 18.
    ("a statement may be used again", "Sources/GateServer/Broker/Broker.swift",
     [("        guard seenStatements[key].map({ $0 <= now }) ?? true else {", "        guard true else {")]),
    ("a made-up head file is enforced", "Sources/GateStore/Ledger/LedgerHead.swift",
     [("        guard try isGenuineHead(bytes) else {", "        guard try isGenuineHead(bytes) || true else {")]),
    ("a copy's body may hold any field", "Sources/GateServer/Broker/BrokerCheckpoints.swift",
     [('fields.allSatisfy({ ["checkpoint", "ledger_key", "entries"].contains($0.0) })', "fields.allSatisfy({ _ in true })")]),
    ("a first copy may carry entries", "Sources/GateServer/Broker/BrokerCheckpoints.swift",
     [("            guard sentEntries.isEmpty else {", "            guard true else {")]),
    # Issue 12: ephemeral privilege, recorded policies, bound context.
    ("as= runs as the requester without the daemon", "Sources/GateFlows/Run/RunAs.swift",
     [("            guard let name = options.runAs else { return nil }", "            guard let name = options.runAs, false else { return nil }")]),
    ("the daemon ignores as= (runs as the requester)", "Sources/GateFlows/Run/RunAs.swift",
     [("        if let name = options.runAs {", "        if let name = options.runAs, false {")]),
    ("the daemon counts a key from any unix user", "Sources/GateFlows/Decide/DaemonDecision.swift",
     [("        guard approver.user == peer.user else {", "        guard true else {")]),
    ("the worker keeps the requester's GATE_ variables", "Sources/GateDaemon/DaemonWorker.swift",
     [('            if name.hasPrefix("GATE_") && name != "GATE_AGENT" { continue }', "")]),
    ("the requester is the process's uid, not the peer's", "Sources/GateSystem/System.swift",
     [("    public static var uid: UInt32 { DaemonWorkerMode.requester?.uid ?? getuid() }", "    public static var uid: UInt32 { getuid() }")]),
    ("signals reach the daemon's command only, not its group", "Sources/GateSystem/Spawner.swift",
     [("        forwardToGroup = credentials != nil", "        forwardToGroup = false")]),
    ("the command keeps the account variables of the requester", "Sources/GateFlows/Run/RunAs.swift",
     [("        guard let target, target.uid != requester?.uid else { return child }", "        guard let target, target.uid != requester?.uid, false else { return child }")]),
    ("verify takes any approval key", "Sources/GateCore/ApprovalAudit.swift",
     [('            guard let (approver, key) = policy.approver(forKey: p.keyID) else {', '            guard let (approver, key) = policy.approver(forKey: p.keyID) ?? policy.approvers.first.map({ ($0, $0.keys[0]) }) else {')]),
    ("verify accepts a start under a policy never recorded", "Sources/GateCore/ApprovalAudit.swift",
     [("            if !sawPolicy { unchecked += 1; return }", "            unchecked += 1; return")]),
    ("the Python verifier skips recorded approvals", "tools/gate_verify.py",
     [("        check_recorded_approvals(e, state)\n", "")]),
    ("evidence keys from the bundle again", "tools/gate_verify.py",
     [('            raise Rejected("approver_keys lists key %s, which the run\'s policy does not name" % kid.hex().upper())',
       '            keys[kid.hex().upper()] = (k["name"], k["key"])')]),
    ("context outputs not bound into the intent", "Sources/GateFlows/Run/ObtainApproval.swift",
     [("        launch.intent.shown = described.shown\n", "")]),
    ("show and approve trust the stored context", "Sources/GateStore/Requests/ContextRetention.swift",
     [("        if let why = ContextBinding.problem(intent: r.intent, context: r.context) { return", "        if let why = ContextBinding.problem(intent: r.intent, context: r.context), false { return")]),
    # The daemon attack round (issue 12).
    ("bound files hashed and shown as root", "Sources/GateFlows/Capture/ContextCapture.swift",
     [("let (files, interpreters) = try DaemonWorkerMode.asRequester {\n            try boundFiles(",
       "let (files, interpreters) = try ({\n            try boundFiles("),
      ("interpreterDigest: interpreterDigest)\n        }\n", "interpreterDigest: interpreterDigest)\n        })()\n"),
      ("            guard let bytes = try? DaemonWorkerMode.asRequester({ try Files.read(f.path, limit: Self.boundContentLimit) }),",
       "            guard let bytes = try? Files.read(f.path, limit: Self.boundContentLimit),")]),
    ("context providers run as root", "Sources/GateFlows/Capture/ProviderRunner.swift",
     [("        if let requester = DaemonWorkerMode.requester {", "        if let requester = DaemonWorkerMode.requester.flatMap({ _ in Credentials.lookup(uid: 0) }) {")]),
    ("a handed-in token counts through the daemon", "Sources/GateFlows/Run/GivenTokens.swift",
     [("        if DaemonWorkerMode.active, let stray = tokens.first(where:", "        if false, let stray = tokens.first(where:")]),
    ("workers of hung-up clients are not counted", "Sources/GateDaemon/DaemonServer.swift",
     [("+ orphans.filter { $0.uid == who.uid }.count", "+ 0")]),
    ("the daemon's descriptors reach commands", "Sources/GateDaemon/DaemonServer.swift",
     [("        ProcessControl.closeOnExec(from: 3)\n", ""),
      ("Sources/CGateSpawn/spawn.c", "        gate_cloexec_from(3);\n", "")]),
    ("TMPDIR and path locales cross users", "Sources/GateFlows/Run/RunAs.swift",
     [('        if ["TMPDIR", "TMP", "TEMP"].contains(v.name) { return true }', '        if ["TMPDIR", "TMP", "TEMP"].contains(v.name) { return false }'),
      ('        return EnvironmentReset.pointsLocaleAtAFile(name: v.name, value: Substring(v.value))',
       '        return false && EnvironmentReset.pointsLocaleAtAFile(name: v.name, value: Substring(v.value))')]),
    ("everyone sees every request through the daemon", "Sources/GateCLI/DaemonCommand.swift",
     [("            if !approver { DaemonWorkerMode.onlyRequestsOf = DaemonWorkerMode.requester?.user }\n", "")]),
    ("the working directory is entered as root", "Sources/GateDaemon/DaemonWorker.swift",
     [("            let rc = ProcessControl.enterDirectory(passed[3], as: peer)", "            let rc = fchdir(passed[3]) == 0 ? Int32(0) : errno")]),
    # The daemon's second attack round (issue 12).
    ("the default keep list crosses to another user", "Sources/GateFlows/Run/RunAs.swift",
     [("                && (Self.crossUserKeep.contains(v.name) || v.name.hasPrefix(\"LC_\")", "                && (true || v.name.hasPrefix(\"LC_\")")]),
    ("a bound file the requester can change is bound for another user", "Sources/GateFlows/Run/Decide.swift",
     [("        try crossUserFiles(launch, in: s)\n", "")]),
    ("any argv through the daemon", "Sources/GateCLI/DaemonCommand.swift",
     [("        guard inv.command.count <= 4096, inv.command.reduce(0, { $0 + $1.utf8.count }) <= 256 << 10 else {", "        guard true else {")]),
    ("a request row edited after filing is shown", "Sources/GateStore/Requests/ContextRetention.swift",
     [("        if let recorded, recorded != r.digest.hex {", "        if let recorded, recorded != r.digest.hex, false {")]),
    # Issue 15: what approve checks before it signs, and what a token runs under.
    ("approve signs a plan that changed since the request", "Sources/GateFlows/Capture/IntentCapture.swift",
     [('if d != f.digest { return "the plan changed since the request', 'if d != f.digest, false { return "the plan changed since the request')]),
    ("approve signs a swapped executable", "Sources/GateFlows/Capture/IntentCapture.swift",
     [('if d != intent.executableDigest { return "the executable \\(intent.executable) changed since the request" }', '')]),
    ("a second approval by the same person passes as approved", "Sources/GateFlows/Decide/DecideFlow.swift",
     [("if progress.approvers.contains(approver.name) {", "if progress.approvers.contains(approver.name), false {")]),
    ("a token runs under another ticket or reason", "Sources/GateFlows/Run/GivenTokens.swift",
     [("where !given.isEmpty && given != filed {", "where !given.isEmpty && given != filed && false {")]),
    ("a run refused after approval leaves its request approvable", "Sources/GateFlows/Run/Launcher.swift",
     [("                try? s.store.setStatus(id, .refused)\n", "")]),
    ("a pick-up runs another intent", "Sources/GateFlows/Run/PickUp.swift",
     [("guard record.digest == launch.digest else {", "guard record.digest == launch.digest || true else {")]),
    ("a break-glass rule after a stricter one is not warned", "Sources/GateCore/PolicyLint.swift",
     [("if rule.options.breakGlass, let stricter = rules[..<i].last(", "if false, rule.options.breakGlass, let stricter = rules[..<i].last(")]),
    # Issue 16: the hook and the MCP server fail closed.
    ("the hook splits a command with a pipe as plain words", "Sources/GateCore/ShellWords.swift",
     [('case UInt8(ascii: ";"), UInt8(ascii: "|"), UInt8(ascii: "&"),', 'case UInt8(ascii: ";"), UInt8(ascii: "&"),')]),
    ("the hook treats $ inside double quotes as a word", "Sources/GateCore/ShellWords.swift",
     [('if d == UInt8(ascii: "$") || d == UInt8(ascii: "`") ||', 'if d == UInt8(ascii: "`") ||')]),
    ("the hook passes any program named gate", "Sources/GateRun/Hook/ClaudeCodeHook.swift",
     [("guard let named, named == Self.gatePath else {", "guard let named, named == Self.gatePath || true else {")]),
    ("the hook allows what it cannot read", "Sources/GateRun/Hook/ClaudeCodeHook.swift",
     [('return deny("gate: the hook input is not a JSON object; denied (fail closed)")',
       'return decision("allow", "unreadable", updated: nil)')]),
    ("an MCP cancellation does not withdraw the request", "Sources/GateCLI/MCP/MCPServerLoop.swift",
     [("for i in jobs.indices where jobs[i].id == id { jobs[i].cancelled = true; jobs[i].interrupt() }",
       "for i in jobs.indices where jobs[i].id == id { jobs[i].cancelled = true }")]),
    # Issues 15 and 16, the attack round.
    ("the hook passes gate approve from an agent", "Sources/GateRun/Hook/ClaudeCodeHook.swift",
     [("            if let why = Self.notForAgents(Array(words.dropFirst())) { return deny(why) }\n", "")]),
    ("an agent's label does not refuse a decision", "Sources/GateFlows/Decide/DecideFlow.swift",
     [('if let agent = System.envNonEmpty("GATE_AGENT") {', 'if let agent = System.envNonEmpty("GATE_AGENT"), false {')]),
    ("the notifier holds the requester's output open", "Sources/GateFlows/Run/LocalNotify.swift",
     [("if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2) }", "if null >= 0 { dup2(null, 0) }")]),
    ("--json-status waits on a FIFO", "Sources/GateRun/RunInvocation.swift",
     [("O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)", "O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)")]),
    ("the daemon's report does not reach --json-status", "Sources/GateRun/RunInvocation.swift",
     [("if let reported { writeStatusJSON(reported) } else {", "if let reported, false { writeStatusJSON(reported) } else {")]),
    ("quoted arguments use \\u escapes", "Sources/GateSystem/ShellQuote.swift",
     [("                        out += byteEscapes(c)\n", "                        out += escape(c)\n")]),
    ("a waiting requester does not see its request withdrawn", "Sources/GateFlows/Run/ApprovalWait.swift",
     [("now.status == .cancelled || now.status == .expired {", "now.status == .cancelled && false {")]),
    # Issue 17: what the hot path's savings must not give away.
    ("signature memory answers for another message under the same key and signature", "Sources/GateCrypto/Ed25519.swift",
     [("let triple = bytes + signature + message", "let triple = bytes + signature")]),
    ("a kept statement keeps its last bindings", "Sources/GateSQLite/Database.swift",
     [("        sqlite3_clear_bindings(statement)\n", "")]),
    ("an approval obtained by waiting skips the re-hash before exec", "Sources/GateFlows/Run/Launch.swift",
     [("var approvedAtCapture = false", "var approvedAtCapture = true")]),

    ("the interpreter cache ignores the change time", "Sources/GateStore/FileDigests.swift",
     [("s.int(1) == mtime, s.int(2) == ctime {", "s.int(1) == mtime {")]),
    ("the interpreter cache takes files others can write", "Sources/GateSystem/FileSafety.swift",
     [("return gate_has_access_acl(fd) == 0\n", "return true\n"),
      ("st.st_uid == 0, st.st_mode & 0o022 == 0 else { return false }", "st.st_uid >= 0 else { return false }")]),
    # Issue 17's attack round.
    ("a token run does not look again before exec", "Sources/GateFlows/Run/Launcher.swift",
     [("        guard !launch.approvals.isEmpty else { return }\n        var bound", "        guard !launch.approvals.isEmpty, !launch.approvedAtCapture else { return }\n        var bound")]),
    ("the digest cache trusts any path to a root-owned file", "Sources/GateStore/FileDigests.swift",
     [("FileSafety.onlyRootWrites(st, fd: fd), FileSafety.isRootControlled(path) else {", "FileSafety.onlyRootWrites(st, fd: fd) else {")]),
    ("literal patterns compare canonically equivalent text as equal", "Sources/GateCore/Glob.swift",
     [("if isLiteral(pattern) { return pattern.utf8.elementsEqual(text.utf8) }", "if isLiteral(pattern) { return pattern == text }")]),
    ("gate hands gate-commands Swift's repaired arguments", "Sources/GateSystem/SiblingExecutable.swift",
     [("for i in min(first, Int(CommandLine.argc))..<Int(CommandLine.argc) { argv.append(CommandLine.unsafeArgv[i]) }",
       "for a in CommandLine.arguments.dropFirst(first) { argv.append(strdup(a)) }")]),
    # Issue 17's second attack round.
    ("the executable's descriptor is not hashed again before exec", "Sources/GateFlows/Capture/IntentCapture.swift",
     [("do { digest = try Files.digest(fd: file.fd, path: approved.executable) } catch {",
       "do { _ = try Files.digest(fd: file.fd, path: approved.executable); digest = approved.executableDigest } catch {")]),
    ("a file rewritten while it is hashed keeps its digest", "Sources/GateSystem/Files.swift",
     [("before.st_ctim.tv_sec == after.st_ctim.tv_sec, before.st_ctim.tv_nsec == after.st_ctim.tv_nsec else {",
       "before.st_ctim.tv_sec == after.st_ctim.tv_sec, before.st_ctim.tv_nsec == after.st_ctim.tv_nsec || true else {"),
      ("guard before.st_size == after.st_size, before.st_mtim.tv_sec", "guard before.st_size == after.st_size || true, before.st_mtim.tv_sec"),
      (", before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,", ", before.st_mtim.tv_nsec == after.st_mtim.tv_nsec || true,")]),
    ("a refused-after-start request ends finished", "Sources/GateFlows/Run/Launcher.swift",
     [("try s.store.setStatus(id, refusal == nil ? .finished : .refused)", "try s.store.setStatus(id, .finished)")]),
    # Issue 17, this session: a fold empties the WAL for the next process; a full disk still runs nothing.
    ("a fold cuts the WAL instead of zeroing its header", "Sources/CSQLite/shim.h",
     [("    if (size == 0 && r->pMethods->xFileSize(r, &have) == SQLITE_OK && have >= 32) {",
       "    if (size == 0 && r->pMethods->xFileSize(r, &have) == SQLITE_OK && have >= 32 && 0) {")]),
    ("the fold is SQLite's passive one (the next process folds again)", "Sources/CSQLite/shim.h",
     [("int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, 0, 0);",
       "int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, 0, 0);")]),
    ("a full file system is written to while the WAL has room", "Sources/GateStore/Store.swift",
     [("        try requireFreeSpace()\n        pendingSyslog.removeAll()", "        pendingSyslog.removeAll()")]),
    ("the requester's name read from /etc/passwd whatever nsswitch.conf says", "Sources/GateSystem/PasswdFile.swift",
     [("return words.count > 1 && Array(words[1]) == Array(\"files\".utf8)", "return words.count > 1")]),
    # Issue 12, this session: prepared daemon workers.
    ("a prepared worker writes a state database moved aside", "Sources/GateStore/Store.swift",
     [("UInt64(st.st_dev) == p.device, UInt64(st.st_ino) == p.inode {", "UInt64(st.st_dev) == p.device || UInt64(st.st_ino) == p.inode || true {")]),
    ("a worker keeps other clients' descriptors", "Sources/GateDaemon/DaemonServer.swift",
     [("Array(clients.keys) + clients.values.flatMap(\\.inbox.heldDescriptors) + idle.map(\\.pair)", "Array(clients.keys) + idle.map(\\.pair)")]),
    # Issue 17, third session: the ledger key is loaded for signing without deriving its public key.
    ("a checkpoint is stored without verifying its signature", "Sources/GateCore/CheckpointSigning.swift",
     [("guard (try? check(checkpoint, ledgerID: body.ledgerID, key: key.publicKey)) != nil,", "guard true,")]),
    ("a ledger key whose secret is not its public key blocks every run", "Sources/GateStore/Ledger/Checkpoints.swift",
     [("if Ed25519.SigningKey(seed: key.signingKey.seed)?.publicKey != key.signingKey.publicKey {", "if false {")]),
    # A quote joined to a combining mark is one Character to Swift, still a quote to bash and Slack.
    ("ShellQuote replaces quotes Character by Character", "Sources/GateSystem/ShellQuote.swift",
     [(r'''return "'" + TextSearch.replacingScalar("'", with: "'\\''", in: s) + "'"''',
       r'''return "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"''')]),
    ("Slack's mrkdwn escapes backquotes Character by Character", "Sources/GateViews/WebhookPayloads.swift",
     [("return TextSearch.replacingScalar(\"`\", with: \"'\", in: out)", "return String(out.map { $0 == \"`\" ? \"'\" : $0 })")]),
    ("a damaged ledger key's public line recorded as the ledger's key", "Sources/GateStore/Ledger/Checkpoints.swift",
     [("mayCreate: recorded == nil, forSigning: recorded != nil) {", "mayCreate: recorded == nil, forSigning: true) {")]),
    # Paths split at `/` bytes, as the kernel splits them, not at Characters.
    ("a path's parent found at the last '/' Character", "Sources/GateSystem/Files.swift",
     [("guard let slash = u.lastIndex(of: UInt8(ascii: \"/\")) else { return \".\" }\n        if slash == u.startIndex { return \"/\" }\n        return String(decoding: u[..<slash], as: UTF8.self)",
       "guard let slash = path.lastIndex(of: \"/\") else { return \".\" }\n        if slash == path.startIndex { return \"/\" }\n        return String(path[..<slash])")]),
    ("argv[0] with a '/' joined to a mark looked up in PATH", "Sources/GateFlows/Capture/ExecutableResolver.swift",
     [("if name.utf8.contains(UInt8(ascii: \"/\")) {", "if name.contains(\"/\") {")]),
    ("a locale value's '/' joined to a mark passes", "Sources/GateCore/EnvironmentReset.swift",
     [("if b == UInt8(ascii: \"/\") || b == UInt8(ascii: \"%\")", "if (b == UInt8(ascii: \"/\") && !value.unicodeScalars.contains(\"\\u{301}\")) || b == UInt8(ascii: \"%\")")]),
    ("a malformed answer from the gate server is 'cannot reach' (69)", "Sources/GateClient/RemoteClient.swift",
     [("var f = GateFailure(.dataError, \"the gate server at \\(url) sent a malformed answer", "var f = GateFailure(.unavailable, \"the gate server at \\(url) sent a malformed answer")]),
    ("an account whose name is canonically equivalent to an approver's is that approver", "Sources/GateCLI/DaemonCommand.swift",
     [("return policy.approvers.contains { TextSearch.sameBytes($0.user, peer.user) }", "return policy.approvers.contains { $0.user == peer.user }")]),
]


def run(cmd, cwd, log):
    with open(log, "a") as f:
        return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT).returncode


def sync():
    """The scratch copy mirrors the work tree (not .build or .git)."""
    os.makedirs(SCRATCH, exist_ok=True)
    subprocess.run(["rsync", "-a", "--delete", "--exclude", ".build", "--exclude", ".git", ROOT + "/", SCRATCH + "/"], check=True)


def main(argv):
    if "--list" in argv:
        for name, path, _ in MUTATIONS:
            print(f"{name}  ({path})")
        return 0
    chosen = [m for m in MUTATIONS if not argv or m[0] in argv]
    if argv and len(chosen) != len(argv):
        print("mutate: unknown mutation name; see --list", file=sys.stderr)
        return 64
    sync()
    env_path = "/opt/swift/usr/bin:" + os.environ.get("PATH", "")
    os.environ["PATH"] = env_path
    # The SPEC formats-digest test would fail on any edit of tools/gate_verify.py; it is about
    # the document, not behaviour, and is skipped here (SpecRevisionTests).
    os.environ["GATE_MUTATION"] = "1"
    log = os.path.join(SCRATCH, ".build-mutate.log")
    open(log, "w").close()
    # The unmutated suite must pass first, or no result means anything.
    if run(["swift", "build", "--build-tests"], SCRATCH, log) != 0 or run(["swift", "test", "--skip-build"], SCRATCH, log) != 0:
        print(f"mutate: the suite fails without any mutation (log: {log})", file=sys.stderr)
        return 1
    survived, broken = [], []
    for name, path, edits in chosen:
        originals, texts = {}, {}
        for edit in edits:
            file, old, new = edit if len(edit) == 3 else (path,) + tuple(edit)
            target = os.path.join(SCRATCH, file)
            if target not in originals:
                originals[target] = texts[target] = open(target).read()
            if texts[target].count(old) != 1:
                print(f"STALE     {name}: the original text occurs {texts[target].count(old)} times in {file}")
                broken.append(name)
                break
            texts[target] = texts[target].replace(old, new)
        else:
            started = time.time()
            try:
                for target, text in texts.items():
                    open(target, "w").write(text)
                    touch_importers(target)
                if run(["swift", "build", "--build-tests"], SCRATCH, log) != 0:
                    print(f"NO-BUILD  {name}")
                    broken.append(name)
                    continue
                killed = run(["swift", "test", "--skip-build"], SCRATCH, log) != 0
                print(f"{'killed   ' if killed else 'SURVIVED '} {name}  ({time.time() - started:.0f} s)", flush=True)
                if not killed:
                    survived.append(name)
            finally:
                for target, original in originals.items():
                    open(target, "w").write(original)
                    touch_importers(target)
    total = len(chosen)
    print(f"{total - len(survived) - len(broken)} killed, {len(survived)} survived, {len(broken)} not applied, of {total}")
    return 1 if survived or broken else 0


def touch_importers(target):
    """SwiftPM does not track a C module's headers: after a header changes, the Swift files that
    import that module are touched so the build compiles them again (else a mutation of
    CSQLite/shim.h builds the unmutated code and survives for nothing)."""
    if not target.endswith(".h"):
        return
    parts = os.path.relpath(target, SCRATCH).split(os.sep)
    if len(parts) < 3 or parts[0] != "Sources":
        return
    module = parts[1]
    for root, _, files in os.walk(os.path.join(SCRATCH, "Sources")):
        for f in files:
            path = os.path.join(root, f)
            if f.endswith(".swift") and f"import {module}\n" in open(path).read():
                os.utime(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
