#!/usr/bin/env bash
# The documented C-DDPM validation run (docs/micro.md §9 "Validation"): a 32 px
# dataset of the 4 x 7 matrix, training on the 16 seen conditions for a fixed
# wall-clock budget, then the whole matrix generated and compared with the
# real-like crops of every cell (seen, unseen, unknown) and with the trivial
# baseline "real crops of the nearest seen condition".
# usage: examples/micro/ddpm_validation.sh path/to/tinsel OUTDIR [MINUTES]
set -eu
T=${1:?usage: ddpm_validation.sh path/to/tinsel OUTDIR [MINUTES]}
O=${2:?usage: ddpm_validation.sh path/to/tinsel OUTDIR [MINUTES]}
M=${3:-26}
HERE=$(cd "$(dirname "$0")" && pwd)
export OMP_WAIT_POLICY=passive   # see docs/micro.md: 20-35x faster on a loaded machine
"$T" micro dataset --size 32 --silhouette-px 0 --out "$O/dataset" --quiet
"$T" micro train "$O/dataset" --config "$HERE/ddpm_32_validation.ini" --seed 1 --max-minutes "$M" --out "$O/train"
"$T" micro generate-matrix "$O/train/model.safetensors" -n 3 --ddim 50 --dataset "$O/dataset" --out "$O/matrix_ddim50"
"$T" micro generate-matrix "$O/train/model.safetensors" -n 3 --ddim 50 --clip-x0 --dataset "$O/dataset" --out "$O/matrix_ddim50_clip"
"$T" micro generate-matrix "$O/train/model.safetensors" -n 3 --dataset "$O/dataset" --out "$O/matrix_ancestral"
