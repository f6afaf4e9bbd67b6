#!/bin/sh
# Classical ptycho-tomography vs number of angles (at +-70 deg) and angular
# range (at 29 angles), like seed 001 Figs. 3/5; default ptychotomo settings
# (48 x 8 x 48 voxel IC phantom, 16^2 detector, 225 positions per angle,
# 1e6 photons/position, 4 slabs, 50 ePIE iterations per angle, SIRT 50).
# Usage: sh examples/xct/ptychotomo_sweep.sh [path/to/tinsel]   (~1-2 min)
# Prints one row per run; results in docs/xct.md.
T=${1:-build/tinsel}
echo "angles range pcc_vol_classical pcc_vol_approx pcc_vol_ideal dsc_classical dsc_ideal ber_classical ber_ideal"
for a in 57 29 15 9; do
  $T xct ptychotomo --quiet --angles $a --range 70 --out sw_a$a > /dev/null && awk -F, -v a=$a 'NR>1{p[NR-2]=$2; d[NR-2]=$6; b[NR-2]=$7} END{print a, 70, p[0], p[1], p[2], d[0], d[2], b[0], b[2]}' sw_a$a/metrics.csv
done
for r in 45 30 17 10; do
  $T xct ptychotomo --quiet --angles 29 --range $r --out sw_r$r > /dev/null && awk -F, -v r=$r 'NR>1{p[NR-2]=$2; d[NR-2]=$6; b[NR-2]=$7} END{print 29, r, p[0], p[1], p[2], d[0], d[2], b[0], b[2]}' sw_r$r/metrics.csv
done
