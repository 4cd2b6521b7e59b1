import GateCore
import GateWire

public enum KeyFiles {
    /// `--key`, else `$GATE_KEY`, else `~/.config/gate/key`.
    public static func defaultPath(_ option: String?) -> String {
        if let o = option { return Paths.expandTilde(o) }
        if let e = System.envNonEmpty("GATE_KEY") { return Paths.expandTilde(e) }
        let config = System.envNonEmpty("XDG_CONFIG_HOME") ?? Paths.join(System.homeDirectory() ?? "/", ".config")
        return Paths.join(config, "gate/key")
    }

    /// Reads and parses a secret key file, refusing loose permissions. No passphrase yet: callers
    /// check the key id against the policy first, so a wrong key is reported before any prompt.
    public static func readSecretKeyFile(_ path: String) throws -> SecretKeyFile {
        guard Files.exists(path) else {
            throw GateFailure.config("no secret key at \(path)", hint: "pass --key FILE, or create one with 'gate keygen'")
        }
        // A public key passed by mistake gets its own message, not a complaint about its mode.
        func publicKeyPassed(_ text: String?) -> GateFailure? {
            guard let text, text.hasPrefix("gatepk1:") else { return nil }
            let secret = path.hasSuffix(".pub") ? String(path.dropLast(4)) : "the file keygen wrote without .pub"
            return GateFailure.config("\(path) is a public key; pass the secret key file", hint: "--key \(secret)")
        }
        do { try FileSafety.checkSecretKey(path) } catch {
            throw publicKeyPassed(try? Files.readText(path, limit: 65536)) ?? error
        }
        // Read once, after the check (the ledger key is read on every run).
        let text: String
        do { text = try Files.readText(path, limit: 65536) } catch let e as FileError {
            throw GateFailure.config("cannot read key file: \(e)")
        }
        if let wrong = publicKeyPassed(text) { throw wrong }
        do { return try SecretKeyFile(parsing: text) } catch let e as WireError {
            throw GateFailure.config("\(path) is not a valid gate secret key: \(e.description)")
        }
    }

    /// At a terminal a mistyped passphrase is asked again, three tries in all (as sudo does); a
    /// passphrase file is read once: a wrong one will not get better.
    public static func unlock(_ file: SecretKeyFile, path: String) throws -> SigningIdentity {
        let tries = System.envNonEmpty("GATE_PASSPHRASE_FILE") == nil ? 3 : 1
        var attempt = 0
        do {
            while true {
                attempt += 1
                do {
                    return try SigningIdentity(keyFile: file) {
                        try Terminal.passphrase(prompt: "passphrase for \(file.name) (key \(file.keyID)): ")
                    }
                } catch KeyFileError.wrongPassphrase where attempt < tries {
                    Terminal.say("gate: wrong passphrase; try again (\(tries - attempt) left)\n")
                }
            }
        } catch KeyFileError.wrongPassphrase {
            throw GateFailure.config(tries > 1 ? "\(tries) incorrect passphrase attempts for \(path)" : "wrong passphrase for \(path) (or the file is damaged)",
                                     hint: tries > 1 ? nil : "GATE_PASSPHRASE_FILE names the file read; check its first line")
        } catch let KeyFileError.malformed(m) {
            throw GateFailure.config("\(path): \(m)")
        } catch let KeyFileError.inconsistent(m) {
            throw GateFailure.config("\(path): \(m)")
        } catch is Terminal.Cancelled {
            throw GateFailure(.tempFail, "cancelled")
        }
    }
}
