import GateCore
import GateWire
import Glibc
import GateStore
import GateSystem

/// The value the steps of a run hand on: what runs, under which request and rule, in which
/// environment, and (once obtained) with which approvals. `Launcher` runs exactly this.
struct Launch {
    var intent: Intent
    var digest: IntentDigest
    /// The request the start is recorded under: this invocation's, or the one a token names.
    var request: String
    var rule: String
    var policy: Policy
    var ruleOptions: Policy.Options
    /// The child's environment (EnvironmentReset), as computed when the intent was captured.
    var environment: [EnvironmentReset.Variable]
    /// The executable as opened and hashed at capture, and its trusted names (what the policy matched).
    var file: OpenExecutable
    var trustedAliases: [String] = []
    /// Who the command starts as (RunAs): nil in single-user mode, where it is this process's user.
    var runAs: Credentials? = nil
    var approvals: [VerifiedDecision] = []
    /// The approvals were in hand when this process captured the intent and loaded the policy,
    /// moments ago (`--token`): nothing waited in between, so the policy is not loaded again and
    /// the environment not derived again (what runs is still re-hashed after the start: Launcher).
    /// False after any wait (local, remote, a pick-up).
    var approvedAtCapture = false
    /// A token run's request's reason: the run is that request's, as its approvers saw it.
    var filedReason: String? = nil
    /// The matched rule pins the executable's digest (`digest=`): re-hashed before exec too.
    var pinned = false
    /// A break-glass run: the request record inserted with its start.
    var breakGlass: RequestRecord? = nil
    /// Remote mode: the requester key, for copying the run's checkpoint to the server.
    var requesterIdentity: SigningIdentity? = nil
    /// The wait's signal watch: a Ctrl-C that arrives after approval still withdraws the request.
    var waiter: Waiter? = nil

    var refused: RunSession.Refused { .intent(intent, digest) }

    /// This invocation's request for what would run, filed by this process.
    func record(_ s: RunSession, requirements: [Policy.Requirement], status: RequestStatus, at micros: Int64) -> RequestRecord {
        var r = RequestRecord(id: s.runID, createdMicros: micros, intent: intent, status: status)
        r.reason = s.options.reason
        r.rule = rule
        r.requirements = requirements
        r.policyDigest = policy.digest
        // `--no-wait`: nobody waits for it by design (pid 0), so it is pending, never abandoned.
        r.requesterPID = s.options.noWait ? 0 : getpid()
        r.requesterStart = s.options.noWait ? "" : ProcessIdentity.current ?? ""
        return r
    }
}

/// The policy's answer for one intent, and the way to approval it sets (the first step's value).
struct Decided {
    var launch: Launch
    var route: Route

    enum Route {
        /// `allow`: runs as captured.
        case allowed
        /// `--break-glass`: allowed only by the rule's option and with a reason.
        case breakGlass(requirements: [Policy.Requirement])
        /// `require`: tokens given, or a request filed and waited on.
        case approval(Approval)
    }

    /// What an approval must satisfy, and what the request shows its approvers.
    struct Approval {
        var check: ApprovalCheck
        var requirements: [Policy.Requirement]
        var subject: ContextCapture.Subject
    }
}

/// Thrown when the request a run would start no longer stands, or an approval no longer holds at
/// the start's recorded second (also inside the start transaction); carries the refusal's code.
struct RequestNotStanding: Error {
    var message: String
    var code: RefusalCode
}
