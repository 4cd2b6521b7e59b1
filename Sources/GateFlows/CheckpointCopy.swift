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

    /// At most this many entries go with one copy; a longer way from the copy held goes in
    /// steps, through the checkpoints between (one is signed at least every 100 entries).
    static let entriesPerCopy: Int64 = 1_000

    /// Sends the newest checkpoint, with the entries since the copy the server holds (the proof
    /// that it extends that copy, SPEC.md §9.3); returns the server's last answer (nil when there
    /// is no checkpoint yet).
    public static func send(store: Store, client: RemoteClient, as identity: SigningIdentity, timeoutSeconds: Double = 5) throws -> JSON? {
        guard let newest = try store.newestCheckpoint(), let ledgerKey = try store.recordedLedgerKey() else { return nil }
        let held = try client.newestCheckpoint(ledger: newest.body.ledgerID)
        var heldSize = held?["size"]?.intValue ?? 0
        // Nothing held: the first copy is taken as it is (there is nothing to extend).
        if held == nil || heldSize >= newest.body.size {
            return try client.sendCheckpoint(newest, ledgerKey: ledgerKey, as: identity, timeoutSeconds: timeoutSeconds)
        }
        var answer: JSON?
        while heldSize < newest.body.size {
            let step = newest.body.size - heldSize <= entriesPerCopy ? newest
                : try store.checkpoint(above: heldSize, atMost: heldSize + entriesPerCopy) ?? newest
            let entries = try store.entries(after: heldSize, through: step.body.size)
            answer = try client.sendCheckpoint(step, ledgerKey: ledgerKey, entries: entries, as: identity, timeoutSeconds: timeoutSeconds)
            heldSize = step.body.size
        }
        return answer
    }

    /// A copy the server holds: the checkpoint, the key it holds the ledger to, who sent it
    /// (name and requester key id) and when.
    public struct HeldCopy {
        public var checkpoint: SignedCheckpoint
        public var key: PublicKey
        public var from: String
        public var fromKey: KeyID?
        public var receivedMicros: Int64
    }

    /// Every copy the server holds for this ledger, oldest first (the newest is the last), in one
    /// request; none is an error.
    public static func fetch(store: Store, client: RemoteClient) throws -> [HeldCopy] {
        let ledger = try store.ledgerID()
        let copies = try client.allCheckpoints(ledger: ledger)
        guard !copies.isEmpty else {
            throw GateFailure(.unavailable, "the gate server at \(client.url) holds no checkpoint of ledger \(ledger)",
                              hint: "copies are sent after runs in remote mode, or with 'gate audit checkpoint --server URL'")
        }
        return try copies.map { j in
            do {
                return HeldCopy(checkpoint: try SignedCheckpoint(parsing: j["checkpoint"]?.stringValue ?? ""),
                                key: try PublicKey(text: j["ledger_key"]?.stringValue ?? ""), from: j["from"]?.stringValue ?? "?",
                                fromKey: j["requester_key"]?.stringValue.flatMap { try? PublicKey(text: $0) }?.id,
                                receivedMicros: j["received_us"]?.intValue ?? 0)
            } catch {
                throw GateFailure(.dataError, "the gate server at \(client.url) sent a malformed checkpoint copy: \(error)")
            }
        }
    }
}

extension RequesterKey {
    /// The requester key's id, read from the key file's clear part (no passphrase), if there is one.
    public static func keyIDWithoutPrompt() -> KeyID? {
        let p = path()
        guard Files.exists(p), let file = try? KeyFiles.readSecretKeyFile(p) else { return nil }
        return file.keyID
    }

    /// The requester key if it exists and is not passphrase-protected; nil otherwise.
    static func loadWithoutPrompt() -> SigningIdentity? {
        let p = path()
        guard Files.exists(p), let file = try? KeyFiles.readSecretKeyFile(p) else { return nil }
        struct NeedsPassphrase: Error {}
        return try? SigningIdentity(keyFile: file) { throw NeedsPassphrase() }
    }
}
