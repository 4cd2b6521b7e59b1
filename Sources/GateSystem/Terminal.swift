import Glibc

/// Talking to a person at a terminal: passphrases without echo, and the waiting indicator.
public enum Terminal {
    public struct Cancelled: Error {}

    /// Reads a line from /dev/tty with echo and signals off; Ctrl-C (read as a byte) cancels,
    /// and the terminal is restored on every path.
    public static func readSecret(prompt: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            throw GateFailure.config("no terminal to ask for the passphrase",
                                     hint: "set GATE_PASSPHRASE_FILE to a file (mode 0600) holding it")
        }
        defer { close(fd) }
        var saved = termios()
        let haveTermios = tcgetattr(fd, &saved) == 0
        if haveTermios {
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ECHO | ISIG)
            raw.c_lflag |= tcflag_t(ICANON)
            tcsetattr(fd, TCSAFLUSH, &raw)
        }
        defer {
            if haveTermios { tcsetattr(fd, TCSAFLUSH, &saved) }
            System.write(fd, "\n")
        }
        System.write(fd, prompt)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == 10 || byte == 13 { break }
            if byte == 3 { throw Cancelled() }  // Ctrl-C
            line.append(byte)
            if line.count > 4096 { break }
        }
        return line
    }

    /// A line for the person at the terminal (where the passphrase is asked), else stderr.
    public static func say(_ text: String) {
        let fd = open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY)
        System.write(fd >= 0 ? fd : 2, text)
        if fd >= 0 { close(fd) }
    }

    /// The passphrase for a key: from `GATE_PASSPHRASE_FILE` (first line; the file must be private)
    /// or asked at the terminal.
    public static func passphrase(prompt: String) throws -> [UInt8] {
        if let file = System.envNonEmpty("GATE_PASSPHRASE_FILE") {
            if let info = Files.info(file), info.mode & 0o077 != 0 {
                throw GateFailure.config("passphrase file \(file) is accessible by group or others; refusing to use it",
                                         hint: "chmod 600 \(file)")
            }
            let text: String
            do { text = try Files.readText(file, limit: 65536) } catch let e as FileError {
                throw GateFailure.config("cannot read passphrase file: \(e)")
            }
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return Array((line.hasSuffix("\r") ? String(line.dropLast()) : line).utf8)
        }
        return try readSecret(prompt: prompt)
    }
}

/// Progress while waiting: a spinner with elapsed time on a terminal, a plain line every minute
/// otherwise (CI logs).
public final class WaitIndicator {
    private let fd: Int32 = 2
    private let interactive: Bool
    private let start = System.monotonicNanos()
    private var frame = 0
    private var lastPlainMinute = 0
    /// What is waited for; the wait updates it as approvals arrive ("1 of 2 (alice)").
    public var label: String
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    public init(label: String) {
        self.label = label
        interactive = System.isTerminal(2) && System.env("TERM") != "dumb"
    }

    public var tickMilliseconds: Int32 { interactive ? 100 : 1000 }

    public func update() {
        let elapsed = Int((System.monotonicNanos() - start) / 1_000_000_000)
        if interactive {
            frame = (frame + 1) % Self.frames.count
            let clock = String(format2: elapsed / 60) + ":" + String(format2: elapsed % 60)
            System.write(fd, "\r\u{1b}[K\(Self.frames[frame]) \(label) \(clock)")
        } else if elapsed / 60 > lastPlainMinute {
            lastPlainMinute = elapsed / 60
            System.write(fd, "gate: still \(label) (\(lastPlainMinute)m)\n")
        }
    }

    public func clear() {
        if interactive { System.write(fd, "\r\u{1b}[K") }
    }
}

extension String {
    init(format2 v: Int) { self = v < 10 ? "0\(v)" : "\(v)" }
}
