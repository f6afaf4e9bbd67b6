#!/bin/sh
# Stochastic EM benchmark (issue #10, seed Table I): for generated trees of
# 50..250 segments (10-50 um, 1 um wide, void at vertex 0, 10 % independent
# normal current variation, 10 years), in one script:
#   BPINN training + inference (100 draws x posterior samples),
#   Monte Carlo with the finite-volume solver (100 draws, 19 cells/wire, BE),
#   Monte Carlo with the exact flux oracle (linear solve per draw),
# and their errors (RMSE over vertices and times / range of the FV mean;
# std errors also relative to the largest std). Ratios printed at the end,
# including MC at equal accuracy of the std: N_eq = 1/(2 e^2) draws give a
# standard error of the std equal to the BPINN's std error e (relative).
# Usage: bench/em/stochastic.sh [BUILD_DIR] [SIZES]   (from the source root)
set -e
B=${1:-build}
SIZES=${2:-"50 100 150 200 250"}
OUT=${TMPDIR:-/tmp}/tinsel_em_stoch
mkdir -p "$OUT"
printf 'segments,train_s,accept,map_rms_jump_Pa,predict_s,fv_mc_s,oracle_s,mean_err_fv,std_err_fv_range,std_err_fv_maxstd,mean_err_oracle,std_err_oracle_maxstd,oracle_vs_fv_mean\n' > "$OUT/table.csv"
for n in $SIZES; do
  "$B/tinsel" em bpinn train --gen-segments "$n" --quiet --out "$OUT/train$n" > /dev/null
  "$B/tinsel" em bpinn predict "$OUT/train$n/model.safetensors" --compare --draws 100 --quiet --out "$OUT/pred$n" > /dev/null
  /usr/bin/python3 - "$OUT" "$n" >> "$OUT/table.csv" <<'PY'
import csv, sys
out, n = sys.argv[1], sys.argv[2]
t = next(csv.DictReader(open(f'{out}/train{n}/train.csv')))
c = next(csv.DictReader(open(f'{out}/pred{n}/calibration.csv')))
print(','.join([n, t['train_s'], t['accept_rate'], t['map_rms_jump_Pa'], c['bpinn_predict_s'], c['fv_mc_s'], c['oracle_s'],
                c['mean_err_vs_fv'], c['std_err_vs_fv_range'], c['std_err_vs_fv_maxstd'], c['mean_err_vs_oracle'],
                c['std_err_vs_oracle_maxstd'], c['oracle_vs_fv_mean']]))
PY
done
/usr/bin/python3 - "$OUT/table.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print('segs  BPINN train+inf (s)  FV MC 100 (s)  oracle MC 100 (s)  mean err (FV)  std err (FV, % max std)  accept')
for r in rows:
    tb = float(r['train_s']) + float(r['predict_s'])
    print('%4s  %19.2f  %13.3f  %17.3f  %12.3f%%  %22.2f%%  %6.2f' % (r['segments'], tb, float(r['fv_mc_s']),
          float(r['oracle_s']), 100 * float(r['mean_err_fv']), 100 * float(r['std_err_fv_maxstd']), float(r['accept'])))
for r in rows:
    tb = float(r['train_s']) + float(r['predict_s'])
    e = float(r['std_err_fv_maxstd'])
    neq = max(2, int(round(1 / (2 * e * e))))
    tmc = float(r['fv_mc_s']) * neq / 100
    print('%s segments: ratio BPINN / FV-MC(100 draws) = %.1f x; FV MC at equal std accuracy (%d draws) %.3f s, '
          'ratio BPINN / that = %.0f x; ratio FV-MC / oracle-MC = %.1f x' % (r['segments'], tb / float(r['fv_mc_s']), neq, tmc,
          tb / tmc, float(r['fv_mc_s']) / float(r['oracle_s'])))
PY
