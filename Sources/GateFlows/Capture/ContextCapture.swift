import GateCore
import GateCrypto
import GateWire
import GateSystem

/// What an approver sees beside the command, and what is bound into the intent (issue 4): the
/// matched rule's bound files and variables (hashed into the intent digest), the allowlisted
/// environment (secrets redacted), and each context provider's output (stored once, by digest).
public enum ContextCapture {
    /// The captured intent with everything that decides what the command does bound into it:
    /// the rule's `bind=` files, the interpreters of a `#!` script, and the child's whole
    /// environment (EnvironmentReset; secrets as keyed hashes) plus any `bind-env=` variable it
    /// lacks (as empty). Done for every run a rule requires approval for (requests and
    /// pre-issued tokens alike), so the digest an approver signs and the one checked before exec
    /// cover the same things.
    /// Also returns the interpreters' paths (bound files too), for `describe` to label them.
    public static func bind(_ captured: Intent, options: Policy.Options, child: [EnvironmentReset.Variable],
                            file: OpenExecutable? = nil, home: String,
                            interpreterDigest: (Int32, String) throws -> [UInt8] = { try Files.digest(fd: $0, path: $1) }) throws -> (intent: Intent, interpreters: [String]) {
        // Files: hashed now (as the requester, in a daemon's worker), re-hashed before exec
        // (IntentCapture.recheck).
        let (files, interpreters) = try DaemonWorkerMode.asRequester {
            try boundFiles(captured, options: options, child: child, file: file, interpreterDigest: interpreterDigest)
        }
        let variables = try boundEnvironment(child, options: options, home: home)
        // Through the initialiser, which puts both lists in their canonical (byte) order.
        let intent = Intent(argv: captured.argv, executable: captured.executable, executableDigest: captured.executableDigest,
                            cwd: captured.cwd, user: captured.user, uid: captured.uid, agent: captured.agent, host: captured.host,
                            boundFiles: files, boundEnvironment: variables)
        return (intent, interpreters.map(\.path))
    }

    private static func boundFiles(_ captured: Intent, options: Policy.Options, child: [EnvironmentReset.Variable],
                                   file: OpenExecutable?, interpreterDigest: (Int32, String) throws -> [UInt8]) throws -> ([Intent.BoundFile], [Interpreters.Step]) {
        var files: [Intent.BoundFile] = []
        for target in options.bindFiles {
            guard let named = target.path(for: captured.argv) else {
                throw GateFailure.denied("the rule binds argument \(target) but the command has no such argument")
            }
            let path = Paths.absolute(named, cwd: captured.cwd)
            // Bytes, not String ==: two names that are one text in different Unicode forms are two
            // files, and both are bound.
            guard !files.contains(where: { $0.path.utf8.elementsEqual(path.utf8) }) else { continue }
            do { files.append(Intent.BoundFile(path: path, digest: try Files.digest(path))) } catch let e as FileError {
                throw GateFailure.denied("cannot hash bound file \(path): \(e.message)", hint: "the rule binds it: it must exist before the request")
            }
        }
        let childPATH = child.first { $0.name == "PATH" }?.value ?? ""
        let interpreters = try Interpreters.chain(of: captured.executable, fd: file?.fd, cwd: captured.cwd, childPATH: childPATH,
                                                  digest: interpreterDigest)
        for step in interpreters where !files.contains(where: { $0.path.utf8.elementsEqual(step.path.utf8) }) {
            files.append(Intent.BoundFile(path: step.path, digest: step.digest))
        }
        return (files, interpreters)
    }

    /// The child's environment as the intent binds it: each variable's value, or its keyed hash
    /// for a secret; a `bind-env=` variable the child does not get is bound as empty.
    public static func boundEnvironment(_ child: [EnvironmentReset.Variable], options: Policy.Options,
                                        home: String) throws -> [Intent.BoundVariable] {
        let redactor = try RedactionKey.load(home: home)
        var out = child.map { Intent.BoundVariable(name: $0.name, value: redactor.shown(name: $0.name, value: $0.value).value) }
        for name in Set(options.bindEnvironment).sorted() where !out.contains(where: { $0.name == name }) {
            out.append(Intent.BoundVariable(name: name, value: redactor.shown(name: name, value: "").value))
        }
        return out
    }

    /// What is stored with a request for the approver: `{"ticket", "environment": [...],
    /// "providers": [...]}`, and the providers' outputs keyed by their BLAKE2b-256 digest.
    /// Bound files up to this size are sent with the request and shown from their own bytes.
    static let boundContentLimit = 1 << 20

