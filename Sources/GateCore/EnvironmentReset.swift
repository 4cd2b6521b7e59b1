import GateWire
/// What reaches the approved command's environment (SPEC.md §2.2), decided without I/O: the
/// environment is reset as sudo's `env_reset` does. Only variables the policy keeps pass, and
/// each one that passes is bound into the intent (its name shown, its value — or a keyed hash
/// of a secret — covered by the digest), so an approver approves the environment too.
///
/// Kept: the default list below, the policy's `env NAME…` statement, and the matching rule's
/// `keep-env=` and `bind-env=`. Never kept unless the rule names them exactly (`keep-env=NAME` or
/// `bind-env=NAME`): variables that make a program load or run other code (loader, shell,
/// interpreter and tool-injection variables), and PATH, which the child gets from the policy's
/// `trusted-path` instead.
public enum EnvironmentReset {
    /// A time zone or locale variable whose value glibc could take as a file to load (sudo's
    /// rule: a `/`, a `%` or a `..` in it; LOCPATH is always one). Such a value crosses to no
    /// other user's command (RunAs) and never reaches the daemon's root worker (DaemonWorker).
    public static func pointsLocaleAtAFile(name: String, value: Substring) -> Bool {
        if name == "LOCPATH" { return true }
        guard name == "TZ" || name == "LANG" || name == "LANGUAGE" || name.hasPrefix("LC_") else { return false }
        // Bytes, not Characters: `/` followed by a combining mark is one Character to Swift but
        // a `/` to glibc (found by this session's attack round).
        var previous: UInt8 = 0
        for b in value.utf8 {
            if b == UInt8(ascii: "/") || b == UInt8(ascii: "%") || (b == UInt8(ascii: ".") && previous == b) { return true }
            previous = b
        }
        return false
    }

    /// One variable. A struct rather than a tuple: arrays of tuples need their type metadata
    /// built at run time, which cost an allowed run ~0.5 M instructions (callgrind).
    public struct Variable: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// Kept by default: what terraform, kubectl, the cloud CLIs and ordinary programs need in CI
    /// and on a terminal. A trailing `*` is a prefix.
    public static let defaultKeep = [
        "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "NO_COLOR", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR",
        "CI", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_SHA", "GITHUB_REF", "GITHUB_ACTOR",
        "GITHUB_WORKFLOW", "CI_PIPELINE_ID", "CI_JOB_ID", "CI_COMMIT_SHA", "BUILDKITE_BUILD_ID",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "TF_WORKSPACE", "TF_VAR_*", "TF_IN_AUTOMATION", "TF_INPUT", "TF_LOG", "TF_LOG_PATH",
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "KUBECONFIG", "KUBE_CONTEXT",
        "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT",
        "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_SUBSCRIPTION_ID", "ARM_TENANT_ID", "ARM_USE_OIDC",
    ]

    /// Variables that inject code or change what runs: never kept by a default, a pattern or the
    /// `env` statement, only by a rule naming them exactly. A trailing `*` is a prefix.
    public static let dangerous = [
        "PATH", "LD_*", "DYLD_*", "GCONV_PATH", "GLIBC_TUNABLES", "MALLOC_*", "LOCPATH", "NLSPATH", "HOSTALIASES",
        "RESOLV_HOST_CONF", "BASH_ENV", "ENV", "BASH_FUNC_*", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS",
        "CDPATH", "GLOBIGNORE", "ZDOTDIR", "PYTHON*", "PERL*", "RUBY*", "GEM_*", "BUNDLE_*", "NODE_*", "NPM_CONFIG_*",
        "TF_CLI_ARGS*", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR", "GIT_*", "SSH_ASKPASS*", "SUDO_ASKPASS", "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "DOTNET_STARTUP_HOOKS", "CORECLR_*", "COMPlus_*",
        "GOFLAGS", "RUSTC_WRAPPER", "LUA_*", "TCLLIBPATH", "PHPRC", "PHP_INI_SCAN_DIR", "OPENSSL_CONF", "OPENSSL_ENGINES",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE",
        "EDITOR", "VISUAL", "PAGER", "KUBE_EDITOR", "LESSOPEN", "LESSCLOSE", "TERMINFO", "TERMINFO_DIRS",
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "KUBECTL_EXTERNAL_DIFF", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS",
        "GATE_*",
    ]

    static func matches(_ pattern: String, _ name: String) -> Bool {
        pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }

    /// The two built-in lists as bytes: this runs for every variable of every command, and
    /// String prefix tests on ~100 patterns cost more than the rest of an allowed run's
    /// bookkeeping (callgrind).
    static let defaultKeepPatterns = NamePatterns(defaultKeep)
    static let dangerousPatterns = NamePatterns(dangerous)

    public static func isDangerous(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { dangerousPatterns.matches($0) }
    }

    /// Whether `name` passes to the child under this policy and rule.
    public static func keeps(_ name: String, policy: Policy, options: Policy.Options) -> Bool {
        var name = name
        let extra = NamePatterns(policy.environmentAllowlist + options.keepEnvironment)
        let named = NamePatterns(options.bindEnvironment + options.keepEnvironment.filter { !$0.hasSuffix("*") })
        return name.withUTF8 { keeps($0, named: named, extra: extra) }
    }

    /// `named`: what the rule names exactly; `extra`: the policy's and the rule's patterns.
    static func keeps(_ name: UnsafeBufferPointer<UInt8>, named: NamePatterns, extra: NamePatterns) -> Bool {
        if named.matches(name) { return true }
        if dangerousPatterns.matches(name) { return false }
        return defaultKeepPatterns.matches(name) || extra.matches(name)
    }

    /// The child's environment, in `current`'s order: the kept variables, and PATH set to the
    /// policy's trusted path unless the rule keeps the requester's. Empty names never pass.
    public static func childEnvironment(_ current: [Variable], policy: Policy, options: Policy.Options) -> [Variable] {
        var out: [Variable] = []
        out.reserveCapacity(current.count)
        var sawPATH = false
        var seen = Set<String>()
        let extra = NamePatterns(policy.environmentAllowlist + options.keepEnvironment)
        let named = NamePatterns(options.bindEnvironment + options.keepEnvironment.filter { !$0.hasSuffix("*") })
        for v in current where !v.name.isEmpty {
            var name = v.name
            guard name.withUTF8({ keeps($0, named: named, extra: extra) }) else { continue }
            // The first of a duplicated name, which is the one getenv(3) returns.
            guard seen.insert(name).inserted else { continue }
            if name == "PATH" { sawPATH = true }
            out.append(v)
        }
        if !sawPATH { out.append(Variable("PATH", policy.trustedPATH)) }
        return out
    }
}

/// Variable-name patterns (a trailing `*` is a prefix) matched on UTF-8 bytes.
struct NamePatterns: Sendable {
    struct Pattern: Sendable {
        var bytes: [UInt8]
        var prefix: Bool
    }
    let patterns: [Pattern]

    init(_ texts: [String]) {
        patterns = texts.map { t in t.hasSuffix("*") ? Pattern(bytes: Array(t.utf8.dropLast()), prefix: true) : Pattern(bytes: Array(t.utf8), prefix: false) }
    }

    func matches(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = name.first else { return false }
        for p in patterns where p.bytes.first == first || p.bytes.isEmpty {
            if p.prefix ? (name.count >= p.bytes.count && name.prefix(p.bytes.count).elementsEqual(p.bytes)) : name.elementsEqual(p.bytes) {
                return true
            }
        }
        return false
    }
}
