import GateCore
import GateStore
import GateSystem
import GateWire

/// The first step: capture the intent, apply the policy, and say which way the run goes. A deny,
/// a missing reason or ticket, an unrunnable command or a bound file that cannot be hashed ends
/// here, refused and recorded.
enum Decide {
    static func decide(_ s: RunSession) throws -> Decided {
        switch System.inInitialUserNamespace() {
        case true?:
            break
        case false?:
            throw s.refuse(.denied("gate does not run commands inside a user namespace: there the user it would record and check is whatever the namespace maps",
                                   hint: "run gate outside unshare/rootless containers"), code: .userNamespace)
        case nil:
            // Fail closed (found by issue 17's second attack round): a process that hides
            // /proc/self/uid_map from gate may be in any namespace.
            throw s.refuse(.denied("gate cannot tell whether it runs in the initial user namespace (/proc/self/uid_map cannot be read), so it cannot trust the user it would record",
                                   hint: "run gate with /proc mounted"), code: .userNamespace)
        }
        let policy: Policy
        let capture: IntentCapture.Captured
        do {
            policy = try PolicyLoader.load(s.environment.policyPath)
            capture = try IntentCapture.capture(argv: s.options.argv, identity: s.identity, trustedPath: policy.trustedPath)
        } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .notRunnable)
        }
        let intent = capture.intent
        let digest = IntentDigest(intent)
        let decision = policy.decide(MatchContext(intent: intent, trustedAliases: capture.aliases, environment: { System.env($0) }))
        var runAs: Credentials?
        if case .deny = decision.action {} else {
            runAs = try RunAs.resolve(decision.options, rule: decision.rule, in: s, refused: .intent(intent, digest))
        }
        s.options.report.rule = decision.rule
        var launch = Launch(intent: intent, digest: digest, request: s.runID.compact, rule: decision.rule, policy: policy,
                            ruleOptions: decision.options,
                            environment: RunAs.commandEnvironment(policy: policy, options: decision.options, runAs: runAs), file: capture.file)
        launch.runAs = runAs
        launch.trustedAliases = capture.aliases

        // Without approval, a program runs only from where the policy's match put it: argv[0]
        // spelled through a directory the requester controls (a link to /usr/bin/python3 beside
        // a pyvenv.cfg) lets the program read that directory as its own.
        if s.options.breakGlass || decision.action == .allow,
           let why = try DaemonWorkerMode.asRequester({ strayDirectory(s.options.argv[0], canonical: intent.executable, cwd: intent.cwd) }) {
            throw s.refuse(.denied(why, hint: "call it by its own path or through the trusted PATH"), code: .nameMismatch, about: launch.refused)
        }
        if s.options.breakGlass {
            return Decided(launch: launch, route: .breakGlass(requirements: decision.requirements))
        }
        switch decision.action {
        case .deny(let message):
            let text = "denied by policy (\(decision.rule))" + (message.map { ": \($0)" } ?? "")
            // Why, for the person who hit it: which rule said no, or that none matched.
            let hint = "see why: gate policy explain -- \(ShellQuote.join(s.options.argv))"
                + (decision.line == nil ? " (no rule matches this command; ask for one to be added)" : "")
            throw s.refuse(.denied(text, hint: hint), code: .policyDeny, about: launch.refused)
        case .allow:
            // A rule that pins the executable's digest has it checked again just before exec.
            launch.pinned = decision.line.flatMap { l in policy.rules.first { $0.line == l } }?.conditions.executableDigest != nil
            return Decided(launch: launch, route: .allowed)
        case .require(let requirements):
            let approval = try approvalNeeded(requirements, launch: &launch, capture: capture, in: s)
            return Decided(launch: launch, route: .approval(approval))
        }
    }

    /// A `require` rule: the reason and ticket it asks for, then its bound files and variables
    /// become part of what is approved (the launch's intent and digest change accordingly).
    private static func approvalNeeded(_ requirements: [Policy.Requirement], launch: inout Launch, capture: IntentCapture.Captured,
                                       in s: RunSession) throws -> Decided.Approval {
        let options = launch.ruleOptions, rule = launch.rule
        // With tokens, the run is a filed request's: its reason and ticket (GivenTokens).
        let given = !s.options.tokens.isEmpty || s.options.pickUp != nil
        if !given && options.reasonRequired && s.options.reason.trimmingASCIIWhitespace().isEmpty {
            throw s.refuse(.denied("the policy (\(rule)) requires a reason for this command", hint: "gate --reason \"why\" -- …"),
                           code: .reasonRequired, about: launch.refused)
        }
        if !given && options.ticketRequired && s.options.ticket.trimmingASCIIWhitespace().isEmpty {
            throw s.refuse(.denied("the policy (\(rule)) requires a ticket for this command", hint: "gate --ticket CHG-1234 -- …"),
                           code: .ticketRequired, about: launch.refused)
        }
        let bound: (intent: Intent, interpreters: [String])
        do {
            bound = try ContextCapture.bind(capture.intent, options: options, child: launch.environment, file: capture.file,
                                            home: s.environment.home, interpreterDigest: s.store.fileDigest)
        } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .bindFailed, about: launch.refused)
        }
        launch.intent = bound.intent
        launch.digest = IntentDigest(bound.intent)
        try crossUserFiles(launch, in: s)
        var check = ApprovalCheck(policy: launch.policy, requirements: requirements, requesterUser: bound.intent.user,
                                  intentDigest: launch.digest, now: System.nowSeconds())
        check.approvalTTL = options.approvalTTL
        let subject = ContextCapture.Subject(intent: bound.intent, options: options, policy: launch.policy, child: launch.environment,
                                             trustedAliases: capture.aliases, interpreters: bound.interpreters)
        return Decided.Approval(check: check, requirements: requirements, subject: subject)
    }

    /// A command run as another user reads its bound files (and a script, and its interpreters)
    /// after the last check: the requester must not be able to change them in that moment, or
    /// the other user would read what the requester picked (an unapproved plan, or through a
    /// link, a file only that user can read).
    static func crossUserFiles(_ launch: Launch, in s: RunSession) throws {
        guard let target = launch.runAs, let requester = DaemonWorkerMode.requester, target.uid != requester.uid else { return }
        var paths = launch.intent.boundFiles.map(\.path)
        if !launch.file.isELF { paths.append(launch.intent.executable) }
        for path in paths {
            if let why = try RunAs.requesterCanChange(path, requester: requester) {
                throw s.refuse(.denied("refusing to bind \(path) for a command run as \(target.user): \(why), so it could change after the check",
                                       hint: "put it where \(requester.user) cannot change it (a directory of \(target.user)'s or root's)"),
                               code: .bindFailed, about: launch.refused)
            }
        }
    }

    /// Why argv[0] points the program at a directory that is neither its own nor root's, if it does.
    static func strayDirectory(_ argv0: String, canonical: String, cwd: String) -> String? {
        guard argv0.utf8.contains(UInt8(ascii: "/")) else { return nil }
        let spelledDir = Paths.parent(of: Paths.absolute(argv0, cwd: cwd))
        guard let dir = Paths.real(spelledDir) else { return nil }
        // Bytes: String's == holds canonically equivalent spellings equal ("é" and "e" + U+0301),
        // which the file system keeps apart as two directories.
        if dir.utf8.elementsEqual(Paths.parent(of: canonical).utf8) || FileSafety.isRootControlled(dir) { return nil }
        return "'\(argv0)' is \(canonical) called from \(dir), a directory that is neither its own nor root's: an allowed program does not run from there"
    }
}
