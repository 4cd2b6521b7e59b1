import GateCore
import GateWire

/// One line per outcome to syslog, when the policy asks for it (filled in below).
enum Syslog {
    static func checkpoint(_ checkpoint: SignedCheckpoint) {}
}
