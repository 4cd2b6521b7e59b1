#compdef gate

__gate_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__gate_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __gate_complete "${completions[@]:0:-1}"
    fi
}

__gate_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_gate() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'run:Run a command once the policy'\''s approvals are verified (the default: gate -- CMD).'
            'keygen:Create an approver key pair (Ed25519; the secret key is passphrase-encrypted).'
            'list:List what approvers can act on: pending requests and break-glass runs to review (newest first).'
            'show:Show everything about one request.'
            'approve:Approve a request: sign a token bound to its exact intent.'
            'deny:Deny a request (signed, recorded).'
            'review:Sign the after-review of a break-glass run (it then leaves '\''gate list'\'').'
            'status:Say where one request stands: pending, approved (ready to run), denied, ran, withdrawn.'
            'wait:Wait for a decision on a request, without running it.'
            'cancel:Withdraw your pending request (recorded); its approvals can no longer run it.'
            'whoami:Say who you are to gate and which mode, state, policy, key and server are in force, and why.'
            'log:Show the audit ledger: who asked, who decided, what ran.'
            'mcp:Serve gate to an agent host over MCP on stdio (tools: run, explain, status).'
            'hook:Agent hooks: judge an agent'\''s tool call by gate'\''s policy before it runs.'
            'audit:Check and export the audit ledger.'
            'policy:Check a policy, or explain what it says about a command.'
            'serve:Run the gate server (remote approvals): gate serve --listen 127.0.0.1:8780 --state DIR.'
            'daemon:Run the gate daemon in the foreground (enforcing mode: commands run as the policy'\''s as= user).'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        run|keygen|list|show|approve|deny|review|status|wait|cancel|whoami|log|mcp|hook|audit|policy|serve|daemon|help)
            "_gate_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_gate_run() {
    local -i ret=1
    local -ar arg_specs=(
        '--reason[Why you are running this; shown to approvers and recorded.]:reason:'
        '--ticket[A change or incident ticket (e.g. CHG-1234); shown to approvers, recorded, and required where the policy says '\''ticket'\''.]:ticket:'
        '--timeout[How long to wait for a decision, e.g. 90s, 15m, 2h (default\: forever on a terminal, 30m otherwise).]:duration:'
        '*--token[A pre-issued approval token, or @FILE holding one; repeat for several (also GATE_TOKEN).]:token:'
        '--break-glass[Run now without approval where the policy permits break-glass; needs --reason and leaves an after-review item.]'
        '--server[Ask for approval through this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--no-wait[File the request and end at once\: print its id on standard output and exit 75 (pending); a later '\''gate run --request ID -- CMD'\'' picks up the decision.]'
        '--request[Run the command of this earlier request once it is approved; it waits while the request is pending, unless told not to wait (then exit 75). The command must be exactly the one it was filed for.]:id:'
        '--json-status[Write how the run ended to FILE as JSON (outcome, request_id, approvers, exit_code or signal, code, message), whatever the outcome.]:file:'
        '*:command:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_keygen() {
    local -i ret=1
    local -ar arg_specs=(
        '--name[The approver'\''s name, as the policy will call them.]:name:'
        '--out[Where to write the secret key (default\: $GATE_KEY or ~/.config/gate/key); the public key goes to FILE.pub.]:file:'
        '--user[The unix user who owns this key, for the policy line (default\: you).]:user:'
        '--no-passphrase[Store the secret key unencrypted (for robots and tests only).]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_list() {
    local -i ret=1
    local -ar arg_specs=(
        '--json[Machine-readable output.]'
        '--all[Every request\: also abandoned, decided, finished and cancelled ones (newest first).]'
        '--watch[Keep the list on screen, redrawn whenever it changes (Ctrl-C stops).]'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_show() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:{__gate_custom_complete ---completion show -- positional@0 "${current_word_index}" "$(__gate_cursor_index_in_current_word)"}'
        '--json[Machine-readable output.]'
        '--no-pager[Print long output directly instead of through $PAGER.]'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_approve() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:{__gate_custom_complete ---completion approve -- positional@0 "${current_word_index}" "$(__gate_cursor_index_in_current_word)"}'
        '--key[Your secret key (default\: $GATE_KEY or ~/.config/gate/key).]:file:'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--comment[A comment recorded with the approval.]:comment:'
        '--ttl[How long the approval stays valid, e.g. 90s, 15m, 2h (at most 7d).]:duration:'
        '--print-token[Print the token on standard output, for handing over offline (gate run --token).]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_deny() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:{__gate_custom_complete ---completion deny -- positional@0 "${current_word_index}" "$(__gate_cursor_index_in_current_word)"}'
        '--key[Your secret key (default\: $GATE_KEY or ~/.config/gate/key).]:file:'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--reason[Why; shown to the requester and recorded.]:reason:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_review() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:{__gate_custom_complete ---completion review -- positional@0 "${current_word_index}" "$(__gate_cursor_index_in_current_word)"}'
        '--key[Your secret key (default\: $GATE_KEY or ~/.config/gate/key).]:file:'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--comment[What you found; recorded with the review.]:comment:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_status() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:'
        '--json[Machine-readable output.]'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_wait() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:'
        '--timeout[How long to wait, e.g. 90s, 15m (default\: until decided).]:duration:'
        '--json[Print the final state as JSON on standard output.]'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_cancel() {
    local -i ret=1
    local -ar arg_specs=(
        ':id:'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_whoami() {
    local -i ret=1
    local -ar arg_specs=(
        '--json[Machine-readable output.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_log() {
    local -i ret=1
    local -ar arg_specs=(
        '--json[One JSON object per line, with hashes.]'
        '--request[Only entries for this request id.]:request:'
        '--last[Only the last N entries.]:last:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_mcp() {
    local -i ret=1
    local -ar arg_specs=(
        '--agent[The agent label recorded with each request (default\: $GATE_AGENT).]:name:'
        '--max-output[Bytes of a command'\''s stdout and of its stderr returned to the agent; the rest is dropped and flagged.]:bytes:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_hook() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'claude-code:A Claude Code PreToolUse hook for the Bash tool (reads the hook'\''s JSON on stdin).'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        claude-code)
            "_gate_hook_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_gate_hook_claude-code() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'verify:Walk the hash chain and the signed checkpoints; name the first damage.'
            'checkpoint:Sign a checkpoint of the ledger now and print it (keep a copy elsewhere).'
            'key:Print the ledger'\''s public key (record it; pass it to '\''audit verify --key'\'').'
            'export:Export the ledger for auditors: one row per entry, stable field names (SPEC.md).'
            'evidence:Write one self-contained file that proves one run (SPEC.md §8).'
            'backup:Copy the state database, ledger and checkpoints, consistently, to a new file.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        verify|checkpoint|key|export|evidence|backup)
            "_gate_audit_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_gate_audit_verify() {
    local -i ret=1
    local -ar arg_specs=(
        '--key[The ledger key you expect (gatepk1\:…); refuses a ledger signed by another.]:public-key:'
        '*--checkpoint[A checkpoint kept elsewhere (from '\''gate audit checkpoint'\'' or syslog); repeatable.]:file:'
        '--all-signatures[Verify the signature of every checkpoint, not only the newest.]'
        '--from-server[Also check against the newest checkpoint copy the gate server holds for this ledger (and the key it holds the ledger to).]'
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit_checkpoint() {
    local -i ret=1
    local -ar arg_specs=(
        '--server[Work against this gate server (default\: $GATE_SERVER; unset\: this host'\''s state directory).]:url:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit_key() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit_export() {
    local -i ret=1
    local -ar ___format=('jsonl' 'csv')
    local -ar arg_specs=(
        '--format[The format\: jsonl verifies on its own, csv is for people.]:format:{__gate_complete "${___format[@]}"}'
        '--since[Only entries at or after this time (UTC\: 2026-11-22, 2026-11-22T05\:00\:00Z, or Unix seconds).]:time:'
        '--until[Only entries before this time (same forms).]:time:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit_evidence() {
    local -i ret=1
    local -ar arg_specs=(
        ':run-id:'
        '--out[Where to write the bundle (a new file; '\''-'\'' for standard output).]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_audit_backup() {
    local -i ret=1
    local -ar arg_specs=(
        ':file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_policy() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'check:Validate a policy: line-numbered errors (exit 78) and warnings.'
            'explain:Say which rule matches a command and what it would need, without running anything.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        check|explain)
            "_gate_policy_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_gate_policy_check() {
    local -i ret=1
    local -ar arg_specs=(
        ':file:'
        '--json[Machine-readable output.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_policy_explain() {
    local -i ret=1
    local -ar arg_specs=(
        '--as[Explain for this requester (a unix user name) instead of you.]:as:'
        '--agent[Explain for this agent label (default\: $GATE_AGENT).]:agent:'
        '--json[Machine-readable output.]'
        '*:command:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_serve() {
    local -i ret=1
    local -ar arg_specs=(
        '*:arguments:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_daemon() {
    local -i ret=1
    local -ar arg_specs=(
        '--socket[The socket to listen on.]:path:'
        '--state[The state directory (default $GATE_HOME, else /var/lib/gate).]:dir:'
        '--policy[The policy (default $GATE_POLICY, else /etc/gate/policy).]:file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_gate_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}


# Added by scripts/generate.sh from scripts/completion/gate.zsh. argument-parser cannot say
# "after --, complete a command line", so this does it as sudo's completion does: in
# `gate [OPTIONS] -- CMD ARGS…` (and `gate policy explain -- CMD …`) the words after `--` are
# completed as a command line of their own (_normal: command names, then CMD's own completion).
functions[__gate_parsed]=$functions[_gate]
_gate() {
    local -i i
    for ((i = 2; i < CURRENT; i++)); do
        if [[ ${words[i]} == -- ]]; then
            shift $i words
            (( CURRENT -= i ))
            _normal
            return
        fi
    done
    __gate_parsed "$@"
}

if [[ "${funcstack[1]}" = _gate ]]; then
    _gate "${@}"
else
    compdef _gate gate
fi
