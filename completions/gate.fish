function __gate_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gate_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __gate_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gate_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __gate_parse_tokens -S
    set -l unparsed_tokens (__gate_tokens -pc)
    switch $unparsed_tokens[1]
    case 'gate'
        __gate_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'run'
            __gate_parse_subcommand -r 1 'reason=' 'ticket=' 'timeout=' 'token=+' 'break-glass' 'server=' 'no-wait' 'request=' 'json-status=' 'version' 'h/help'
        case 'keygen'
            __gate_parse_subcommand 0 'name=' 'out=' 'user=' 'no-passphrase' 'version' 'h/help'
        case 'list'
            __gate_parse_subcommand 0 'json' 'all' 'watch' 'server=' 'version' 'h/help'
        case 'show'
            __gate_parse_subcommand 1 'json' 'no-pager' 'server=' 'version' 'h/help'
        case 'approve'
            __gate_parse_subcommand 1 'key=' 'server=' 'comment=' 'ttl=' 'print-token' 'version' 'h/help'
        case 'deny'
            __gate_parse_subcommand 1 'key=' 'server=' 'reason=' 'version' 'h/help'
        case 'review'
            __gate_parse_subcommand 1 'key=' 'server=' 'comment=' 'version' 'h/help'
        case 'status'
            __gate_parse_subcommand 1 'json' 'server=' 'version' 'h/help'
        case 'wait'
            __gate_parse_subcommand 1 'timeout=' 'json' 'server=' 'version' 'h/help'
        case 'cancel'
            __gate_parse_subcommand 1 'server=' 'version' 'h/help'
        case 'whoami'
            __gate_parse_subcommand 0 'json' 'version' 'h/help'
        case 'log'
            __gate_parse_subcommand 0 'json' 'request=' 'last=' 'version' 'h/help'
        case 'mcp'
            __gate_parse_subcommand 0 'agent=' 'max-output=' 'version' 'h/help'
        case 'hook'
            __gate_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'claude-code'
                __gate_parse_subcommand 0 'version' 'h/help'
            end
        case 'audit'
            __gate_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'verify'
                __gate_parse_subcommand 0 'key=' 'checkpoint=+' 'all-signatures' 'from-server' 'server=' 'version' 'h/help'
            case 'checkpoint'
                __gate_parse_subcommand 0 'server=' 'version' 'h/help'
            case 'key'
                __gate_parse_subcommand 0 'version' 'h/help'
            case 'export'
                __gate_parse_subcommand 0 'format=' 'since=' 'until=' 'version' 'h/help'
            case 'evidence'
                __gate_parse_subcommand 1 'out=' 'version' 'h/help'
            case 'backup'
                __gate_parse_subcommand 1 'version' 'h/help'
            end
        case 'policy'
            __gate_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'check'
                __gate_parse_subcommand 1 'json' 'version' 'h/help'
            case 'explain'
                __gate_parse_subcommand -r 1 'as=' 'agent=' 'json' 'version' 'h/help'
            end
        case 'serve'
            __gate_parse_subcommand -r 1 'version' 'h/help'
        case 'daemon'
            __gate_parse_subcommand 0 'socket=' 'state=' 'policy=' 'version' 'h/help'
        case 'help'
            __gate_parse_subcommand -r 1 'version'
        end
    end
end

