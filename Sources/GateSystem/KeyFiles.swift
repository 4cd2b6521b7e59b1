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
        try FileSafety.checkSecretKey(path)
        let text: String
        do { text = try Files.readText(path, limit: 65536) } catch let e as FileError {
            throw GateFailure.config("cannot read key file: \(e)")
        }
        do { return try SecretKeyFile(parsing: text) } catch let e as WireError {
            throw GateFailure.config("\(path) is not a valid gate secret key: \(e.description)")
        }
    }

    public static func unlock(_ file: SecretKeyFile, path: String) throws -> SigningIdentity {
        do {
            return try SigningIdentity(keyFile: file) {
                try Terminal.passphrase(prompt: "passphrase for \(file.name) (key \(file.keyID)): ")
            }
        } catch KeyFileError.wrongPassphrase {
            throw GateFailure.config("wrong passphrase for \(path) (or the file is damaged)")
        } catch let KeyFileError.malformed(m) {
            throw GateFailure.config("\(path): \(m)")
        } catch let KeyFileError.inconsistent(m) {
            throw GateFailure.config("\(path): \(m)")
        } catch is Terminal.Cancelled {
            throw GateFailure(.tempFail, "cancelled")
        }
    }
}
