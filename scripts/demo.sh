#!/usr/bin/env bash
# The README's demo. Argument: the folder holding the built nnrun and nnconv.
set -euo pipefail
BIN="$1"
echo "demo: the demo script is being built; see issue 4" >&2
"$BIN/nnrun"
