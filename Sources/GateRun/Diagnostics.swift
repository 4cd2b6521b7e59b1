import GateSystem

/// gate's own lines on stderr. Messages often quote what a request or token carried (a comment,
/// a request id, a path), so every message is made inert here, once, for all of them: a control
/// character is shown as \xNN and cannot act on the terminal or break the one-line format.
package enum Diagnostics {
    package static func error(_ message: String, hint: String? = nil) {
        let color = System.useColor(fd: 2)
        let label = color ? "\u{1b}[1;31merror\u{1b}[0m" : "error"
        var text = "gate: \(label): \(ShellQuote.inert(message))\n"
        if let hint { text += "gate: hint: \(ShellQuote.inert(hint))\n" }
        System.write(2, text)
    }

    package static func warning(_ message: String) {
        let label = System.useColor(fd: 2) ? "\u{1b}[1;33mwarning\u{1b}[0m" : "warning"
        System.write(2, "gate: \(label): \(ShellQuote.inert(message))\n")
    }

    package static func note(_ message: String) { System.write(2, "gate: \(ShellQuote.inert(message))\n") }
}
