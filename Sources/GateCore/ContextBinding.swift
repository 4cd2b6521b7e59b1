import GateWire

/// Whether the context a request carries (its providers' outputs, by digest) is the context its
/// intent binds (SPEC.md §2): the outputs a page or `gate show` displays must be the ones an
/// approval signs. A request whose stored context was edited after filing fails here.
public enum ContextBinding {
    /// nil when every provider output named in `context` is bound by `intent` under its name,
    /// and every bound output is named; else what differs.
    public static func problem(intent: Intent, context: JSON) -> String? {
        var named: [Intent.ShownOutput] = []
        for p in context["providers"]?.arrayValue ?? [] {
            guard let name = p["name"]?.stringValue, let hex = p["digest"]?.stringValue, let digest = try? Hex.decode(hex) else {
                return "a context output has no name or digest"
            }
            named.append(Intent.ShownOutput(name: name, digest: digest))
        }
        named.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        if intent.shown.isEmpty && named.isEmpty { return nil }
        guard named == intent.shown else {
            let bound = Set(intent.shown.map { "\($0.name) \(Hex.encode($0.digest).prefix(12))" })
            let shown = named.map { "\($0.name) \(Hex.encode($0.digest).prefix(12))" }
            let odd = shown.first { !bound.contains($0) } ?? bound.sorted().first ?? "?"
            return "the context output \(odd)… is not the one the intent binds"
        }
        return nil
    }
}
