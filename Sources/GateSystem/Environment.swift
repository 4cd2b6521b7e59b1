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

    public var databasePath: String { Paths.join(home, "state.db") }
}
