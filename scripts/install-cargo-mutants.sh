#!/usr/bin/env bash
# Installs cargo-mutants (crates.io, pinned) when it is missing or another version: the
# mutation score of docs/mutation.md comes from it. Used by scripts/mutants.sh and .ci/run.
set -euo pipefail
want=27.0.0
have=$(cargo mutants --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing cargo-mutants $want (found: ${have:-none})" >&2
  cargo install --locked cargo-mutants --version "$want"
fi
