#!/usr/bin/env bash
# Regenerates what is derived from the CLI definitions: shell completions, man/gate.1 and
# man/gate-server.1.
# Run after changing a command or option; a test fails when these are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product gate >/dev/null
bin=.build/debug/gate
"$bin" --generate-completion-script bash > completions/gate.bash
"$bin" --generate-completion-script zsh > completions/gate.zsh
"$bin" --generate-completion-script fish > completions/gate.fish
rm -rf .build/plugins/GenerateManual/outputs
swift package --allow-writing-to-package-directory generate-manual >/dev/null
# The generation date would make every run a change; pin the page to the version instead. A
# blank line between paragraphs of a discussion is an "Empty input line" warning in mdoc: make
# each a paragraph break (.Pp). HelpTextTests checks the pages with groff and man.
manpage() { sed -e 's/^\.Dd .*/.Dd gate '"$("$bin" --version)"'/' -e 's/^[[:space:]]*$/.Pp/' "$1"; }
manpage .build/plugins/GenerateManual/outputs/gate/gate.1 > man/gate.1
manpage .build/plugins/GenerateManual/outputs/gate-server/gate-server.1 > man/gate-server.1
echo "generated completions/gate.{bash,zsh,fish}, man/gate.1 and man/gate-server.1"
