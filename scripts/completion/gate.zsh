
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
