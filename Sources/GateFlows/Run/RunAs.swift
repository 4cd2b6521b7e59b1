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

    /// The variables sudo -u sets for the target user, replacing the requester's: what the
    /// command sees is what the approver is shown (they are bound with the rest).
    static func environment(_ child: [EnvironmentReset.Variable], for target: Credentials?, requester: Credentials?) -> [EnvironmentReset.Variable] {
        guard let target, target.uid != requester?.uid else { return child }
        let set = target.accountVariables
        var out = child.filter { v in !set.contains { $0.0 == v.name } && !crossesUsers(v) }
        for (name, value) in set { out.append(EnvironmentReset.Variable(name, value)) }
        return out
    }

    /// Kept variables that would let the requester steer another user's command through files
    /// the requester controls (sudo's checks for the same variables): a temporary directory of
    /// the requester's choosing, and a time zone or locale given as a path, which glibc then loads.
    static func crossesUsers(_ v: EnvironmentReset.Variable) -> Bool {
        if ["TMPDIR", "TMP", "TEMP"].contains(v.name) { return true }
        let localeLike = v.name == "TZ" || v.name == "LANG" || v.name == "LANGUAGE" || v.name.hasPrefix("LC_")
        return localeLike && (v.value.contains("/") || v.value.contains("%") || v.value.contains(".."))
    }
}
