#!/bin/sh
# slow tier: coexistence method brackets the melting point of Cu: the
# crystal grows (dU/dt < 0) at 1000 K and melts (dU/dt > 0) at 1700 K
# (experiment 1357.8 K; seed 004: -7 % with its potential). ~3 min on an idle
# 2-core machine (585 s measured under load average 10).
set -u
T="$1"; W=scratch/md_melt
rm -rf "$W"
"$T" md melt --element Cu --tguess 1350 --dt-trial 350 --trials 3 --steps 2500 --nxy 3 --nz 8 \
    --out "$W" --quiet || { echo "FAIL: md melt"; exit 1; }
awk -F, 'NR==2 { lo = $2 } NR==4 { hi = $2 } END { if (lo < 0 && hi > 0) { print "ok: dU/dt(1000 K) =", lo, " dU/dt(1700 K) =", hi; exit 0 } print "FAIL: slopes", lo, hi; exit 1 }' "$W/melt.csv"