    static func describe(_ subject: Subject, ticket: String, home: String) throws -> Described {
        let intent = subject.intent, options = subject.options, policy = subject.policy, child = subject.child
        let redactor = try RedactionKey.load(home: home)
        // The child's environment, for display and for a server's env: conditions; never a
        // secret in clear.
        var environment: [JSON] = []
        for v in child {
            let shown = redactor.shown(name: v.name, value: v.value)
            environment.append(.object([("name", .string(v.name)), ("value", .string(shown.value)), ("redacted", .bool(shown.redacted))]))
        }

        var providers: [JSON] = []
        var shown: [Intent.ShownOutput] = []
        var blobs: [(digest: [UInt8], data: [UInt8])] = []
        for name in options.contexts {
            guard let provider = policy.contextProviders[name] else { continue }
            guard let argv = provider.expand(for: intent.argv) else {
                throw GateFailure.denied("context '\(name)' names an argument the command does not have")
            }
            let r = ProviderRunner.run(argv: argv, cwd: intent.cwd, environment: child.map { $0.name + "=" + $0.value }, timeoutSeconds: provider.timeoutSeconds, maxBytes: provider.maxBytes)
            let status: String
            if let why = r.notRunnable { status = "not-runnable: \(why)" }
            else if r.timedOut { status = "timed-out" }
            else if r.truncated { status = "ok" }
            else if r.exit == .exited(0) { status = "ok" }
            else { status = "failed" }
            if provider.required && status != "ok" {
                let stderr = String(decoding: r.stderr.prefix(400), as: UTF8.self).trimmingASCIIWhitespace()
                throw GateFailure.denied("context '\(name)' (\(ShellQuote.join(argv))) \(r.timedOut ? "timed out after \(provider.timeoutSeconds) s" : status == "failed" ? "failed" : status); the policy requires it",
                                         hint: stderr.isEmpty ? nil : "its stderr: " + stderr)
            }
            let digest = BLAKE2b.hash(r.stdout)
            shown.append(Intent.ShownOutput(name: name, digest: digest))
            if !blobs.contains(where: { $0.digest == digest }) { blobs.append((digest, r.stdout)) }
            var fields: [(String, JSON)] = [
                ("name", .string(name)), ("argv", .array(argv.map(JSON.string))), ("executable", .string(r.executable)),
                ("status", .string(status)),
            ]
            switch r.exit {
            case .exited(let c)?: fields.append(("exit_code", .int(Int64(c))))
            case .signaled(let s)?: fields.append(("signal", .int(Int64(s))))
            case nil: break
            }
            fields += [
                ("duration_ms", .int(r.durationMs)), ("bytes", .int(Int64(r.stdout.count))), ("truncated", .bool(r.truncated)),
                ("limit", .int(Int64(provider.maxBytes))), ("digest", .string(Hex.encode(digest))),
                ("stderr", .string(String(decoding: r.stderr, as: UTF8.self))),
            ]
            // A plan printed as JSON (terraform show -json) also gets a one-line summary.
            if !r.truncated, r.stdout.first == UInt8(ascii: "{"),
               let doc = try? JSON.parse(String(decoding: r.stdout, as: UTF8.self)), let summary = PlanSummary.terraform(doc) {
                fields.append(("summary", .string(summary.description)))
            }
            providers.append(.object(fields))
        }
        // A bound file small enough travels with the request as its own bytes, so approvers see
        // what the run is bound to, checked against the bound digest, rather than only what a
        // provider says about it (issue 18, finding 5). Bytes that no longer hash to the bound
        // digest (changed since capture) are not sent; the run would refuse them anyway.
        var boundContents: [JSON] = []
        for f in intent.boundFiles where !subject.interpreters.contains(f.path) {
            guard let bytes = try? DaemonWorkerMode.asRequester({ try Files.read(f.path, limit: Self.boundContentLimit) }),
                  BLAKE2b.hash(bytes) == f.digest else { continue }
            if !blobs.contains(where: { $0.digest == f.digest }) { blobs.append((f.digest, bytes)) }
            boundContents.append(.object([("path", .string(f.path)), ("digest", .string(Hex.encode(f.digest)))]))
        }
        // Which bound files are interpreters, for the approver's eyes.
        let context: JSON = .object([("ticket", .string(ticket)), ("environment", .array(environment)), ("providers", .array(providers)),
                                     ("bound_contents", .array(boundContents)),
                                     ("executable_aliases", .array(subject.trustedAliases.map(JSON.string))),
                                     ("interpreters", .array(subject.interpreters.map(JSON.string)))])
        return Described(context: context, blobs: blobs, shown: shown)
    }

    /// What a request's context is captured for: the bound intent, the matched rule's options,
    /// the policy (for its context providers), the child's environment, the executable's trusted
    /// names and which bound files are interpreters.
    struct Subject {
        var intent: Intent
        var options: Policy.Options
        var policy: Policy
        var child: [EnvironmentReset.Variable]
        var trustedAliases: [String] = []
        var interpreters: [String] = []
    }

    /// The context document and the provider outputs it names, keyed by BLAKE2b-256.
    struct Described {
        var context: JSON
        var blobs: [(digest: [UInt8], data: [UInt8])]
        /// Each provider's output by digest: bound into the intent, so the approval covers it.
        var shown: [Intent.ShownOutput] = []
    }
}

extension Policy.BindTarget: CustomStringConvertible {
    public var description: String {
        switch self {
        case .argument(let n): return "{\(n)}"
        case .path(let p): return p
        }
    }
}
