#!/bin/sh
# Stochastic EM benchmark (issue #10, seed Table I): for generated trees of
# 50..250 segments (10-50 um, 1 um wide, void at vertex 0, 10 % normal
# current variation with correlation RHO (default 0: independent), 10 years):
#   BPINN training + inference (100 draws x posterior samples),
#   Monte Carlo with the finite-volume solver (100 draws, 19 cells/wire, BE),
#   Monte Carlo with the exact flux oracle (linear solve per draw),
# and their errors (RMSE over vertices and times / range of the FV mean;
# std errors also relative to the largest std). Configurations (CONFIGS):
#   hmc   defaults (j/J0 inputs, Adam 1500, HMC)
#   vi    defaults with mean-field VI
#   hmcz  standardised inputs (--inputs zscore), Adam 300 + BFGS 2000, HMC
# Everything runs on one thread (OMP_NUM_THREADS=1) and costs are CPU
# seconds (user + sys of the command, or clock() inside predict for the
# MCs), because this machine is shared; wall times and the load average are
# recorded too. Ratios at the end, including FV MC at equal accuracy of the
# std: N_eq = 1/(2 e^2) draws give a standard error of the std equal to the
# BPINN's std error e (relative).
# Usage: [RHO=r] bench/em/stochastic.sh [BUILD_DIR] [SIZES] [CONFIGS]   (from the source root)
set -e
B=${1:-build}
SIZES=${2:-"50 100 150 200 250"}
METHODS=${3:-"hmc vi hmcz"}
RHO=${RHO:-0}
OUT=${TMPDIR:-/tmp}/tinsel_em_stoch
export OMP_NUM_THREADS=1
mkdir -p "$OUT"
T=/usr/bin/time
printf 'segments,config,rho,train_s,train_cpu_s,setup_s,map_s,posterior_s,evaluations,accept,noise_sd,map_rms_jump_Pa,predict_s,predict_cpu_s,fv_mc_s,fv_mc_cpu_s,oracle_s,oracle_cpu_s,mean_err_fv,std_err_fv_range,std_err_fv_maxstd,mean_err_oracle,std_err_oracle_maxstd,oracle_vs_fv_mean,oracle_vs_fv_std_maxstd,max_std_input_Pa,max_std_post_Pa,post_coverage_2sd,std_ratio_median,std_ratio_p10,std_ratio_p90,load1\n' > "$OUT/table.csv"
for n in $SIZES; do
  for m in $METHODS; do
    case $m in
      hmc) A="--method hmc" ;;
      vi) A="--method vi" ;;
      hmcz) A="--method hmc --inputs zscore --adam-steps 300 --bfgs-steps 2000" ;;
      *) echo "unknown config $m"; exit 2 ;;
    esac
    $T -f '%e %U %S' -o "$OUT/time_train$n$m" "$B/tinsel" em bpinn train --gen-segments "$n" --rho "$RHO" $A --quiet --out "$OUT/train$n$m" > /dev/null
    "$B/tinsel" em bpinn predict "$OUT/train$n$m/model.safetensors" --rho "$RHO" --compare --draws 100 --quiet --out "$OUT/pred$n$m" > /dev/null
    /usr/bin/python3 - "$OUT" "$n" "$m" "$RHO" >> "$OUT/table.csv" <<'PY'
import csv, os, sys
out, n, m, rho = sys.argv[1:5]
t = next(csv.DictReader(open(f'{out}/train{n}{m}/train.csv')))
c = next(csv.DictReader(open(f'{out}/pred{n}{m}/calibration.csv')))
tt = open(f'{out}/time_train{n}{m}').read().split()
print(','.join([n, m, rho, t['train_s'], '%.2f' % (float(tt[1]) + float(tt[2])), t['setup_s'], t['map_s'], t['posterior_s'],
                t['evaluations'], t['accept_rate'], t['noise_sd'], t['map_rms_jump_Pa'], c['bpinn_predict_s'],
                c['bpinn_predict_cpu_s'], c['fv_mc_s'], c['fv_mc_cpu_s'], c['oracle_s'], c['oracle_cpu_s'],
                c['mean_err_vs_fv'], c['std_err_vs_fv_range'], c['std_err_vs_fv_maxstd'], c['mean_err_vs_oracle'],
                c['std_err_vs_oracle_maxstd'], c['oracle_vs_fv_mean'], c['oracle_vs_fv_std_maxstd'], c['max_std_input_Pa'],
                c['max_std_post_Pa'], c['post_coverage_2sd'], c['std_ratio_median'], c['std_ratio_p10'], c['std_ratio_p90'],
                '%.2f' % os.getloadavg()[0]]))
PY
  done
done
/usr/bin/python3 - "$OUT/table.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print('segs config rho  train CPU s  pred CPU s  FV MC CPU s  oracle CPU s  mean err  std err (%max std)  oracle-vs-FV std  std ratio med (10-90%)  std_in/std_post (MPa)  cover  load')
for r in rows:
    print('%4s %5s %4s %9.2f %10.3f %11.3f %12.3f %8.2f%% %8.2f%%             %6.2f%%          %4.2f (%4.2f-%4.2f)      %6.1f/%6.2f     %5.1f%% %5s' % (
        r['segments'], r['config'], r['rho'], float(r['train_cpu_s']), float(r['predict_cpu_s']), float(r['fv_mc_cpu_s']),
        float(r['oracle_cpu_s']), 100 * float(r['mean_err_fv']), 100 * float(r['std_err_fv_maxstd']),
        100 * float(r['oracle_vs_fv_std_maxstd']), float(r['std_ratio_median']), float(r['std_ratio_p10']),
        float(r['std_ratio_p90']), float(r['max_std_input_Pa']) / 1e6, float(r['max_std_post_Pa']) / 1e6,
        100 * float(r['post_coverage_2sd']), r['load1']))
for r in rows:
    tb = float(r['train_cpu_s']) + float(r['predict_cpu_s'])
    e = float(r['std_err_fv_maxstd'])
    neq = max(2, int(round(1 / (2 * e * e))))
    tmc = float(r['fv_mc_cpu_s']) * neq / 100
    print('%s segments %s rho %s: BPINN train+inference %.2f CPU s; FV MC (100 draws) %.3f CPU s; FV MC at equal std accuracy '
          '(%d draws) %.3f CPU s, BPINN / that = %.0f x' % (r['segments'], r['config'], r['rho'], tb, float(r['fv_mc_cpu_s']),
          neq, tmc, tb / tmc))
PY
