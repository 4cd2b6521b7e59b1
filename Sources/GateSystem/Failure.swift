/// gate's documented exit codes (gate(1), EXIT STATUS). The child's own status passes through
/// unchanged when a command runs.
public enum ExitCode {
    public static let usage: Int32 = 64          // EX_USAGE: bad arguments
    public static let dataError: Int32 = 65      // EX_DATAERR: a damaged ledger or state file
    public static let unavailable: Int32 = 69    // EX_UNAVAILABLE: a needed service is down
    public static let software: Int32 = 70       // EX_SOFTWARE: internal error
    public static let ioError: Int32 = 74        // EX_IOERR: output could not be written (disk full, closed pipe)
    public static let tempFail: Int32 = 75       // EX_TEMPFAIL: approval timed out or cancelled
    public static let noPermission: Int32 = 77   // EX_NOPERM: denied or not permitted
    public static let config: Int32 = 78         // EX_CONFIG: policy, key file, state directory
    public static let notExecutable: Int32 = 126
    public static let notFound: Int32 = 127
}

/// Every error gate reports to a person: one line, a documented exit code, and, where there is
/// an obvious next step, a hint.
public struct GateFailure: Error, CustomStringConvertible, Sendable {
    public var exitCode: Int32
    public var message: String
    public var hint: String?

    public init(_ exitCode: Int32, _ message: String, hint: String? = nil) {
        self.exitCode = exitCode
        self.message = message
        self.hint = hint
    }

    public var description: String { message }

    public static func usage(_ m: String, hint: String? = nil) -> GateFailure { .init(ExitCode.usage, m, hint: hint) }
    public static func config(_ m: String, hint: String? = nil) -> GateFailure { .init(ExitCode.config, m, hint: hint) }
    public static func denied(_ m: String, hint: String? = nil) -> GateFailure { .init(ExitCode.noPermission, m, hint: hint) }
    public static func internalError(_ m: String) -> GateFailure { .init(ExitCode.software, m) }
}
