#!/usr/bin/env bash
# The CPU-trained 64 px C-DDPM of docs/micro.md §9 "A CPU-trained 64 px model":
# tinsel alone trains on one thread of this 2-core machine for MINUTES of wall
# time, samples the whole 4 x 7 matrix with the seed's ancestral sampler and
# measures the images with the micro pipeline (scripts/ddpm_validate.py needs
# Debian's python3-numpy/-scipy/-skimage/-sklearn/-tifffile/-pil).
# usage: examples/micro/ddpm_cpu_64.sh path/to/tinsel OUTDIR [MINUTES]
set -eu
T=${1:?usage: ddpm_cpu_64.sh path/to/tinsel OUTDIR [MINUTES]}
O=${2:?usage: ddpm_cpu_64.sh path/to/tinsel OUTDIR [MINUTES]}
M=${3:-70}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export OMP_WAIT_POLICY=passive
"$T" micro dataset --size 64 --silhouette-px 0 --out "$O/d64" --quiet
"$T" micro train "$O/d64" --config "$HERE/ddpm_64_cpu.ini" --seed 1 --max-minutes "$M" --out "$O/train" --quiet
# the seed's ancestral sampler as written, and with x0 clipping (Ho et al.'s code; not in the seed)
"$T" micro generate-matrix "$O/train/model.safetensors" -n 3 --threads 2 --dataset "$O/d64" --out "$O/ancestral" --quiet
"$T" micro generate-matrix "$O/train/model.safetensors" -n 3 --threads 2 --clip-x0 --dataset "$O/d64" \
    --out "$O/ancestral_clip" --quiet
/usr/bin/python3 "$ROOT/scripts/ddpm_validate.py" --tinsel "$T" --dataset "$O/d64" --out "$O/validation" \
    cpu_ancestral="$O/ancestral" cpu_ancestral_clip="$O/ancestral_clip"
# does the model interpolate in ageing time? PVD over 13 times with the same sampling noise
/usr/bin/python3 "$ROOT/scripts/ddpm_hours_sweep.py" --tinsel "$T" --model "$O/train/model.safetensors" \
    --dataset "$O/d64" --forest "$O/validation/forest/model.rf" --clip-x0 --out "$O/hours_sweep"
