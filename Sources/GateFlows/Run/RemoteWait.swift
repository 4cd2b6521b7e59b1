import GateCore
import GateWire
import GateSystem
import GateStore
import GateClient

/// The requester's wait on a gate server: long-polls for tokens and runs each answer through
/// the same `evaluate` as a local wait, so a token the server relays is verified here against
/// the requester's own policy before anything runs (the server cannot forge an approval). A
/// server that goes away is retried with backoff until the deadline; Ctrl-C, the timeout and
/// the rule's ttl withdraw the request on both sides.
struct RemoteWait {
    let wait: ApprovalWait
    let client: RemoteClient
    let identity: SigningIdentity

    func run() throws -> Launch {
        let record = wait.record, id = record.id
        let needs = record.requirements.map(\.description).joined(separator: " and ")
        System.write(2, "gate: approval required (rule: \(record.rule); needs \(needs)) — request \(id)\n")
        System.write(2, "gate: request page: \(client.url)/r/\(id.compact)\n")
        System.write(2, "gate: an approver runs: GATE_SERVER=\(client.url) gate approve \(id)\n")
        let indicator = WaitIndicator(label: "waiting for approval of \(id)…")
        let deadline = WaitDeadline(timeoutSeconds: wait.session.options.timeoutSeconds, expiresMicros: record.expiresMicros)
        // On a terminal, short polls keep the spinner moving; otherwise one poll per 25 s.
        let slice: Int32 = indicator.tickMilliseconds < 1000 ? 1 : 25
        var seen = 0
        var backoffMs: Int32 = 500
        var outage: String?

        while true {
            if deadline.passed {
                indicator.clear()
                withdraw(why: deadline.why)
                wait.session.options.report.outcome = "timeout"
                throw deadline.failure(id)
            }
            // Whole seconds for the server, at least 1, never (much) past the deadline.
            let seconds = Int(max(1, deadline.clamp(slice * 1000) / 1000))
            let answer: (status: String, tokens: [String])
            do {
                answer = try client.wait(id, seen: seen, timeoutSeconds: seconds, interruptFD: wait.waiter.interruptFD)
            } catch PlainHTTP.Failure.interrupted(let sig) {
                throw interrupted(sig, indicator)
            } catch let f as GateFailure {
                // The server answered but refused the wait (it does not know the request): the
                // wait cannot go on; withdraw here, on record.
                indicator.clear()
                try? wait.cancel(why: f.message, status: .cancelled)
                throw f
            } catch let e as PlainHTTP.Failure {
                // The server is down or restarting: say so once, keep trying until the deadline.
                let why = "\(e)"
                if outage == nil {
                    indicator.clear()
                    System.write(2, "gate: lost the gate server at \(client.url) (\(why)); retrying\n")
                }
                outage = why
                if case .signal(let sig) = wait.waiter.wait(timeoutMilliseconds: deadline.clamp(backoffMs)) {  // never past the deadline
                    throw interrupted(sig, indicator)
                }
                backoffMs = min(backoffMs * 2, 8000)
                continue
            }
            if outage != nil {
                indicator.clear()
                System.write(2, "gate: the gate server is back; still waiting for request \(id)\n")
                outage = nil
                backoffMs = 500
            }
            if answer.tokens.count != seen {
                seen = answer.tokens.count
                if let approved = try wait.evaluate(answer.tokens, indicator: indicator) { return approved }
            }
            if answer.status == "cancelled" || answer.status == "expired" {
                indicator.clear()
                try wait.cancel(why: "\(answer.status) on the server", status: answer.status == "expired" ? .expired : .cancelled)
                throw GateFailure(.tempFail, "request \(id) was \(answer.status) on the gate server")
            }
            indicator.update()
        }
    }

    /// Ctrl-C (or another handled signal): withdrawn on both sides, exit 75.
    private func interrupted(_ sig: Int32, _ indicator: WaitIndicator) -> GateFailure {
        indicator.clear()
        withdraw(why: "interrupted by signal \(sig)", status: .cancelled)
        return GateFailure(.tempFail, "cancelled: request \(wait.record.id) withdrawn")
    }

    /// Withdraws here (recorded) and, as far as the server can be reached, there.
    private func withdraw(why: String, status: RequestStatus = .expired) {
        do { try wait.cancel(why: why, status: status) } catch {
            System.write(2, "gate: error: the withdrawal could not be recorded: \(error)\n")
        }
        do { try client.cancel(wait.record, as: identity) } catch {
            System.write(2, "gate: warning: could not withdraw the request on the gate server: \(error)\n")
        }
    }
}
