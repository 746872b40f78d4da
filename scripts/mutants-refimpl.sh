#!/usr/bin/env bash
# Mutation testing of the refimpl's protocol files with cargo-mutants, conformance alone as
# the oracle (docs/mutation.md, issue 13 item 5).
#
#   [MUTANTS_JOBS=J] [MUTANTS_TIMEOUT=S] scripts/mutants-refimpl.sh K/N [OUTDIR]
#   [MUTANTS_JOBS=J] [MUTANTS_TIMEOUT=S] scripts/mutants-refimpl.sh --missed FILE [OUTDIR]
#   [MUTANTS_JOBS=J] [MUTANTS_TIMEOUT=S] scripts/mutants-refimpl.sh --exact FILE [OUTDIR]
#
# `0/1` is the whole run in one invocation: each invocation builds its scratch trees from
# nothing (about 5 minutes for two jobs), so one invocation saves fifteen of those builds
# over sixteen shards. A mutant's oracle run stops at its first conformance failure; one
# that runs past S seconds (default 300; the unmutated oracle takes about 25) is a timeout
# (the refimpl loops).
#
# The second form re-tests only the mutants a FILE of survivors names (a `missed.txt`, as
# kept under docs/mutation/), matched by file, change and function with the line and column
# left out, because lines move between commits: a survivor's function may so bring in a few
# more mutants of the same change.
#
# The third form re-tests exactly the mutants FILE names, line and column kept (names as
# `cargo mutants --list` gives them at this commit): no mutant of the same name elsewhere
# comes in, so the counts are of those mutants only.
#
# Runs shard K of N (round-robin, K from 0) of the cargo-mutants mutants of
# refimpl/src/pma/*.rs, refimpl/src/kernel/*.rs, pm_master.rs, crash.rs and process.rs
# (647 at 40b44b1). Each mutant is tested by `traces/tests/refimpl_oracle.rs` alone
# (`.cargo/mutants-refimpl.toml`): model walks replayed and refimpl recordings (ordinary and
# directed) checked, with the refimpl's own invariant checks off, so that a mutant counts as
# caught only on a divergence or a rejection (or a refimpl panic while it runs a trace).
# Prints the counts as a row for docs/mutation.md's refimpl table. Installs cargo-mutants
# first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/mutants-refimpl.sh K/N [OUTDIR] | --missed FILE [OUTDIR] | --exact FILE [OUTDIR]"
select=()
case "${1:-}" in
  [0-9]*/[0-9]*)
    shard=$1
    k=${shard%/*} n=${shard#*/}
    [ "$((10#$k))" -lt "$((10#$n))" ] || { echo "scripts/mutants-refimpl.sh: shard $shard: K counts from 0 and must be less than N" >&2; exit 2; }
    out=${2:-target/mutants-refimpl/shard-${shard/\//-of-}}
    select=(--shard "$shard" --sharding round-robin)
    ;;
  --missed)
    list=${2:-}
    [ -r "$list" ] || { echo "scripts/mutants-refimpl.sh: --missed: cannot read '${list}'" >&2; exit 2; }
    shard="missed $(basename "$list")"
    out=${3:-target/mutants-refimpl/missed-$(basename "$list" .txt)}
    # One anchored regex per survivor: its file, any line and column, its change, escaped.
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      file=${name%%:*} rest=${name#*: }
      select+=(-F "^$(printf '%s' "$file" | sed 's/[][\\.^$*+?(){}|]/\\&/g'):[0-9]+:[0-9]+: $(printf '%s' "$rest" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
    done < "$list"
    [ ${#select[@]} -gt 0 ] || { echo "scripts/mutants-refimpl.sh: --missed: '$list' names no mutant" >&2; exit 2; }
    ;;
  --exact)
    list=${2:-}
    [ -r "$list" ] || { echo "scripts/mutants-refimpl.sh: --exact: cannot read '${list}'" >&2; exit 2; }
    shard="exact $(basename "$list")"
    out=${3:-target/mutants-refimpl/exact-$(basename "$list" .txt)}
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      select+=(-F "^$(printf '%s' "$name" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
    done < "$list"
    [ ${#select[@]} -gt 0 ] || { echo "scripts/mutants-refimpl.sh: --exact: '$list' names no mutant" >&2; exit 2; }
    ;;
  *) echo "scripts/mutants-refimpl.sh: $usage (got '${1:-}')" >&2; exit 2 ;;
esac
scripts/install-cargo-mutants.sh
mkdir -p "$out"
# cargo-mutants builds each mutant in a scratch copy of the tree; a CARGO_TARGET_DIR shared
# with the tree would mix the mutants' artifacts with the tree's (a later unmutated baseline
# then failed, session 15), so it is not passed on.
unset CARGO_TARGET_DIR
count() { local n; n=$(grep -c . "$1" 2>/dev/null) || true; echo "${n:-0}"; }

# The unmutated tree must pass the oracle (cargo-mutants 27 would run its baseline in the
# mutated package, not in the test package).
cargo test -q --profile mutants -p osfmig-traces --test refimpl_oracle
rc=0
cargo mutants --config .cargo/mutants-refimpl.toml --package osfmig-refimpl \
  --test-package osfmig-traces --jobs "${MUTANTS_JOBS:-1}" --baseline skip --timeout "${MUTANTS_TIMEOUT:-300}" \
  -f 'refimpl/src/pma/*.rs' -f 'refimpl/src/kernel/*.rs' -f refimpl/src/pm_master.rs \
  -f refimpl/src/crash.rs -f refimpl/src/process.rs \
  "${select[@]}" --output "$out" || rc=$?
# cargo-mutants exits 2 when a mutant was missed and 3 on timeouts: results, not failures.
case $rc in 0|2|3) ;; *) echo "cargo mutants failed (exit $rc)" >&2; exit $rc ;; esac
m="$out/mutants.out"
for kind in caught missed unviable timeout; do touch "$m/$kind.txt"; done
generated=$(( $(count "$m/caught.txt") + $(count "$m/missed.txt") + $(count "$m/unviable.txt") + $(count "$m/timeout.txt") ))
echo "| shard $shard | $(git rev-parse --short HEAD) | $generated | $(count "$m/caught.txt") | $(count "$m/missed.txt") | $(count "$m/unviable.txt") | $(count "$m/timeout.txt") |"
echo "missed: $m/missed.txt"
