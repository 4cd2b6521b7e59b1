/// What a policy says about the context of a request (issue 4): commands whose output an approver
/// sees, files and variables bound into the intent, and which variables are captured for display.
extension Policy {
    /// `context NAME [timeout=D] [max=SIZE] [required] -- ARGV…`: run before asking, without a
    /// shell; `{N}` in a word is the request's argv[N].
    public struct ContextProvider: Sendable, Equatable {
        public var name: String
        public var argv: [String]
        public var timeoutSeconds: UInt64 = 30
        public var maxBytes: Int = 1 << 20
        /// A failure (non-zero exit, timeout, not found) blocks the request instead of being shown.
        public var required = false
        public var line: Int

        /// The provider's argv for a request, or nil when it names an argument the request lacks.
        public func expand(for request: [String]) -> [String]? {
            var out: [String] = []
            for word in argv {
                guard let w = Policy.substitute(word, request) else { return nil }
                out.append(w)
            }
            return out
        }
    }

    /// What a rule binds into the intent: files whose digest must not change before the run.
    public enum BindTarget: Sendable, Equatable {
        case argument(Int)  // `bind={2}`: the file argv[2] names
        case path(String)   // `bind=FILE`: a fixed path (relative to the request's cwd)

        public func path(for request: [String]) -> String? {
            switch self {
            case .argument(let n): return n < request.count ? request[n] : nil
            case .path(let p): return p
            }
        }
    }

    /// Variables captured with every request when present (values of secret-looking ones are
    /// never stored in clear). `env NAME…` in the policy adds names; a trailing `*` is a prefix.
    public static let defaultEnvironmentAllowlist = [
        "TF_WORKSPACE", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "KUBECONFIG", "KUBE_CONTEXT", "CI",
        "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_SHA", "GITHUB_REF", "GITHUB_ACTOR",
        "GITHUB_WORKFLOW", "CI_PIPELINE_ID", "CI_JOB_ID", "CI_COMMIT_SHA", "BUILDKITE_BUILD_ID",
    ]

    public func capturesVariable(_ name: String) -> Bool {
        for pattern in Self.defaultEnvironmentAllowlist + environmentAllowlist {
            if pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern { return true }
        }
        return false
    }

    /// `{N}` replaced by request[N]; `{{` and `}}` are literal braces. Nil if N is out of range.
    static func substitute(_ word: String, _ request: [String]) -> String? {
        guard word.contains("{") || word.contains("}") else { return word }
        var out = ""
        var chars = word[...]
        while let c = chars.first {
            chars.removeFirst()
            if c == "{" && chars.first == "{" { chars.removeFirst(); out.append("{"); continue }
            if c == "}" && chars.first == "}" { chars.removeFirst(); out.append("}"); continue }
            guard c == "{" else { out.append(c); continue }
            let digits = chars.prefix { $0.isASCII && $0.isNumber }
            chars.removeFirst(digits.count)
            guard !digits.isEmpty, chars.first == "}", let n = Int(digits), n < request.count else { return nil }
            chars.removeFirst()
            out += request[n]
        }
        return out
    }
}
