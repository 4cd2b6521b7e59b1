import GateCore
import GateWire
import GateSystem
import GateStore
import GateClient

/// Sending a host's newest checkpoint to the gate server (issue 6): the off-host copy that the
/// host's own users cannot rewrite, later compared by `gate audit verify --from-server`.
public enum CheckpointCopy {
    /// After a run in remote mode: best effort, short, never changes the run's outcome. Uses the
    /// requester key only if it opens without a passphrase (no prompt after a command ran).
    static func sendAfterRun(store: Store, server option: String?, identity: SigningIdentity?) {
        guard let client = try? RemoteClient.configured(option) else { return }
        guard let key = identity ?? RequesterKey.loadWithoutPrompt() else { return }
        // Two seconds at most: the command has already run, and its caller is waiting.
        do { _ = try send(store: store, client: client, as: key, timeoutSeconds: 2) } catch {
            System.write(2, "gate: warning: the ledger checkpoint was not copied to the gate server: \(error)\n")
        }
    }

    /// Sends the newest checkpoint; returns the server's answer (nil when there is none yet).
    public static func send(store: Store, client: RemoteClient, as identity: SigningIdentity, timeoutSeconds: Double = 5) throws -> JSON? {
        guard let checkpoint = try store.newestCheckpoint(), let ledgerKey = try store.recordedLedgerKey() else { return nil }
        return try client.sendCheckpoint(checkpoint, ledgerKey: ledgerKey, as: identity, timeoutSeconds: timeoutSeconds)
    }

    /// The server's newest copy for this ledger, with the key it holds the ledger to.
    public static func fetch(store: Store, client: RemoteClient) throws -> (checkpoint: SignedCheckpoint, key: PublicKey, from: String, receivedMicros: Int64) {
        let ledger = try store.ledgerID()
        guard let j = try client.newestCheckpoint(ledger: ledger) else {
            throw GateFailure(.unavailable, "the gate server at \(client.url) holds no checkpoint of ledger \(ledger)",
                              hint: "copies are sent after runs in remote mode, or with 'gate audit checkpoint --server URL'")
        }
        do {
            return (try SignedCheckpoint(parsing: j["checkpoint"]?.stringValue ?? ""), try PublicKey(text: j["ledger_key"]?.stringValue ?? ""),
                    j["from"]?.stringValue ?? "?", j["received_us"]?.intValue ?? 0)
        } catch {
            throw GateFailure(.dataError, "the gate server at \(client.url) sent a malformed checkpoint copy: \(error)")
        }
    }
}

extension RequesterKey {
    /// The requester key if it exists and is not passphrase-protected; nil otherwise.
    static func loadWithoutPrompt() -> SigningIdentity? {
        let p = path()
        guard Files.exists(p), let file = try? KeyFiles.readSecretKeyFile(p) else { return nil }
        struct NeedsPassphrase: Error {}
        return try? SigningIdentity(keyFile: file) { throw NeedsPassphrase() }
    }
}
