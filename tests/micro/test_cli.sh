#!/usr/bin/env bash
# Command-line checks of `tinsel micro`: help, a small synth / segment /
# quantify / kinetics / msssim / dataset run, and bad input (colour image,
# size mismatch, unknown condition, empty label class, too small for the
# scales) -> clear message, non-zero exit, no partial outputs.
set -u
T=${1:?usage: test_cli.sh path/to/tinsel}
W=$(mktemp -d scratch_cli.XXXXXX 2>/dev/null || mktemp -d)
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
expect_fail() { # name, pattern, command...
  local name=$1 pat=$2; shift 2
  if out=$("$@" 2>&1); then bad "$name (exit 0)"; return; fi
  if echo "$out" | grep -q -- "$pat"; then ok "$name"; else bad "$name: message was: $out"; fi
}
"$T" micro --help >/dev/null && ok help || bad help
"$T" micro synth --help | grep -q "µm" && ok "synth --help has units" || bad "synth --help"
"$T" micro synth --level ECD2 --time 300 --width 200 --height 200 --px 0.08 --images 2 --out "$W/s" --quiet >/dev/null \
  && [ -f "$W/s/ECD2_0300h_1.png" ] && [ -f "$W/s/run.ini" ] && ok synth || bad synth
"$T" micro synth --level 45 --time 100 --width 64 --height 64 --out "$W/s45" --quiet >/dev/null && ok "synth level code 45" || bad "synth level 45"
"$T" micro segment "$W/s/ECD2_0300h_0.png" --truth "$W/s/ECD2_0300h_0_labels.png" --px 0.08 --per-class 300 --trees 8 \
  --train-images 2 --out "$W/g" --quiet > "$W/seg.txt" && grep -q "IoU" "$W/seg.txt" && [ -f "$W/g/model.rf" ] && ok segment || bad segment
"$T" micro segment "$W/s/ECD2_0300h_1.png" --model "$W/g/model.rf" --px 0.08 --out "$W/g2" --quiet >/dev/null && ok "segment --model" || bad "segment --model"
"$T" micro quantify "$W/s/ECD2_0300h_0_labels.png" --label-px 0.08 --out "$W/q" --quiet >/dev/null && [ -f "$W/q/labels.csv" ] && ok "quantify labels" || bad "quantify labels"
"$T" micro quantify --images 1 --width 96 --height 96 --px 0.1745 --measured-only --no-segment --out "$W/qc" --quiet >/dev/null \
  && [ -f "$W/qc/conditions_true.csv" ] && ok "quantify chain" || bad "quantify chain"
"$T" micro kinetics "$W/qc/conditions_true.csv" --out "$W/k" --quiet >/dev/null && [ -f "$W/k/fig6d_imc_vs_sqrt_t.png" ] && ok kinetics || bad kinetics
"$T" micro msssim "$W/s/ECD2_0300h_0.png" "$W/s/ECD2_0300h_1.png" | grep -q "MS-SSIM" && ok msssim || bad msssim
"$T" micro dataset --wide 150 --window 100 --stride 25 --size 32 --silhouette-px 8 --out "$W/d" --quiet >/dev/null \
  && [ -f "$W/d/index.csv" ] && [ -f "$W/d/images/PVD_0000h.tif" ] && grep -q unseen "$W/d/index.csv" && ok dataset || bad dataset
/usr/bin/python3 "$(dirname "$0")/check_dataset.py" "$W/d" 100 25 32 150 && ok "dataset against Pillow/tifffile" || bad "dataset check"
"$T" micro synth --matrix --width 64 --height 64 --px 0.26 --out "$W/m" --quiet >/dev/null \
  && "$T" micro quantify --index "$W/m/synth.csv" --label-px 0.26 --out "$W/qi" --quiet >/dev/null \
  && [ "$(wc -l < "$W/qi/conditions.csv")" = 29 ] && ok "quantify --index (28 conditions)" || bad "quantify --index"
printf 'labels,level,time_h\nPVD_0000h_0_labels.png,PVD,40\n' > "$W/m/bad_index.csv"
expect_fail "index: bad time" "bad_index.csv:2: time_h" "$T" micro quantify --index "$W/m/bad_index.csv" --out "$W/x6" --quiet
# bad input
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x08\0\0\0\x08\x08\x02\0\0\0' > "$W/rgb.png"
expect_fail "colour image" "colour PNG" "$T" micro segment "$W/rgb.png" --out "$W/x1" --quiet
[ ! -e "$W/x1/segment.csv" ] && ok "no partial output" || bad "partial output"
"$T" micro synth --level PVD --time 0 --width 100 --height 90 --out "$W/s2" --quiet >/dev/null
expect_fail "size mismatch" "same size" "$T" micro msssim "$W/s/ECD2_0300h_0.png" "$W/s2/PVD_0000h_0.png"
expect_fail "too small for scales" "too small for 5 scales" "$T" micro msssim "$W/s2/PVD_0000h_0.png" "$W/s2/PVD_0000h_0.png"
"$T" micro msssim "$W/s2/PVD_0000h_0.png" "$W/s2/PVD_0000h_0.png" --scales 3 | grep -q "MS-SSIM = 1.000000" && ok "msssim 3 scales identical" || bad "msssim 3 scales"
expect_fail "unknown condition" "unknown impurity\|expected PVD" "$T" micro synth --level ECD7 --out "$W/x2" --quiet
printf 'level,impurity_code,time_h,status,n_images\n9,0,5,0,1\n' > "$W/bad.csv"
expect_fail "bad conditions table" "missing column\|unknown condition" "$T" micro kinetics "$W/bad.csv" --out "$W/x3" --quiet
# an 8 x 8 grey PNG of zeros: a label image holding Cu only
printf '\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x08\x08\x00\x00\x00\x00\xe1\x64\xe1\x57\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\x60\xa0\x0e\x00\x00\x00\x48\x00\x01\x2e\xb8\x3c\x7e\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82' > "$W/cu_only.png"
expect_fail "empty label class" "Cu6Sn5 is empty" "$T" micro quantify "$W/cu_only.png" --out "$W/x4" --quiet
[ ! -e "$W/x4" ] && ok "no output folder on bad input" || bad "output folder created on bad input"
expect_fail "no input" "no input image" "$T" micro segment --out "$W/x5"
rm -rf "$W"
exit $fail
