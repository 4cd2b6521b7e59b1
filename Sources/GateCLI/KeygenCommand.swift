import ArgumentParser
import GateCore
import GateWire
import GateSystem
import GateStore
import GateRun

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an approver key pair (Ed25519; the secret key is passphrase-encrypted).",
        discussion: "Prints the public key on standard output and the policy line to add on standard error."
    )

    @Option(help: "The approver's name, as the policy will call them.")
    var name: String

    @Option(help: ArgumentHelp("Where to write the secret key (default: $GATE_KEY or ~/.config/gate/key); the public key goes to FILE.pub.", valueName: "file"))
    var out: String?

    @Option(help: "The unix user who owns this key, for the policy line (default: you).")
    var user: String?

    @Flag(help: "Store the secret key unencrypted (for robots and tests only).")
    var noPassphrase = false

    func run() throws {
        guard PolicyNames.isValid(name) else {
            throw GateFailure.usage("--name '\(name)' must be letters, digits, '-', '_', '.' or '@'")
        }
        let path = KeyFiles.defaultPath(out)
        if Files.exists(path) {
            throw GateFailure.usage("\(path) already exists; gate never overwrites a key", hint: "choose another --out, or move the old key away")
        }
        var passphrase: [UInt8]? = nil
        if noPassphrase {
            Diagnostics.warning("writing an unencrypted secret key; anyone who can read \(path) can approve as \(name)")
        } else {
            let first = try readPassphrase(prompt: "passphrase for the new key: ")
            guard !first.isEmpty else {
                throw GateFailure.usage("empty passphrase", hint: "use --no-passphrase for an unencrypted key")
            }
            if System.envNonEmpty("GATE_PASSPHRASE_FILE") == nil {
                let again = try readPassphrase(prompt: "again: ")
                guard again == first else { throw GateFailure.usage("the passphrases differ; nothing was written") }
            }
            passphrase = first
        }
        let identity = SigningIdentity.generate(name: name)
        let file = try identity.keyFile(passphrase: passphrase)
        // The signer checks its own output: the file must open to the same key.
        let reopened = try SigningIdentity(keyFile: try SecretKeyFile(parsing: file.text)) { passphrase ?? [] }
        guard reopened.publicKey == identity.publicKey else { throw GateFailure.internalError("key file did not round-trip") }
        do {
            try Files.makeDirectories(Paths.parent(of: path), mode: 0o700)
            try Files.createExclusive(path, contents: file.text, mode: 0o600)
            // The key alone on the first line, so that `key=$(cat FILE.pub)` pastes the key (the
            // name follows as a comment line, which a policy ignores).
            try Files.createExclusive(path + ".pub", contents: identity.publicKey.text + "\n# gate public key of \(name), key id \(identity.publicKey.id)\n", mode: 0o644)
        } catch let e as FileError {
            throw GateFailure.config("cannot write key: \(e)")
        }
        let owner = user ?? System.userName(uid: System.uid) ?? name
        if user == nil && System.uid == 0 {
            Diagnostics.warning("you are root, so the policy line says user=root: approvals with this key never count for root's own requests (no one approves their own); pass --user for the person who will hold the key")
        }
        System.write(1, identity.publicKey.text + "\n")
        Diagnostics.note("key id \(identity.publicKey.id); secret key in \(path) (mode 0600), public key in \(path).pub")
        Diagnostics.note("add to the policy: approver \(name) user=\(owner) key=\(identity.publicKey.text)")
    }

    private func readPassphrase(prompt: String) throws -> [UInt8] {
        do { return try Terminal.passphrase(prompt: prompt) } catch is Terminal.Cancelled {
            throw GateFailure(.tempFail, "cancelled")
        }
    }
}

enum PolicyNames {
    static func isValid(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46 || c == 64
        }
    }
}

