#!/usr/bin/env bash
# The 64 px C-DDPM validation of docs/micro.md §9 "Validation at 64 px".
# Step 1 needs a CUDA GPU and PyTorch (it ran on an NVIDIA H100, torch 2.11);
# steps 2-4 need only tinsel (step 2 ran on 14 CPU threads of the same machine);
# step 5 needs Debian's python3-numpy/-scipy/-skimage/-sklearn/-tifffile/-pil.
# usage: examples/micro/ddpm_validation_64.sh path/to/tinsel OUTDIR [MINUTES]
set -eu
T=${1:?usage: ddpm_validation_64.sh path/to/tinsel OUTDIR [MINUTES]}
O=${2:?usage: ddpm_validation_64.sh path/to/tinsel OUTDIR [MINUTES]}
M=${3:-7.2}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PY:-python3}   # the interpreter with CUDA PyTorch
# 0. the 64 px dataset (1088 seen training crops; bit-identical on both machines, md5 checked)
"$T" micro dataset --size 64 --silhouette-px 0 --out "$O/d64" --quiet
# 1. PyTorch on the GPU: same U-Net, data, schedule, loss, Adam, EMA; batch 32; MINUTES of wall time.
#    Writes model.safetensors (tinsel's checkpoint layout), model_ema.safetensors (sampling file),
#    verify.safetensors and ancestral_torch.npz (seed's sampler, 3 images per cell, on the GPU).
OMP_NUM_THREADS=1 "$PY" "$ROOT/scripts/ddpm_train_torch.py" "$O/d64" --config "$HERE/ddpm_64.ini" \
    --out "$O/ptrain" --minutes "$M" --batch 32 --seed 1 --ancestral 3
# 2. tinsel on CPU threads ([train] threads = 14), batch 8, the same wall time (ran in parallel with 1)
OMP_WAIT_POLICY=active "$T" micro train "$O/d64" --config "$HERE/ddpm_64.ini" --seed 1 --max-minutes "$M" \
    --out "$O/ctrain" || true   # exits 1 where PLplot's drivers are missing (loss.png); the checkpoint is written
"$PY" "$ROOT/scripts/ddpm_train_torch.py" --export-ema "$O/ctrain/model.safetensors" "$O/c_ema.safetensors"
# 3. the PyTorch weights through tinsel: forward vs PyTorch float64 on a fixed input
build/tests/micro/micro_ddpm check "$O/ptrain/model_ema.safetensors" "$O/ptrain/verify.safetensors" || true
# 4. sampling: tinsel DDIM 50 (plain and x0-clipped) of the whole matrix, tinsel ancestral (seed) per cell,
#    PyTorch ancestral (8 per cell) and DDIM 50/200/1000 on the GPU
export OMP_WAIT_POLICY=passive
"$T" micro generate-matrix "$O/ptrain/model_ema.safetensors" -n 3 --ddim 50 --threads 5 --dataset "$O/d64" --out "$O/gm_p"
"$T" micro generate-matrix "$O/ptrain/model_ema.safetensors" -n 3 --ddim 50 --clip-x0 --threads 5 --dataset "$O/d64" --out "$O/gm_pclip"
"$T" micro generate-matrix "$O/c_ema.safetensors" -n 3 --ddim 50 --threads 5 --dataset "$O/d64" --out "$O/gm_c"
i=100
for l in PVD ECD1 ECD2 ECD3; do for h in 0 50 100 300 750 1000 3000; do
  "$T" micro sample "$O/ptrain/model_ema.safetensors" --impurity $l --hours $h -n 3 --threads 1 --seed $i \
      --out "$O/tinsel_ancestral/${l}_$h" --quiet; i=$((i + 1)); done; done
"$PY" "$ROOT/scripts/ddpm_train_torch.py" --sample "$O/ptrain/model_ema.safetensors" --ancestral 8 --seed 2 --out "$O/anc_p"
"$PY" "$ROOT/scripts/ddpm_train_torch.py" --sample "$O/c_ema.safetensors" --ancestral 3 --seed 3 --out "$O/anc_c"
for s in 50 200 1000; do
  "$PY" "$ROOT/scripts/ddpm_train_torch.py" --sample "$O/ptrain/model_ema.safetensors" --ancestral 3 --ddim $s --seed 4 --out "$O/tdd"
done
# 5. the micro pipeline on every set (segmentation forest from real-like crops of seen cells)
/usr/bin/python3 "$ROOT/scripts/ddpm_validate.py" --tinsel "$T" --dataset "$O/d64" --out "$O/validation" \
    tinsel_ancestral="$O/tinsel_ancestral" tinsel_ddim50="$O/gm_p" tinsel_ddim50_clip="$O/gm_pclip" \
    torch_ancestral="$O/anc_p/ancestral_torch.npz" torch_ddim50="$O/tdd/ddim50_torch.npz" \
    torch_ddim200="$O/tdd/ddim200_torch.npz" torch_ddim1000="$O/tdd/ddim1000_torch.npz" \
    cmodel_tinsel_ddim50="$O/gm_c" cmodel_torch_ancestral="$O/anc_c/ancestral_torch.npz"
