/// Where gate keeps its state and finds its policy (gate(1), ENVIRONMENT).
public struct GateEnvironment: Sendable {
    /// `$GATE_HOME`, default `$XDG_STATE_HOME/gate`, i.e. `~/.local/state/gate`.
    public var home: String
    /// `$GATE_POLICY`, default `$GATE_HOME/policy`.
    public var policyPath: String

    public init(home: String, policyPath: String) {
        self.home = home
        self.policyPath = policyPath
    }

    public static func current() throws -> GateEnvironment {
        // A daemon's worker uses the daemon's state and policy, whatever the requester's
        // environment says.
        if let fixed = DaemonWorkerMode.environment { return fixed }
        let home: String
        if let h = System.envNonEmpty("GATE_HOME") {
            home = h
        } else if let x = System.envNonEmpty("XDG_STATE_HOME") {
            home = Paths.join(x, "gate")
        } else if let h = System.homeDirectory() {
            home = Paths.join(h, ".local/state/gate")
        } else {
            throw GateFailure.config("cannot find a state directory: HOME is not set", hint: "set GATE_HOME")
        }
        let policy = System.envNonEmpty("GATE_POLICY") ?? Paths.join(home, "policy")
        return GateEnvironment(home: home, policyPath: policy)
    }

    /// Where a gate daemon's policy is by default, and where its clients look for it (to refuse
    /// before a passphrase prompt what the daemon would refuse after).
    public static var daemonPolicyPath: String { System.envNonEmpty("GATE_POLICY") ?? "/etc/gate/policy" }

    public var databasePath: String { Paths.join(home, "state.db") }
}
