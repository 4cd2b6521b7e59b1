import GateCore

public enum PolicyLoader {
    /// Reads, safety-checks and parses the policy. Every failure is exit 78 with the file named.
    public static func load(_ path: String) throws -> Policy {
        guard Files.exists(path) else {
            throw GateFailure.config("no policy at \(path); gate refuses to run without one",
                                     hint: "write one (see gate-policy(5) and examples/demo.policy), or set GATE_POLICY")
        }
        try FileSafety.checkPolicy(path)
        let text: String
        do { text = try Files.readText(path, limit: 8 << 20) } catch let e as FileError {
            throw GateFailure.config("cannot read policy: \(e)")
        }
        do {
            return try PolicyParser.parse(text)
        } catch let e as PolicyError {
            throw GateFailure.config("\(path):\(e.line): \(e.message)", hint: "gate-policy(5) describes the format")
        }
    }
}
