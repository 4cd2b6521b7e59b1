import GateCore
import Glibc
import GateSystem

/// Who an approved or allowed command runs as. Without the gate daemon, the requester's own
/// gate starts it as the requester (the single-user mode: a guardrail). In a daemon's worker it
/// is the rule's `as=` user, or else the requester the socket's peer credentials named: the
/// daemon never runs anything as itself.
enum RunAs {
    /// nil: start as this process (single-user mode). Throws a recorded refusal when the rule's
    /// user cannot be used.
    static func resolve(_ options: Policy.Options, rule: String, in s: RunSession, refused: RunSession.Refused) throws -> Credentials? {
        guard let requester = DaemonWorkerMode.requester else {
            guard let name = options.runAs else { return nil }
            throw s.refuse(.denied("the policy (\(rule)) runs this command as \(name), which only the gate daemon can do",
                                   hint: "ask through the daemon: set GATE_SOCKET to its socket (gate(1), DAEMON)"),
                           code: .runAs, about: refused)
        }
        let target: Credentials
        if let name = options.runAs {
            guard let found = Credentials.lookup(name) else {
                throw s.refuse(.denied("the policy (\(rule)) runs this command as \(name), but there is no such account on this host"),
                               code: .runAs, about: refused)
            }
            target = found
        } else {
            target = requester
        }
        if geteuid() != 0 && target.uid != geteuid() {
            throw s.refuse(.denied("the gate daemon runs as uid \(geteuid()) and cannot start commands as \(target.user)",
                                   hint: "run the daemon as root (examples/gate-daemon.service)"),
                           code: .runAs, about: refused)
        }
        return target
    }

    /// What reaches the command, derived from this process's environment the same way when the
    /// intent is captured and when it is checked again before exec: only what the policy keeps
    /// (sudo's env_reset), made the target user's when it runs as someone else.
    static func commandEnvironment(policy: Policy, options: Policy.Options, runAs: Credentials?) -> [EnvironmentReset.Variable] {
        environment(EnvironmentReset.childEnvironment(Spawner.environmentVariables(), policy: policy, options: options),
                    for: runAs, requester: DaemonWorkerMode.requester, options: options)
    }

    /// The variables sudo -u sets for the target user, replacing the requester's: what the
    /// command sees is what the approver is shown (they are bound with the rest).
    private static func environment(_ child: [EnvironmentReset.Variable], for target: Credentials?, requester: Credentials?,
                            options: Policy.Options) -> [EnvironmentReset.Variable] {
        guard let target, target.uid != requester?.uid else { return child }
        let set = target.accountVariables
        let named = Set(options.keepEnvironment + options.bindEnvironment)
        let prefixes = options.keepEnvironment.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        var out = child.filter { v in
            !set.contains { $0.0 == v.name } && !crossesUsers(v)
                && (Self.crossUserKeep.contains(v.name) || v.name.hasPrefix("LC_") || named.contains(v.name)
                    || prefixes.contains { v.name.hasPrefix($0) })
        }
        for (name, value) in set { out.append(EnvironmentReset.Variable(name, value)) }
        return out
    }

    /// What crosses to another user by default: the terminal and the locale. The default keep
    /// list's credentials, config files and proxies (KUBECONFIG, AWS_PROFILE, TF_LOG_PATH,
    /// HTTPS_PROXY, …) are the target account's own business: a requester's would let it point
    /// the target's tools at a file or server it controls (a kubeconfig's exec plugin runs its
    /// code as the target). A rule passes one across only by naming it (keep-env=, bind-env=).
    static let crossUserKeep: Set<String> = ["PATH", "TERM", "COLORTERM", "NO_COLOR", "LANG", "LANGUAGE", "TZ"]

    /// Kept variables that would let the requester steer another user's command through files
    /// the requester controls (sudo's checks for the same variables): a temporary directory of
    /// the requester's choosing, and a time zone or locale given as a path, which glibc then loads.
    static func crossesUsers(_ v: EnvironmentReset.Variable) -> Bool {
        if ["TMPDIR", "TMP", "TEMP"].contains(v.name) { return true }
        return EnvironmentReset.pointsLocaleAtAFile(name: v.name, value: Substring(v.value))
    }

    /// Why the requester could change what `path` names between the last check and the moment
    /// another user's command reads it, or nil if they cannot: for a command run as another user
    /// a bound file (or a script, or an interpreter) must be one the requester can neither write
    /// nor swap. The path is walked from the root: no component may be the requester's, no
    /// directory on it writable by them (unless sticky: then the entry below must not be
    /// theirs), the file not writable by them; a symbolic link that is not theirs, in a
    /// directory they cannot change, is followed and its target walked the same way.
    static func requesterCanChange(_ path: String, requester: Credentials) throws -> String? {
        try DaemonWorkerMode.asRequester { walk(path, requester: requester, followed: false) }
    }

    private static func walk(_ path: String, requester: Credentials, followed: Bool) -> String? {
        var prefix = ""
        // Components split at `/` bytes, as the kernel walks them.
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        for (i, part) in parts.enumerated() {
            prefix += "/" + part
            var st = stat()
            guard lstat(prefix, &st) == 0 else { return "\(prefix) cannot be examined: \(System.errnoString())" }
            if st.st_uid == requester.uid { return "\(prefix) belongs to \(requester.user)" }
            if st.st_mode & S_IFMT == S_IFLNK {
                guard !followed, let real = Paths.real(path) else { return "\(prefix) is a symbolic link \(requester.user) could have changed" }
                return walk(real, requester: requester, followed: true)
            }
            if faccessat(AT_FDCWD, prefix, W_OK, AT_EACCESS) == 0 {
                let sticky = st.st_mode & S_IFMT == S_IFDIR && st.st_mode & S_ISVTX != 0
                if i == parts.count - 1 || !sticky { return "\(requester.user) can write \(prefix)" }
            }
        }
        return nil
    }
}
