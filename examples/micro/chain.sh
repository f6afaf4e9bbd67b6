#!/usr/bin/env bash
# The micro analysis chain on synthetic micrographs (docs/micro.md, "Worked example").
# Usage: examples/micro/chain.sh [path/to/tinsel] [OUTDIR]
set -euo pipefail
T=${1:-build/tinsel}
O=${2:-out/micro-example}
"$T" micro synth --matrix --out "$O/matrix"
"$T" micro segment "$O/matrix/ECD3_3000h_0.png" --truth "$O/matrix/ECD3_3000h_0_labels.png" --out "$O/segment"
"$T" micro quantify --images 3 --out "$O/quantify"
"$T" micro kinetics "$O/quantify/conditions_true.csv" --compare "$O/quantify/conditions_seg.csv" \
    --name exact --compare-name segmented --out "$O/kinetics"
"$T" micro dataset --size 128 --out "$O/dataset"
"$T" micro msssim "$O/matrix/ECD2_1000h_0.png" "$O/matrix/ECD2_3000h_0.png"
