#!/bin/bash
# Runs `veribound verify` on the ERAN sigmoid net's instances FROM..TO (1-based, in the order of
# ../shared/benchmarks/eran/instances.csv) with a timeout of T seconds each, one line per
# instance: the spec, the answer, the wall time and the stage lines (crown, α-CROWN, bab, milp).
#   scripts/eran-sigmoid-bench.sh dist 1 24 30
# DIST is a build folder (dist, or a copy of an older build to compare against).
set -u
D=$1; A=$2; B=$3; T=$4
E=../shared/benchmarks/eran
err=$(mktemp)
grep SIGMOID $E/instances.csv | sed -n "${A},${B}p" | while IFS=, read -r net spec _; do
  s=$(date +%s.%N)
  ans=$(node "$D/src/cli.js" verify --net "$E/$net" --spec "$E/$spec" --timeout "$T" --backend cpu 2>"$err" | head -1)
  e=$(date +%s.%N)
  echo "$spec $ans $(echo "$e - $s" | bc) $(grep -E 'crown|bab|milp: closed' "$err" | sed 's/veribound: //' | tr '\n' '|' | cut -c1-600)"
done
rm -f "$err"