function __gate_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __gate_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __gate_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __gate_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__gate_tokens -p)
    if test -z "$(__gate_tokens -t)"
        set -l index (count (__gate_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'gate' -f
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'run' -d 'Run a command once the policy\'s approvals are verified (the default: gate -- CMD).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'keygen' -d 'Create an approver key pair (Ed25519; the secret key is passphrase-encrypted).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'list' -d 'List what approvers can act on: pending requests and break-glass runs to review (newest first).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'show' -d 'Show everything about one request.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'approve' -d 'Approve a request: sign a token bound to its exact intent.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'deny' -d 'Deny a request (signed, recorded).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'review' -d 'Sign the after-review of a break-glass run (it then leaves \'gate list\').'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'status' -d 'Say where one request stands: pending, approved (ready to run), denied, ran, withdrawn.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'wait' -d 'Wait for a decision on a request, without running it.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'cancel' -d 'Withdraw your pending request (recorded); its approvals can no longer run it.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'whoami' -d 'Say who you are to gate and which mode, state, policy, key and server are in force, and why.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'log' -d 'Show the audit ledger: who asked, who decided, what ran.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'mcp' -d 'Serve gate to an agent host over MCP on stdio (tools: run, explain, status).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'hook' -d 'Agent hooks: judge an agent\'s tool call by gate\'s policy before it runs.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'audit' -d 'Check and export the audit ledger.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'policy' -d 'Check a policy, or explain what it says about a command.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'serve' -d 'Run the gate server (remote approvals): gate serve --listen 127.0.0.1:8780 --state DIR.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'daemon' -d 'Run the gate daemon in the foreground (enforcing mode: commands run as the policy\'s as= user).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" reason' -l 'reason' -d 'Why you are running this; shown to approvers and recorded.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" ticket' -l 'ticket' -d 'A change or incident ticket (e.g. CHG-1234); shown to approvers, recorded, and required where the policy says \'ticket\'.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" timeout' -l 'timeout' -d 'How long to wait for a decision, e.g. 90s, 15m, 2h (default: forever on a terminal, 30m otherwise).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run"' -l 'token' -d 'A pre-issued approval token, or @FILE holding one; repeat for several (also GATE_TOKEN).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" break-glass' -l 'break-glass' -d 'Run now without approval where the policy permits break-glass; needs --reason and leaves an after-review item.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" server' -l 'server' -d 'Ask for approval through this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" no-wait' -l 'no-wait' -d 'File the request and end at once: print its id on standard output and exit 75 (pending); a later \'gate run --request ID -- CMD\' picks up the decision.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" request' -l 'request' -d 'Run the command of this earlier request once it is approved; it waits while the request is pending, unless told not to wait (then exit 75). The command must be exactly the one it was filed for.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" json-status' -l 'json-status' -d 'Write how the run ended to FILE as JSON (outcome, request_id, approvers, exit_code or signal, code, message), whatever the outcome.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" name' -l 'name' -d 'The approver\'s name, as the policy will call them.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" out' -l 'out' -d 'Where to write the secret key (default: $GATE_KEY or ~/.config/gate/key); the public key goes to FILE.pub.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" user' -l 'user' -d 'The unix user who owns this key, for the policy line (default: you).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" no-passphrase' -l 'no-passphrase' -d 'Store the secret key unencrypted (for robots and tests only).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate keygen" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" all' -l 'all' -d 'Every request: also abandoned, decided, finished and cancelled ones (newest first).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" watch' -l 'watch' -d 'Keep the list on screen, redrawn whenever it changes (Ctrl-C stops).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate show" -eq 1' -fka '(__gate_custom_completion ---completion show -- positional@0 (count (__gate_tokens -pc)) (__gate_tokens -tC))'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate show" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate show" no-pager' -l 'no-pager' -d 'Print long output directly instead of through $PAGER.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate show" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate show" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate approve" -eq 1' -fka '(__gate_custom_completion ---completion approve -- positional@0 (count (__gate_tokens -pc)) (__gate_tokens -tC))'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" key' -l 'key' -d 'Your secret key (default: $GATE_KEY or ~/.config/gate/key).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" comment' -l 'comment' -d 'A comment recorded with the approval.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" ttl' -l 'ttl' -d 'How long the approval stays valid, e.g. 90s, 15m, 2h (at most 7d).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" print-token' -l 'print-token' -d 'Print the token on standard output, for handing over offline (gate run --token).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate approve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate deny" -eq 1' -fka '(__gate_custom_completion ---completion deny -- positional@0 (count (__gate_tokens -pc)) (__gate_tokens -tC))'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate deny" key' -l 'key' -d 'Your secret key (default: $GATE_KEY or ~/.config/gate/key).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate deny" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate deny" reason' -l 'reason' -d 'Why; shown to the requester and recorded.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate deny" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate deny" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate review" -eq 1' -fka '(__gate_custom_completion ---completion review -- positional@0 (count (__gate_tokens -pc)) (__gate_tokens -tC))'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate review" key' -l 'key' -d 'Your secret key (default: $GATE_KEY or ~/.config/gate/key).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate review" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate review" comment' -l 'comment' -d 'What you found; recorded with the review.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate review" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate review" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate status" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate status" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate status" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate wait" timeout' -l 'timeout' -d 'How long to wait, e.g. 90s, 15m (default: until decided).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate wait" json' -l 'json' -d 'Print the final state as JSON on standard output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate wait" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate wait" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate wait" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate cancel" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate cancel" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate cancel" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate whoami" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate whoami" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate whoami" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate log" json' -l 'json' -d 'One JSON object per line, with hashes.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate log" request' -l 'request' -d 'Only entries for this request id.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate log" last' -l 'last' -d 'Only the last N entries.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate log" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate log" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate mcp" agent' -l 'agent' -d 'The agent label recorded with each request (default: $GATE_AGENT).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate mcp" max-output' -l 'max-output' -d 'Bytes of a command\'s stdout and of its stderr returned to the agent; the rest is dropped and flagged.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate mcp" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate mcp" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate hook" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate hook" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate hook" -eq 1' -fa 'claude-code' -d 'A Claude Code PreToolUse hook for the Bash tool (reads the hook\'s JSON on stdin).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate hook claude-code" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate hook claude-code" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'verify' -d 'Walk the hash chain and the signed checkpoints; name the first damage.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'checkpoint' -d 'Sign a checkpoint of the ledger now and print it (keep a copy elsewhere).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'key' -d 'Print the ledger\'s public key (record it; pass it to \'audit verify --key\').'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'export' -d 'Export the ledger for auditors: one row per entry, stable field names (SPEC.md).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'evidence' -d 'Write one self-contained file that proves one run (SPEC.md §8).'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate audit" -eq 1' -fa 'backup' -d 'Copy the state database, ledger and checkpoints, consistently, to a new file.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" key' -l 'key' -d 'The ledger key you expect (gatepk1:…); refuses a ledger signed by another.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify"' -l 'checkpoint' -d 'A checkpoint kept elsewhere (from \'gate audit checkpoint\' or syslog); repeatable.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" all-signatures' -l 'all-signatures' -d 'Verify the signature of every checkpoint, not only the newest.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" from-server' -l 'from-server' -d 'Also check against the newest checkpoint copy the gate server holds for this ledger (and the key it holds the ledger to).'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit checkpoint" server' -l 'server' -d 'Work against this gate server (default: $GATE_SERVER; unset: this host\'s state directory).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit checkpoint" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit checkpoint" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit key" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit key" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit export" format' -l 'format' -d 'The format: jsonl verifies on its own, csv is for people.' -rfka 'jsonl csv'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit export" since' -l 'since' -d 'Only entries at or after this time (UTC: 2026-11-22, 2026-11-22T05:00:00Z, or Unix seconds).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit export" until' -l 'until' -d 'Only entries before this time (same forms).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit export" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit evidence" out' -l 'out' -d 'Where to write the bundle (a new file; \'-\' for standard output).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit evidence" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit evidence" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit backup" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate audit backup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate policy" -eq 1' -fa 'check' -d 'Validate a policy: line-numbered errors (exit 78) and warnings.'
complete -c 'gate' -n '__gate_should_offer_completions_for_positional "gate policy" -eq 1' -fa 'explain' -d 'Say which rule matches a command and what it would need, without running anything.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy check" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy check" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy explain" as' -l 'as' -d 'Explain for this requester (a unix user name) instead of you.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy explain" agent' -l 'agent' -d 'Explain for this agent label (default: $GATE_AGENT).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy explain" json' -l 'json' -d 'Machine-readable output.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy explain" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate policy explain" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate serve" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate daemon" socket' -l 'socket' -d 'The socket to listen on.' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate daemon" state' -l 'state' -d 'The state directory (default $GATE_HOME, else /var/lib/gate).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate daemon" policy' -l 'policy' -d 'The policy (default $GATE_POLICY, else /etc/gate/policy).' -rfka ''
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate daemon" version' -l 'version' -d 'Show the version.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate daemon" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gate' -n '__gate_should_offer_completions_for_flags_or_options "gate help" version' -l 'version' -d 'Show the version.'

# Added by scripts/generate.sh from scripts/completion/gate.fish. argument-parser cannot say
# "after --, complete a command line", so this does it as sudo's completion does: in
# `gate [OPTIONS] -- CMD ARGS…` (and `gate policy explain -- CMD …`) the words after `--` are
# completed as a command line of their own (__fish_complete_subcommand).
function __gate_after_terminator
    contains -- -- (commandline -opc)
end
complete -c gate -n __gate_after_terminator -x -a '(__fish_complete_subcommand --fcs-skip=(contains -i -- -- (commandline -opc)))'
