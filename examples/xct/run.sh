#!/bin/sh
# End-to-end xct example: IC phantom -> simulated absorption scan -> reconstructions,
# the real tooth.h5 data set, and the limited-angle study. Run from the repository root
# after building (cmake -S . -B build && cmake --build build -j2). Output in ./xct-example.
set -e
T=${TINSEL:-build/tinsel}
O=${1:-xct-example}
$T xct phantom --nx 96 --ny 4 --nz 48 --layers 3 --out $O/phantom
# the attenuation per 14 nm voxel is ~5e-4; x1000 makes a clearly visible test object
$T xct project $O/phantom/mu.tif --angles 120 --scale 1000 --out $O/scan
for a in fbp sirt sart tv; do
  $T xct recon $O/scan/projections.h5 --algo $a --iters 30 --tv-weight 0.001 --out $O/recon-$a
done
$T xct recon ../shared/data/xct/tooth.h5 --find-center --search 30 --out $O/tooth
$T xct study --angles 141,29,9 --ranges 70,17 --out $O/study
