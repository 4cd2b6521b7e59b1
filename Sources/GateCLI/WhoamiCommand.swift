import ArgumentParser
import GateClient
import GateCore
import GateStore
import GateSystem
import GateWire

/// `gate whoami`: who gate thinks you are and what is in force, and why (which variable or
/// default chose it), so "why did it do that?" starts from facts. Reads; never writes, never
/// asks for a passphrase, never talks to a server or the daemon.
struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Say who you are to gate and which mode, state, policy, key and server are in force, and why.")

    @Flag(help: "Machine-readable output.") var json = false

    struct Line {
        var name: String
        var value: String
        var why: String
        var note: String = ""
    }

    func run() throws {
        var lines: [Line] = []
        let uid = System.uid
        let user = System.userName(uid: uid) ?? "uid:\(uid)"
        lines.append(Line(name: "user", value: "\(user) (uid \(uid))", why: "the unix user running gate: requests are filed as this user"))
        let agent = System.envNonEmpty("GATE_AGENT")
        lines.append(Line(name: "agent", value: agent ?? "none", why: agent == nil ? "GATE_AGENT is unset" : "GATE_AGENT; the requester is still \(user)"))
        let socket = System.envNonEmpty("GATE_SOCKET"), server = System.envNonEmpty("GATE_SERVER")
        let mode = socket != nil ? "daemon" : server != nil ? "remote" : "local"
        let modeWhy = socket != nil ? "GATE_SOCKET=\(socket!): run, list, show, log, approve and deny go through the gate daemon"
            : server != nil ? "GATE_SERVER=\(server!): requests and decisions go through the gate server; commands run here"
            : "neither GATE_SOCKET nor GATE_SERVER is set: this user's own state; the command runs as \(user)"
        lines.append(Line(name: "mode", value: mode, why: modeWhy))
        if socket == nil {
            let env = try GateEnvironment.current()
            let homeWhy = System.envNonEmpty("GATE_HOME") != nil ? "GATE_HOME" : System.envNonEmpty("XDG_STATE_HOME") != nil ? "default: $XDG_STATE_HOME/gate" : "default: ~/.local/state/gate"
            lines.append(Line(name: "state", value: env.home, why: homeWhy, note: Files.exists(env.databasePath) ? "" : "no state.db yet (made on first use)"))
            lines.append(policyLine(env.policyPath, why: System.envNonEmpty("GATE_POLICY") != nil ? "GATE_POLICY" : "default: $GATE_HOME/policy"))
        } else {
            lines.append(policyLine(GateEnvironment.daemonPolicyPath, why: "the daemon's policy (GATE_POLICY here, else /etc/gate/policy), as approve checks it"))
        }
        lines.append(keyLine(mode == "daemon" ? GateEnvironment.daemonPolicyPath : (try? GateEnvironment.current().policyPath) ?? ""))
        if let server {
            lines.append(Line(name: "server", value: server, why: "GATE_SERVER"))
            let key = RequesterKey.path()
            lines.append(Line(name: "requester key", value: key, why: System.envNonEmpty("GATE_REQUESTER_KEY") != nil ? "GATE_REQUESTER_KEY" : "default: ~/.config/gate/requester.key",
                              note: Files.exists(key) ? "" : "missing: requests to the server will be refused"))
        }
        if json {
            System.write(1, JSON.object(lines.map { (String($0.name.map { $0 == " " ? "_" : $0 }),
                                                    .object([("value", .string($0.value)), ("why", .string($0.why)), ("note", .string($0.note))])) })
                .serialized(pretty: true) + "\n")
        } else {
            var out = ""
            for l in lines {
                out += l.name + String(repeating: " ", count: max(1, 14 - l.name.count)) + ShellQuote.inert(l.value) + "  (\(ShellQuote.inert(l.why)))\n"
                if !l.note.isEmpty { out += String(repeating: " ", count: 14) + ShellQuote.inert(l.note) + "\n" }
            }
            System.write(1, out)
        }
    }

    private func policyLine(_ path: String, why: String) -> Line {
        var line = Line(name: "policy", value: path, why: why)
        guard Files.exists(path) else { line.note = "missing: gate refuses to run without one"; return line }
        do {
            let p = try PolicyLoader.load(path)
            line.note = "ok: \(p.approvers.count) approvers, \(p.rules.count) rules, digest \(Hex.encode(p.digest).prefix(16))…"
        } catch let f as GateFailure {
            line.note = "refused: \(f.message)"
        } catch {
            line.note = "refused: \(error)"
        }
        return line
    }

    private func keyLine(_ policyPath: String) -> Line {
        let path = KeyFiles.defaultPath(nil)
        var line = Line(name: "key", value: path, why: System.envNonEmpty("GATE_KEY") != nil ? "GATE_KEY" : "default: ~/.config/gate/key (approve and deny also take --key)")
        guard Files.exists(path) else { line.note = "no key file: you cannot approve with it (gate keygen makes one)"; return line }
        guard let file = try? KeyFiles.readSecretKeyFile(path) else { line.note = "not a usable secret key (gate approve says why)"; return line }
        var note = "key \(file.keyID) named \(file.name)"
        if let policy = try? PolicyLoader.load(policyPath) {
            if let (approver, _) = policy.approver(forKey: file.keyID) {
                note += "; the policy's approver \(approver.name) (user \(approver.user))"
                if approver.user != (System.userName(uid: System.uid) ?? "") { note += ": note, not you (\(System.userName(uid: System.uid) ?? "?"))" }
            } else {
                note += "; the policy does not name this key: its approvals would not count"
            }
        }
        line.note = note
        return line
    }
}
