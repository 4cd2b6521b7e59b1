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
    /// Kept by default: what terraform, kubectl, the cloud CLIs and ordinary programs need in CI
    /// and on a terminal. A trailing `*` is a prefix.
    public static let defaultKeep = [
        "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "NO_COLOR", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR",
        "CI", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_SHA", "GITHUB_REF", "GITHUB_ACTOR",
        "GITHUB_WORKFLOW", "CI_PIPELINE_ID", "CI_JOB_ID", "CI_COMMIT_SHA", "BUILDKITE_BUILD_ID",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "TF_WORKSPACE", "TF_VAR_*", "TF_IN_AUTOMATION", "TF_INPUT", "TF_DATA_DIR", "TF_LOG", "TF_LOG_PATH",
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
        "TF_CLI_ARGS*", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "GIT_*", "SSH_ASKPASS*", "SUDO_ASKPASS", "JAVA_TOOL_OPTIONS",
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

    public static func isDangerous(_ name: String) -> Bool { dangerous.contains { matches($0, name) } }

    /// The names a rule names exactly (and so may let a dangerous variable through).
    static func named(by options: Policy.Options) -> Set<String> {
        Set(options.keepEnvironment.filter { !$0.hasSuffix("*") } + options.bindEnvironment)
    }

    /// Whether `name` passes to the child under this policy and rule.
    public static func keeps(_ name: String, policy: Policy, options: Policy.Options) -> Bool {
        if named(by: options).contains(name) { return true }
        if isDangerous(name) { return false }
        for pattern in defaultKeep + policy.environmentAllowlist + options.keepEnvironment where matches(pattern, name) { return true }
        return false
    }

    /// The child's environment, in `current`'s order: the kept variables, and PATH set to the
    /// policy's trusted path unless the rule keeps the requester's. Names that are not
    /// well-formed (empty, or with `=`) never pass.
    public static func childEnvironment(_ current: [(name: String, value: String)], policy: Policy,
                                        options: Policy.Options) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        var seen = Set<String>()
        for (name, value) in current where !name.isEmpty && !seen.contains(name) && keeps(name, policy: policy, options: options) {
            seen.insert(name)  // the first of a duplicated name, which is the one getenv(3) returns
            out.append((name, value))
        }
        if !seen.contains("PATH") { out.append(("PATH", policy.trustedPath.joined(separator: ":"))) }
        return out
    }
}
