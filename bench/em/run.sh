#!/bin/sh
# em benchmark: tinsel vs the SciPy anchor on the same 250-segment tree.
# Usage: bench/em/run.sh [BUILD_DIR] [--dense]   (from the source root)
set -e
B=${1:-build}
DENSE=${2:-}
"$B/tests/em/bench_em" --dump /tmp/tinsel_em_tree250.txt --armcore examples/em/armcore.sp | tee /tmp/tinsel_em_bench.txt
/usr/bin/python3 bench/em/anchor.py /tmp/tinsel_em_tree250.txt examples/em/armcore.sp $DENSE | tee /tmp/tinsel_em_anchor.txt
/usr/bin/python3 - <<'PY'
import re
t = open('/tmp/tinsel_em_bench.txt').read(); a = open('/tmp/tinsel_em_anchor.txt').read()
ours = float(re.search(r'BE, O\(N\) tree\s+\d+ points: ([0-9.e+-]+) ms', t).group(1))
chol = float(re.search(r'CHOLMOD \(cached factor\)\s+\d+ points: ([0-9.e+-]+) ms', t).group(1))
sps = float(re.search(r'spsolve per step: ([0-9.e+-]+) ms', a).group(1))
lu = float(re.search(r'splu \(cached\) per step: ([0-9.e+-]+) ms', a).group(1))
print('ratio per BE step, 250-segment tree: scipy spsolve / tinsel O(N) = %.1f x; scipy cached splu / tinsel O(N) = %.1f x; '
      'tinsel CHOLMOD / tinsel O(N) = %.1f x' % (sps / ours, lu / ours, chol / ours))
m = re.search(r'dense lstsq \(EMspice style\) per step: ([0-9.e+-]+) s', a)
if m:
    print('ratio EMspice-style dense lstsq / tinsel O(N) = %.3g x' % (float(m.group(1)) * 1e3 / ours))
PY
