#!/usr/bin/env bash
# asv smoke run (as numpy and pandas do in CI): every benchmark once, quick profile, in the
# current Python (-E existing), results stored under .asv/ for this commit. It proves the
# benchmarks run; it does not judge timings. Exit 1 if any benchmark or setup_cache failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export MNISTBENCH_ASV_PROFILE="${MNISTBENCH_ASV_PROFILE:-quick}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

asv machine --yes >/dev/null || exit 1
asv run --quick -E existing --set-commit-hash "$(git rev-parse HEAD)" --show-stderr 2>&1 \
  | tee "$log"
status=${PIPESTATUS[0]}
# asv exits 2 when a benchmark fails; a failed setup_cache or a failed parameter shows as
# "failed" at the end of a line. Check both, and that benchmarks were found at all.
if [ "$status" -ne 0 ] || grep -Eq '(failed|setup_cache failed\))[[:space:]]*$' "$log"; then
  echo "asv smoke run: a benchmark failed (asv exit status $status)" >&2
  exit 1
fi
if ! grep -Eq 'Running [1-9][0-9]* total benchmarks' "$log"; then
  echo "asv smoke run: no benchmarks were run" >&2
  exit 1
fi
asv publish >/dev/null || exit 1
echo "asv smoke run: every benchmark ran; HTML in .asv/html (asv preview)"
