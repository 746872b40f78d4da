#!/usr/bin/env bash
# Mutation testing of model/src with cargo-mutants (docs/mutation.md).
#
#   [MUTANTS_JOBS=J] scripts/mutants.sh K/N [OUTDIR]
#
# Runs shard K of N (round-robin) of every cargo-mutants mutant of the osfmig-model package.
# Stage 1 tests each against the fast oracle (`tests/tests/oracle.rs` on the `mutants` preset,
# verdicts only: see .cargo/mutants.toml). Stage 2 tests the mutants stage 1 missed again
# against the `ci` preset (OSFMIG_ORACLE=ci). It prints the shard's counts as a table row
# for docs/mutation.md. Installs cargo-mutants first if it is missing. With
# MUTANTS_FAST_ONLY=1 only stage 1 runs (what CI affords), and "missed" means missed by it.
set -euo pipefail
cd "$(dirname "$0")/.."
shard=${1:?usage: scripts/mutants.sh K/N [OUTDIR]}
case "$shard" in
  [0-9]*/[0-9]*) ;;
  *) echo "scripts/mutants.sh: shard must be K/N, e.g. 1/16 (got '$shard')" >&2; exit 2 ;;
esac
out=${2:-target/mutants/shard-${shard/\//-of-}}
scripts/install-cargo-mutants.sh
mkdir -p "$out"

# cargo-mutants exits 2 when some mutant was missed and 3 on timeouts; those are results,
# anything else (a failed baseline, a usage error) is not.
run() {
  local rc=0
  cargo mutants --package osfmig-model --test-package osfmig-tests --sharding round-robin --jobs "${MUTANTS_JOBS:-1}" "$@" || rc=$?
  case $rc in 0|2|3) ;; *) echo "cargo mutants failed (exit $rc)" >&2; exit $rc ;; esac
}

# cargo-mutants 27 runs its own baseline in the mutated package, not in --test-package: the
# baseline is checked here instead (the unmutated tree must pass the oracle), and each stage
# gets an explicit timeout.
cargo test -q --profile mutants -p osfmig-tests --test oracle
run --baseline skip --timeout 120 --shard "$shard" --output "$out/fast"
fast="$out/fast/mutants.out"
count() { [ -f "$1" ] && grep -c . "$1" || echo 0; }

missed="$fast/missed.txt"
ci_caught=0
ci_timeout=0
# MUTANTS_FAST_ONLY=1 (CI's rotating shard) stops after stage 1.
if [ -s "$missed" ] && [ "${MUTANTS_FAST_ONLY:-0}" != 1 ]; then
  # One exact-name pattern per missed mutant (regex metacharacters escaped).
  args=()
  while IFS= read -r m; do
    args+=(--re "^$(printf '%s' "$m" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
  done < "$missed"
  OSFMIG_ORACLE=ci cargo test -q --profile mutants -p osfmig-tests --test oracle
  OSFMIG_ORACLE=ci run --baseline skip --timeout 900 "${args[@]}" --output "$out/ci"
  # cargo-mutants 27 applies --re to every mutant but its "delete field" ones, which it always
  # lists: stage 2 counts only the mutants stage 1 missed.
  ci=$out/ci/mutants.out
  for kind in caught missed timeout; do
    touch "$ci/$kind.txt"
    grep -Fxf "$fast/missed.txt" "$ci/$kind.txt" > "$out/stage2-$kind.txt" || true
  done
  ci_caught=$(count "$out/stage2-caught.txt")
  ci_timeout=$(count "$out/stage2-timeout.txt")
  missed="$out/stage2-missed.txt"
fi

generated=$(( $(count "$fast/caught.txt") + $(count "$fast/missed.txt") + $(count "$fast/unviable.txt") + $(count "$fast/timeout.txt") ))
caught=$(( $(count "$fast/caught.txt") + ci_caught ))
echo "| shard $shard | $(git rev-parse --short HEAD) | $generated | $caught | $(count "$missed") | $(count "$fast/unviable.txt") | $(( $(count "$fast/timeout.txt") + ci_timeout )) |"
if [ "${MUTANTS_FAST_ONLY:-0}" = 1 ]; then
  echo "missed by stage 1 (stage 2 not run): $missed"
else
  echo "missed after both stages: $missed"
fi
