import GateCore

/// gate's documented exit codes (gate(1), EXIT STATUS). The child's own status passes through
/// unchanged when a command runs.
/// A test checks these against gate(1)'s list.
public enum ExitCode: Int32, CaseIterable, Sendable {
    case usage = 64          // EX_USAGE: bad arguments
    case dataError = 65      // EX_DATAERR: a damaged ledger or state file
    case unavailable = 69    // EX_UNAVAILABLE: a needed service is down
    case software = 70       // EX_SOFTWARE: internal error
    case ioError = 74        // EX_IOERR: output could not be written (disk full, closed pipe)
    case tempFail = 75       // EX_TEMPFAIL: approval timed out or cancelled
    case noPermission = 77   // EX_NOPERM: denied or not permitted
    case config = 78         // EX_CONFIG: policy, key file, state directory
    case notExecutable = 126 // the command was found but cannot be executed
    case notFound = 127      // the command was not found
}

/// Every error gate reports to a person: one line, a documented exit code, and, where there is
/// an obvious next step, a hint.
public struct GateFailure: Error, CustomStringConvertible, Sendable {
    public var exitCode: ExitCode
    public var message: String
    public var hint: String?
    /// The refusal code when it is not the one the exit code implies (`refusalCode`).
    public var refusal: RefusalCode?

    public init(_ exitCode: ExitCode, _ message: String, hint: String? = nil) {
        self.exitCode = exitCode
        self.message = message
        self.hint = hint
    }

    public var description: String { message }

    public static func usage(_ m: String, hint: String? = nil) -> GateFailure { .init(.usage, m, hint: hint) }
    public static func config(_ m: String, hint: String? = nil) -> GateFailure { .init(.config, m, hint: hint) }
    public static func denied(_ m: String, hint: String? = nil) -> GateFailure { .init(.noPermission, m, hint: hint) }
    public static func internalError(_ m: String) -> GateFailure { .init(.software, m) }
}

extension GateFailure {
    /// The refusal code a failure implies whichever step it came from: a bad policy, key or state
    /// file is `config`, a gate server that cannot be reached is `server-unavailable`. nil: the
    /// refusing step's own code applies (`f.refusalCode ?? .bindFailed`).
    public var refusalCode: RefusalCode? {
        if let refusal { return refusal }
        return switch exitCode {
        case .config: .config
        case .unavailable: .serverUnavailable
        default: nil
        }
    }
}
