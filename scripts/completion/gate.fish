
# Added by scripts/generate.sh from scripts/completion/gate.fish. argument-parser cannot say
# "after --, complete a command line", so this does it as sudo's completion does: in
# `gate [OPTIONS] -- CMD ARGS…` (and `gate policy explain -- CMD …`) the words after `--` are
# completed as a command line of their own (__fish_complete_subcommand).
function __gate_after_terminator
    contains -- -- (commandline -opc)
end
complete -c gate -n __gate_after_terminator -x -a '(__fish_complete_subcommand --fcs-skip=(contains -i -- -- (commandline -opc)))'
