#!/usr/bin/env bash
# C-DDPM benchmark: one training step (batch B) and one sampling step (one
# U-Net forward of N images) of the same conditional U-Net in tinsel and in
# PyTorch (Debian python3-torch, float32 CPU) at equal threads; ratio =
# PyTorch time / tinsel time (> 1: tinsel faster).  Both: mean over STEPS - 1
# steps after one warm-up step (tinsel: loss.csv times of `micro train`, incl.
# the data draw; sampling: (time of --ddim STEPS - time of --ddim 1) / (STEPS - 1)).
# CPU time: the same differences of process CPU time (/usr/bin/time; PyTorch:
# time.process_time), the figure to read on a shared machine.
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
# process CPU time (user + system, all threads) of a command, in seconds, to $W/cpu
cpu() { /usr/bin/time -f "%U %S" -o "$W/cpu.raw" "$@"; awk '{print $1 + $2}' "$W/cpu.raw" > "$W/cpu"; }
cpu "$T" micro train "$W/d" --config "$W/c.ini" --steps "$K" --out "$W/t" --quiet >/dev/null
c_trainK=$(cat "$W/cpu")
cpu "$T" micro train "$W/d" --config "$W/c.ini" --steps 1 --out "$W/t1" --quiet >/dev/null
c_train1=$(cat "$W/cpu")
# wall: mean over steps 2..K from loss.csv's cumulative seconds (step 1 grows the arena: warm-up, as PyTorch's);
# CPU: (CPU of K steps - CPU of 1 step) / (K - 1), the same steps
t_train=$(awk -F, -v k="$K" 'NR==2 {a=$4} NR==k+1 {b=$4} END {print (b-a)/(k-1)}' "$W/t/loss.csv")
u_train=$(echo "$c_trainK $c_train1 $K" | awk '{print ($1 - $2) / ($3 - 1)}')
samp() { cpu "$T" micro sample "$W/t/model.safetensors" --impurity ECD1 --hours 750 -n $NS --ddim "$1" --threads "$TH" \
          --out "$W/s$1" --quiet > "$W/samp.out"; sed -n 's/.* in \([0-9.]*\) s;.*/\1/p' "$W/samp.out"; }
s1=$(samp 1); u1=$(cat "$W/cpu"); sK=$(samp "$K"); uK=$(cat "$W/cpu")
t_samp=$(echo "$sK $s1 $K" | awk '{print ($1 - $2) / ($3 - 1)}')
u_samp=$(echo "$uK $u1 $K" | awk '{print ($1 - $2) / ($3 - 1)}')
py=$("/usr/bin/python3" "$HERE/ddpm_torch.py" "$CFG" "$B" "$TH" "$K" "$NS")
w_py=$(echo "$py" | awk '/^weights/ {print $2}')
p_train=$(echo "$py" | awk '/^train_s/ {print $2}')
p_samp=$(echo "$py" | awk '/^sample_s/ {print $2}')
q_train=$(echo "$py" | awk '/^train_cpu/ {print $2}')
q_samp=$(echo "$py" | awk '/^sample_cpu/ {print $2}')
echo "C-DDPM U-Net $S px, batch $B, $TH threads ($w_py weights; OMP_WAIT_POLICY=$OMP_WAIT_POLICY; load average $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /))"
printf "%-28s %10s %10s %8s %10s %10s %8s\n" step tinsel_s pytorch_s ratio tinsel_cpu torch_cpu ratio
r() { echo "$1 $2" | awk '{print $1/$2}'; }
printf "%-28s %10.4f %10.4f %8.2f %10.4f %10.4f %8.2f\n" "training step (batch $B)" "$t_train" "$p_train" \
  "$(r "$p_train" "$t_train")" "$u_train" "$q_train" "$(r "$q_train" "$u_train")"
printf "%-28s %10.4f %10.4f %8.2f %10.4f %10.4f %8.2f\n" "sampling step ($NS images)" "$t_samp" "$p_samp" \
  "$(r "$p_samp" "$t_samp")" "$u_samp" "$q_samp" "$(r "$q_samp" "$u_samp")"
echo "wall seconds and process CPU seconds (user + system, all threads) per step; ratio = PyTorch / tinsel"
