
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
