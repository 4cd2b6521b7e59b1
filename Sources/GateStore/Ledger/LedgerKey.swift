import GateCore
import GateWire
import Glibc
import GateSystem

/// The host's ledger key, `$GATE_HOME/ledger.key`: it signs checkpoints unattended, so it is kept
/// without a passphrase, mode 0600, owned by the user who first needed it (SPEC.md §6.2). It is
/// made on first use, with the state database's write lock held so two processes cannot both
/// make one.
enum LedgerKey {
    static let fileName = "ledger.key"

    enum Outcome {
        case key(SigningIdentity)
        /// Someone else's key (a shared state directory): this process cannot sign. Not an error;
        /// the owner's next run signs a checkpoint covering these entries.
        case notOurs
        case unusable(String)
    }

    static func path(home: String) -> String { Paths.join(home, fileName) }

    /// Loads the key, or makes one when there is none and `mayCreate` (no key recorded yet).
    /// `forSigning`: the public key the file records is taken as it is, not derived from the
    /// secret; checkpoints are verified under it after signing (Checkpoints.signCheckpoint), so
    /// a secret that does not match it is found there, by the first checkpoint it signs.
    static func load(home: String, mayCreate: Bool, forSigning: Bool = false) -> Outcome {
        let path = path(home: home)
        guard let info = Files.info(path) else {
            guard mayCreate else {
                return .unusable("the ledger key \(path) is missing but the ledger names one; not signing with a new key")
            }
            return create(path)
        }
        if info.owner != System.euid { return .notOurs }
        do {
            let file = try KeyFiles.readSecretKeyFile(path)
            guard file.kdf == .none else { return .unusable("the ledger key \(path) is passphrase-protected; it must sign unattended") }
            if forSigning { return .key(try SigningIdentity(unverifiedKeyFile: file)) }
            return .key(try SigningIdentity(keyFile: file) { throw KeyFileError.passphraseRequired })
        } catch let f as GateFailure {
            return .unusable(f.message)
        } catch {
            return .unusable("\(path) is not a usable ledger key")
        }
    }

    private static func create(_ path: String) -> Outcome {
        let identity = SigningIdentity.generate(name: "ledger")
        do {
            let text = try identity.keyFile(passphrase: nil).text
            try Files.createExclusive(path, contents: text, mode: 0o600)
            return .key(identity)
        } catch let e as FileError {
            return .unusable("cannot create the ledger key \(path): \(e.message)")
        } catch {
            return .unusable("cannot create the ledger key \(path)")
        }
    }
}
