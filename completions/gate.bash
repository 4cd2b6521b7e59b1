#!/bin/bash

__gate_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__gate_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__gate_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__gate_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_gate() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __gate_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    run|keygen|list|show|approve|deny|review|status|wait|cancel|whoami|log|mcp|hook|audit|policy|serve|daemon|help)
        # Offer subcommand argument completions
        "_gate_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'run keygen list show approve deny review status wait cancel whoami log mcp hook audit policy serve daemon help' -- "${cur}"))
        ;;
    esac
}

_gate_run() {
    repeating_flags=()
    non_repeating_flags=(--break-glass --no-wait --version -h --help)
    repeating_options=(--token)
    non_repeating_options=(--reason --ticket --timeout --server --request --json-status)
    __gate_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--reason')
        return
        ;;
    '--ticket')
        return
        ;;
    '--timeout')
        return
        ;;
    '--token')
        return
        ;;
    '--server')
        return
        ;;
    '--request')
        return
        ;;
    '--json-status')
        return
        ;;
    esac
}

_gate_keygen() {
    repeating_flags=()
    non_repeating_flags=(--no-passphrase --version -h --help)
    repeating_options=()
    non_repeating_options=(--name --out --user)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--name')
        return
        ;;
    '--out')
        return
        ;;
    '--user')
        return
        ;;
    esac
}

_gate_list() {
    repeating_flags=()
    non_repeating_flags=(--json --all --watch --version -h --help)
    repeating_options=()
    non_repeating_options=(--server)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    esac
}

_gate_show() {
    repeating_flags=()
    non_repeating_flags=(--json --no-pager --version -h --help)
    repeating_options=()
    non_repeating_options=(--server)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __gate_add_completions -W "$(__gate_custom_complete ---completion show -- positional@0 "${COMP_CWORD}" "$(__gate_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_gate_approve() {
    repeating_flags=()
    non_repeating_flags=(--print-token --version -h --help)
    repeating_options=()
    non_repeating_options=(--key --server --comment --ttl)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--key')
        return
        ;;
    '--server')
        return
        ;;
    '--comment')
        return
        ;;
    '--ttl')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __gate_add_completions -W "$(__gate_custom_complete ---completion approve -- positional@0 "${COMP_CWORD}" "$(__gate_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_gate_deny() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--key --server --reason)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--key')
        return
        ;;
    '--server')
        return
        ;;
    '--reason')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __gate_add_completions -W "$(__gate_custom_complete ---completion deny -- positional@0 "${COMP_CWORD}" "$(__gate_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_gate_review() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--key --server --comment)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--key')
        return
        ;;
    '--server')
        return
        ;;
    '--comment')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __gate_add_completions -W "$(__gate_custom_complete ---completion review -- positional@0 "${COMP_CWORD}" "$(__gate_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_gate_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--server)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    esac
}

_gate_wait() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--timeout --server)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--timeout')
        return
        ;;
    '--server')
        return
        ;;
    esac
}

_gate_cancel() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    esac
}

_gate_whoami() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0
}

_gate_log() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--request --last)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--request')
        return
        ;;
    '--last')
        return
        ;;
    esac
}

_gate_mcp() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--agent --max-output)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--agent')
        return
        ;;
    '--max-output')
        return
        ;;
    esac
}

_gate_hook() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    claude-code)
        # Offer subcommand argument completions
        "_gate_hook_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'claude-code' -- "${cur}"))
        ;;
    esac
}

_gate_hook_claude-code() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0
}

_gate_audit() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    verify|checkpoint|key|export|evidence|backup)
        # Offer subcommand argument completions
        "_gate_audit_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'verify checkpoint key export evidence backup' -- "${cur}"))
        ;;
    esac
}

_gate_audit_verify() {
    repeating_flags=()
    non_repeating_flags=(--all-signatures --from-server --version -h --help)
    repeating_options=(--checkpoint)
    non_repeating_options=(--key --server)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--key')
        return
        ;;
    '--checkpoint')
        return
        ;;
    '--server')
        return
        ;;
    esac
}

_gate_audit_checkpoint() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    esac
}

_gate_audit_key() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0
}

_gate_audit_export() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--format --since --until)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--format')
        __gate_add_completions -W 'jsonl'$'\n''csv'
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    esac
}

_gate_audit_evidence() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--out)
    __gate_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--out')
        return
        ;;
    esac
}

_gate_audit_backup() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 1
}

_gate_policy() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    check|explain)
        # Offer subcommand argument completions
        "_gate_policy_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'check explain' -- "${cur}"))
        ;;
    esac
}

_gate_policy_check() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options 1
}

_gate_policy_explain() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--as --agent)
    __gate_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--as')
        return
        ;;
    '--agent')
        return
        ;;
    esac
}

_gate_serve() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options -1
}

_gate_daemon() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --state --policy)
    __gate_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--state')
        return
        ;;
    '--policy')
        return
        ;;
    esac
}

_gate_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __gate_offer_flags_options -1
}

complete -o filenames -F _gate gate

# Added by scripts/generate.sh from scripts/completion/gate.bash. argument-parser cannot say
# "after --, complete a command line", so this does it as sudo's completion does: in
# `gate [OPTIONS] -- CMD ARGS…` (and `gate policy explain -- CMD …`) CMD completes as a command
# name and ARGS as CMD's own completion completes them (bash-completion's _command_offset), or as
# file names where bash-completion is not loaded. Everything else is the generated _gate's.
__gate_definition="$(declare -f _gate)"
eval "__gate_parsed${__gate_definition#_gate}"
unset __gate_definition
_gate() {
    local -i i
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ "${COMP_WORDS[i]}" == -- ]] || continue
        if declare -F _command_offset >/dev/null; then
            _command_offset $((i + 1))
        elif ((COMP_CWORD == i + 1)); then
            COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
        else
            COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
        fi
        return
    done
    __gate_parsed "${1-gate}" "${2-${COMP_WORDS[COMP_CWORD]}}" "${3-${COMP_WORDS[COMP_CWORD - 1]}}"
}
