#!/usr/bin/env bash
# Regenerates what is derived from the CLI definitions: shell completions, man/gate.1 and
# man/gate-server.1.
# Run after changing a command or option; a test fails when these are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product gate >/dev/null && swift build --product gate-commands >/dev/null
bin=.build/debug/gate
# argument-parser cannot complete a command line after `--` (gate -- CMD …): a hand-written
# snippet from scripts/completion/ does, added where the shell reads it (bash and fish: at the
# end; zsh: before the lines that run _gate when the file is autoloaded). GeneratedFilesTests
# checks the result the same way.
"$bin" --generate-completion-script bash | cat - scripts/completion/gate.bash > completions/gate.bash
"$bin" --generate-completion-script zsh | awk -v snippet=scripts/completion/gate.zsh '
    /^if \[\[ "\$\{funcstack\[1\]\}" = _gate \]\]; then$/ && !done { while ((getline line < snippet) > 0) print line; print ""; done = 1 }
    { print }' > completions/gate.zsh
"$bin" --generate-completion-script fish | cat - scripts/completion/gate.fish > completions/gate.fish
rm -rf .build/plugins/GenerateManual/outputs
swift package --allow-writing-to-package-directory generate-manual >/dev/null
# The generation date would make every run a change; pin the page to the version instead. A
# blank line between paragraphs of a discussion is an "Empty input line" warning in mdoc: make
# each a paragraph break (.Pp). HelpTextTests checks the pages with groff and man.
manpage() { sed -e 's/^\.Dd .*/.Dd gate '"$("$bin" --version)"'/' -e 's/^[[:space:]]*$/.Pp/' "$1"; }
manpage .build/plugins/GenerateManual/outputs/gate-commands/gate.1 > man/gate.1   # gate-commands holds the commands
manpage .build/plugins/GenerateManual/outputs/gate-server/gate-server.1 > man/gate-server.1
echo "generated completions/gate.{bash,zsh,fish}, man/gate.1 and man/gate-server.1"
