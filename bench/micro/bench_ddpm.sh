#!/usr/bin/env bash
# C-DDPM benchmark: one training step (batch B) and one sampling step (one
# U-Net forward of N images) of the same conditional U-Net in tinsel and in
# PyTorch (Debian python3-torch, float32 CPU) at equal threads; ratio =
# PyTorch time / tinsel time (> 1: tinsel faster).  Both: mean over STEPS - 1
# steps after one warm-up step (tinsel: loss.csv times of `micro train`, incl.
# the data draw; sampling: (time of --ddim STEPS - time of --ddim 1) / (STEPS - 1)).
# Both run with the same OMP_WAIT_POLICY (default here: passive; see
# docs/micro.md: on a loaded machine libgomp's default spin-waiting makes
# tinsel's many short parallel regions 10-35x slower).
# usage: bench/micro/bench_ddpm.sh path/to/tinsel [SIZE] [BATCH] [THREADS] [STEPS]
set -eu
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
T=${1:?usage: bench_ddpm.sh path/to/tinsel [SIZE BATCH THREADS STEPS]}
S=${2:-64}; B=${3:-8}; TH=${4:-2}; K=${5:-5}; NS=3
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CFG="size=$S channels=1 levels=3 ch=32,64,64,128 attn=0,0,1,1 heads=4 groups=1 temb=64 cemb=16 nconv=4 nmid=6"
"$T" micro dataset --wide $((S + 2 * 8)) --window 64 --stride 8 --size "$S" --px 0.26 --silhouette-px 0 --out "$W/d" --quiet >/dev/null
cat > "$W/c.ini" <<INI
[unet]
size = $S
levels = 3
channels = 32,64,64,128
attention_levels = 2,3
temb = 64
cemb = 16
[train]
batch = $B
threads = $TH
checkpoint_every = 1000000
INI
"$T" micro train "$W/d" --config "$W/c.ini" --steps "$K" --out "$W/t" --quiet >/dev/null
# mean over steps 2..K from loss.csv's cumulative seconds (step 1 grows the arena: warm-up, as PyTorch's)
t_train=$(awk -F, -v k="$K" 'NR==2 {a=$4} NR==k+1 {b=$4} END {print (b-a)/(k-1)}' "$W/t/loss.csv")
samp() { "$T" micro sample "$W/t/model.safetensors" --impurity ECD1 --hours 750 -n $NS --ddim "$1" --threads "$TH" \
          --out "$W/s$1" --quiet | sed -n 's/.* in \([0-9.]*\) s;.*/\1/p'; }
s1=$(samp 1); sK=$(samp "$K")
t_samp=$(echo "$sK $s1 $K" | awk '{print ($1 - $2) / ($3 - 1)}')
py=$(/usr/bin/python3 "$HERE/ddpm_torch.py" "$CFG" "$B" "$TH" "$K" "$NS")
w_py=$(echo "$py" | awk '/^weights/ {print $2}')
p_train=$(echo "$py" | awk '/^train_s/ {print $2}')
p_samp=$(echo "$py" | awk '/^sample_s/ {print $2}')
echo "C-DDPM U-Net $S px, batch $B, $TH threads ($w_py weights; OMP_WAIT_POLICY=$OMP_WAIT_POLICY; load average $(cut -d' ' -f1 /proc/loadavg))"
printf "%-28s %10s %10s %8s\n" step tinsel_s pytorch_s ratio
printf "%-28s %10.4f %10.4f %8.2f\n" "training step (batch $B)" "$t_train" "$p_train" "$(echo "$p_train $t_train" | awk '{print $1/$2}')"
printf "%-28s %10.4f %10.4f %8.2f\n" "sampling step ($NS images)" "$t_samp" "$p_samp" "$(echo "$p_samp $t_samp" | awk '{print $1/$2}')"
