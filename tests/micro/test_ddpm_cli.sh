#!/usr/bin/env bash
# Command-line checks of the C-DDPM: `tinsel micro train` on a tiny dataset,
# exact resume (the loss trajectory of 2 + 2 resumed steps equals 4
# uninterrupted steps), reproducible `sample`, `generate-matrix` with its
# mosaic and validation table, and bad input (missing checkpoint, image-size
# mismatch, unknown config key, condition outside the trained range: warned).
set -u
T=${1:?usage: test_ddpm_cli.sh path/to/tinsel}
W=$(mktemp -d scratch_ddpm.XXXXXX 2>/dev/null || mktemp -d)
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
expect_fail() { # name, pattern, command...
  local name=$1 pat=$2; shift 2
  if out=$("$@" 2>&1); then bad "$name (exit 0)"; return; fi
  if echo "$out" | grep -q -- "$pat"; then ok "$name"; else bad "$name: message was: $out"; fi
}
"$T" micro train --help | grep -q "attention_levels" && ok "train --help" || bad "train --help"
"$T" micro sample --help | grep -q "hours" && ok "sample --help" || bad "sample --help"
"$T" micro dataset --wide 80 --window 64 --stride 16 --size 16 --px 0.26 --silhouette-px 0 --out "$W/d" --quiet >/dev/null \
  && ok dataset || bad dataset
cat > "$W/c.ini" <<'INI'
[unet]
size = 16
levels = 1
channels = 8,8
attention_levels = 1
temb = 16
cemb = 8
convs = 2
mid_convs = 2
[train]
batch = 2
ema_start = 2
log_every = 1
threads = 1
INI
"$T" micro train "$W/d" --config "$W/c.ini" --steps 4 --out "$W/t4" --quiet >/dev/null \
  && [ -f "$W/t4/model.safetensors" ] && [ -f "$W/t4/loss.csv" ] && ok "train 4 steps" || bad "train 4 steps"
"$T" micro train "$W/d" --config "$W/c.ini" --steps 2 --out "$W/t2" --quiet >/dev/null && ok "train 2 steps" || bad "train 2 steps"
"$T" micro train "$W/d" --config "$W/c.ini" --steps 4 --resume "$W/t2/model.safetensors" --out "$W/t2r" --quiet >/dev/null \
  && ok "resume to 4 steps" || bad "resume"
# step,loss columns: 2 + 2 resumed == 4 uninterrupted, digit for digit (%.17g)
a=$(tail -n +2 "$W/t4/loss.csv" | cut -d, -f1,2)
b=$( (tail -n +2 "$W/t2/loss.csv"; tail -n +2 "$W/t2r/loss.csv") | cut -d, -f1,2)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "resume repeats the loss trajectory exactly" || bad "resume trajectory: '$a' vs '$b'"
cmp -s "$W/t4/model.safetensors" "$W/t2r/model.safetensors" && ok "resumed checkpoint identical" || bad "resumed checkpoint differs"
"$T" micro sample "$W/t4/model.safetensors" --impurity ECD1 --hours 750 -n 2 --ddim 4 --out "$W/s1" --quiet >/dev/null \
  && "$T" micro sample "$W/t4/model.safetensors" --impurity 30 --hours 750 -n 2 --ddim 4 --out "$W/s2" --quiet >/dev/null \
  && [ -f "$W/s1/sample_1.png" ] && cmp -s "$W/s1/samples.tif" "$W/s2/samples.tif" && ok "sample reproducible" || bad "sample"
"$T" micro sample "$W/t4/model.safetensors" --impurity 30 --hours 750 -n 1 --ddim 4 --seed 2 --out "$W/s3" --quiet >/dev/null \
  && ! cmp -s "$W/s1/samples.tif" "$W/s3/samples.tif" && ok "another seed differs" || bad "seed"
out=$("$T" micro sample "$W/t4/model.safetensors" --impurity 200 --hours 750 -n 1 --ddim 2 --out "$W/s4" --quiet 2>&1) \
  && echo "$out" | grep -q "outside the trained range" && ok "out-of-range condition warned" || bad "out-of-range warning: $out"
"$T" micro generate-matrix "$W/t4/model.safetensors" -n 1 --ddim 2 --dataset "$W/d" --real 2 --out "$W/m" --quiet >/dev/null \
  && [ -f "$W/m/mosaic.png" ] && [ -f "$W/m/images/ECD3_3000h.tif" ] && [ "$(wc -l < "$W/m/validation.csv")" = 29 ] \
  && ok generate-matrix || bad generate-matrix
expect_fail "missing checkpoint" "cannot open" "$T" micro sample "$W/none.safetensors" --impurity PVD --hours 0 --out "$W/x1"
[ ! -e "$W/x1" ] && ok "no output on failure" || bad "partial output"
sed 's/size = 16/size = 32/' "$W/c.ini" > "$W/c32.ini"
expect_fail "image size mismatch" "the model needs 32 x 32" "$T" micro train "$W/d" --config "$W/c32.ini" --steps 1 --out "$W/x2"
printf '[unet]\nsize = 16\ncolour = 3\n' > "$W/cbad.ini"
expect_fail "unknown key" "colour" "$T" micro train "$W/d" --config "$W/cbad.ini" --out "$W/x3"
expect_fail "bad impurity" "expected PVD" "$T" micro sample "$W/t4/model.safetensors" --impurity XYZ --hours 5 --out "$W/x4"
expect_fail "no config" "--config" "$T" micro train "$W/d" --out "$W/x5"
rm -rf "$W"
exit $fail
