#!/usr/bin/env bash
# Mutation testing of model/src with cargo-mutants (docs/mutation.md).
#
#   [MUTANTS_JOBS=J] scripts/mutants.sh K/N [OUTDIR]
#   [MUTANTS_JOBS=J] scripts/mutants.sh --recheck MISSED_FILE [OUTDIR]
#
# The first form runs shard K of N (round-robin; cargo-mutants counts shards from 0, so K is
# 0 … N-1) of every cargo-mutants mutant of the osfmig-model package. The second runs again the mutants named in MISSED_FILE (one
# cargo-mutants name per line, e.g. a shard's missed.txt from an earlier commit), so that a
# shard's misses can be re-examined once the oracle or the model has changed; a name matches
# at any line and column, since edits elsewhere in a file move them.
#
# Stage 1 tests each mutant against the fast oracle (`tests/tests/oracle.rs` on the `mutants`
# preset, verdicts only: see .cargo/mutants.toml). Stage 2 tests the mutants stage 1 missed
# again against the `ci` preset (OSFMIG_ORACLE=ci). It prints the counts as a table row for
# docs/mutation.md. Installs cargo-mutants first if it is missing. With MUTANTS_FAST_ONLY=1
# only stage 1 runs (what CI affords), and "missed" means missed by it.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/mutants.sh K/N [OUTDIR] | --recheck MISSED_FILE [OUTDIR]"
case "${1:-}" in
  --recheck)
    list=${2:?$usage}
    [ -f "$list" ] || { echo "scripts/mutants.sh: --recheck: no such file '$list'" >&2; exit 2; }
    label="recheck of $list"
    out=${3:-target/mutants/recheck}
    ;;
  [0-9]*/[0-9]*)
    shard=$1
    k=${shard%/*} n=${shard#*/}
    [ "$((10#$k))" -lt "$((10#$n))" ] || { echo "scripts/mutants.sh: shard $shard: K counts from 0 and must be less than N" >&2; exit 2; }
    label="shard $shard"
    out=${2:-target/mutants/shard-${shard/\//-of-}}
    ;;
  *) echo "scripts/mutants.sh: $usage (got '${1:-}')" >&2; exit 2 ;;
esac
scripts/install-cargo-mutants.sh
mkdir -p "$out"

# cargo-mutants exits 2 when some mutant was missed and 3 on timeouts; those are results,
# anything else (a failed baseline, a usage error) is not.
run() {
  local rc=0
  cargo mutants --package osfmig-model --test-package osfmig-tests --jobs "${MUTANTS_JOBS:-1}" "$@" || rc=$?
  case $rc in 0|2|3) ;; *) echo "cargo mutants failed (exit $rc)" >&2; exit $rc ;; esac
}

# A line-agnostic pattern per mutant name (regex metacharacters escaped; valid both for
# cargo-mutants' --re and for grep -E), written to $2.
patterns() {
  sed -e 's/[][\\.^$*+?(){}|]/\\&/g' -e 's/^\([^:]*\):[0-9]*:[0-9]*:/^\1:[0-9]+:[0-9]+:/' -e 's/$/$/' "$1" > "$2"
}
# The same, but for exactly these mutants (file, line and column kept): stage 2 runs at the
# commit of stage 1, where a line-agnostic name would also match mutants of the same name that
# stage 1 caught, and count them twice.
exact() {
  sed -e 's/[][\\.^$*+?(){}|]/\\&/g' -e 's/^/^/' -e 's/$/$/' "$1" > "$2"
}
re_args() {
  local p
  args=()
  while IFS= read -r p; do args+=(--re "$p"); done < "$1"
}
# Non-empty lines of a file (0 when it is missing or empty: grep -c prints 0 and fails then).
count() { local n; n=$(grep -c . "$1" 2>/dev/null) || true; echo "${n:-0}"; }
# cargo-mutants 27 applies --re to every mutant but its "delete field" ones, which it always
# lists: keep only the outcomes of the mutants asked for.
only() {
  local dir=$1 pat=$2 kind
  for kind in caught missed unviable timeout; do
    touch "$dir/$kind.txt"
    grep -Ef "$pat" "$dir/$kind.txt" > "$dir/asked-$kind.txt" || true
  done
}

# cargo-mutants 27 runs its own baseline in the mutated package, not in --test-package: the
# baseline is checked here instead (the unmutated tree must pass the oracle), and each stage
# gets an explicit timeout.
cargo test -q --profile mutants -p osfmig-tests --test oracle
if [ -n "${list:-}" ]; then
  patterns "$list" "$out/asked.re"
  re_args "$out/asked.re"
  # Only the files the list names: cargo-mutants 27 would otherwise also run every "delete
  # field" mutant of every file, which --re does not filter (a re-check of 12 names ran 122).
  while IFS= read -r f; do args+=(--file "$f"); done < <(cut -d: -f1 "$list" | sort -u)
  run --baseline skip --timeout 120 "${args[@]}" --output "$out/fast"
  fast="$out/fast/mutants.out"
  only "$fast" "$out/asked.re"
  pre=asked-
else
  run --baseline skip --timeout 120 --shard "$shard" --sharding round-robin --output "$out/fast"
  fast="$out/fast/mutants.out"
  pre=
fi

missed="$fast/${pre}missed.txt"
ci_caught=0
ci_timeout=0
# MUTANTS_FAST_ONLY=1 (CI's rotating shard) stops after stage 1.
if [ -s "$missed" ] && [ "${MUTANTS_FAST_ONLY:-0}" != 1 ]; then
  exact "$missed" "$out/stage2.re"
  re_args "$out/stage2.re"
  while IFS= read -r f; do args+=(--file "$f"); done < <(cut -d: -f1 "$missed" | sort -u)
  OSFMIG_ORACLE=ci cargo test -q --profile mutants -p osfmig-tests --test oracle
  OSFMIG_ORACLE=ci run --baseline skip --timeout 900 "${args[@]}" --output "$out/ci"
  ci=$out/ci/mutants.out
  only "$ci" "$out/stage2.re"
  ci_caught=$(count "$ci/asked-caught.txt")
  ci_timeout=$(count "$ci/asked-timeout.txt")
  missed="$ci/asked-missed.txt"
fi

generated=$(( $(count "$fast/${pre}caught.txt") + $(count "$fast/${pre}missed.txt") + $(count "$fast/${pre}unviable.txt") + $(count "$fast/${pre}timeout.txt") ))
caught=$(( $(count "$fast/${pre}caught.txt") + ci_caught ))
echo "| $label | $(git rev-parse --short HEAD) | $generated | $caught | $(count "$missed") | $(count "$fast/${pre}unviable.txt") | $(( $(count "$fast/${pre}timeout.txt") + ci_timeout )) |"
if [ -n "${list:-}" ]; then
  # A name that matches nothing now: its code was removed or rewritten.
  gone=0
  while IFS= read -r p; do
    grep -qEh "$p" "$fast"/*.txt || { gone=$((gone + 1)); echo "no longer generated: $p"; }
  done < "$out/asked.re"
  echo "asked for $(count "$list"), no longer generated: $gone"
fi
if [ "${MUTANTS_FAST_ONLY:-0}" = 1 ]; then
  echo "missed by stage 1 (stage 2 not run): $missed"
else
  echo "missed after both stages: $missed"
fi
