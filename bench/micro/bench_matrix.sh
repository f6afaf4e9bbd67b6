#!/usr/bin/env bash
# Issue #7 item 10: the whole 28-condition matrix synthesised, segmented and
# quantified (450 x 450 px, one image per condition, forest trained on 4
# labelled images) in under a minute on 2 cores.  Prints the wall time and
# its ratio to the 60 s budget; then the classifier comparison against
# scikit-learn on the same images and features (rf_vs_sklearn.py) as the
# anchor.  Usage: bench/micro/bench_matrix.sh [path/to/tinsel]
set -euo pipefail
T=${1:-build/tinsel}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$(date +%s.%N)
"$T" micro quantify --images 1 --out "$out/q" --quiet
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc)
echo "matrix: 28 conditions x 1 image of 450 x 450 px, $OMP_NUM_THREADS threads: ${wall} s wall (budget 60 s, ratio $(echo "scale=3; $wall / 60" | bc))"
cat "$out/q/iou.csv"
/usr/bin/python3 "$here/rf_vs_sklearn.py" "$T" --threads "$OMP_NUM_THREADS"
rm -rf "$out"
