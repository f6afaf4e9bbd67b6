#!/bin/sh
# Stochastic EM benchmark (issue #10, seed Table I): for generated trees of
# 50..250 segments (10-50 um, 1 um wide, void at vertex 0, 10 % independent
# normal current variation, 10 years), in one script:
#   BPINN training + inference (100 draws x posterior samples), HMC and VI,
#   Monte Carlo with the finite-volume solver (100 draws, 19 cells/wire, BE),
#   Monte Carlo with the exact flux oracle (linear solve per draw),
# and their errors (RMSE over vertices and times / range of the FV mean;
# std errors also relative to the largest std). Wall and CPU (user + sys)
# seconds of each command are recorded with the load average, because this
# machine is shared. Ratios printed at the end, including MC at equal
# accuracy of the std: N_eq = 1/(2 e^2) draws give a standard error of the
# std equal to the BPINN's std error e (relative).
# Usage: bench/em/stochastic.sh [BUILD_DIR] [SIZES] [METHODS]   (from the source root)
set -e
B=${1:-build}
SIZES=${2:-"50 100 150 200 250"}
METHODS=${3:-"hmc vi"}
OUT=${TMPDIR:-/tmp}/tinsel_em_stoch
mkdir -p "$OUT"
T=/usr/bin/time
printf 'segments,method,train_s,train_cpu_s,setup_s,map_s,posterior_s,evaluations,accept,noise_sd,map_rms_jump_Pa,predict_s,predict_cmd_cpu_s,fv_mc_s,oracle_s,mean_err_fv,std_err_fv_range,std_err_fv_maxstd,mean_err_oracle,std_err_oracle_maxstd,oracle_vs_fv_mean,max_std_input_Pa,max_std_post_Pa,post_coverage_2sd,load1\n' > "$OUT/table.csv"
for n in $SIZES; do
  for m in $METHODS; do
    $T -f '%e %U %S' -o "$OUT/time_train$n$m" "$B/tinsel" em bpinn train --gen-segments "$n" --method "$m" --quiet --out "$OUT/train$n$m" > /dev/null
    $T -f '%e %U %S' -o "$OUT/time_pred$n$m" "$B/tinsel" em bpinn predict "$OUT/train$n$m/model.safetensors" --compare --draws 100 --quiet --out "$OUT/pred$n$m" > /dev/null
    /usr/bin/python3 - "$OUT" "$n" "$m" >> "$OUT/table.csv" <<'PY'
import csv, os, sys
out, n, m = sys.argv[1:4]
t = next(csv.DictReader(open(f'{out}/train{n}{m}/train.csv')))
c = next(csv.DictReader(open(f'{out}/pred{n}{m}/calibration.csv')))
tt = open(f'{out}/time_train{n}{m}').read().split()
tp = open(f'{out}/time_pred{n}{m}').read().split()
print(','.join([n, m, t['train_s'], '%.2f' % (float(tt[1]) + float(tt[2])), t['setup_s'], t['map_s'], t['posterior_s'],
                t['evaluations'], t['accept_rate'], t['noise_sd'], t['map_rms_jump_Pa'], c['bpinn_predict_s'],
                '%.2f' % (float(tp[1]) + float(tp[2])), c['fv_mc_s'], c['oracle_s'], c['mean_err_vs_fv'],
                c['std_err_vs_fv_range'], c['std_err_vs_fv_maxstd'], c['mean_err_vs_oracle'], c['std_err_vs_oracle_maxstd'],
                c['oracle_vs_fv_mean'], c['max_std_input_Pa'], c['max_std_post_Pa'], c['post_coverage_2sd'],
                '%.2f' % os.getloadavg()[0]]))
PY
  done
done
/usr/bin/python3 - "$OUT/table.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print('segs meth  train s (cpu)   pred s  FV MC s  oracle s  mean err  std err (%max std)  std_in/std_post (MPa)  cover  load')
for r in rows:
    print('%4s %4s %6.2f (%5.2f) %7.3f %8.3f %9.3f %8.2f%% %8.2f%%             %6.1f/%6.2f     %5.1f%% %5s' % (
        r['segments'], r['method'], float(r['train_s']), float(r['train_cpu_s']), float(r['predict_s']), float(r['fv_mc_s']),
        float(r['oracle_s']), 100 * float(r['mean_err_fv']), 100 * float(r['std_err_fv_maxstd']),
        float(r['max_std_input_Pa']) / 1e6, float(r['max_std_post_Pa']) / 1e6, 100 * float(r['post_coverage_2sd']), r['load1']))
for r in rows:
    tb = float(r['train_s']) + float(r['predict_s'])
    e = float(r['std_err_fv_maxstd'])
    neq = max(2, int(round(1 / (2 * e * e))))
    tmc = float(r['fv_mc_s']) * neq / 100
    print('%s segments %s: BPINN train+inference %.2f s wall; / FV-MC(100 draws) = %.1f x; FV MC at equal std accuracy '
          '(%d draws) %.3f s, ratio %.0f x; FV-MC / oracle-MC = %.1f x' % (r['segments'], r['method'], tb, tb / float(r['fv_mc_s']),
          neq, tmc, tb / tmc, float(r['fv_mc_s']) / float(r['oracle_s'])))
PY
