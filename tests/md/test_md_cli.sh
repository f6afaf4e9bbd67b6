#!/bin/sh
# md command line: help, a short run with all outputs, restart, bad input
# (exit status 1 or 2, file:line message, no output files).
set -u
T="$1"; SRC="$2"; W=scratch/md_cli
rm -rf "$W"; mkdir -p "$W"
fail() { echo "FAIL: $*"; exit 1; }
"$T" md run --help > "$W/help.txt" || fail "run --help"
grep -q "ensemble" "$W/help.txt" || fail "help lacks ensemble"
"$T" md props --help > /dev/null || fail "props --help"
cat > "$W/in.ini" <<EOI
[potential]
library = $SRC/tests/oracles/md/potentials/AgCuSn.library.meam
params = $SRC/tests/oracles/md/potentials/AgCuSn.meam
elements = Ag Cu Sn
[structure]
lattice = fcc
a = 3.95
repeat = 2 2 2
types = Ag
composition = 0.4 0.4 0.2
[md]
ensemble = nhc
steps = 40
temperature = 500
thermo_every = 10
dump_every = 20
checkpoint_every = 20
msd = true
EOI
"$T" md run "$W/in.ini" --out "$W/run" --quiet > "$W/out.txt" 2>&1 || { cat "$W/out.txt"; fail "md run"; }
for f in thermo.csv thermo.png energy.png msd.png traj.extxyz final.data checkpoint.data checkpoint.step run.ini; do
  [ -s "$W/run/$f" ] || fail "missing $f"
done
[ "$(wc -l < "$W/run/thermo.csv")" -eq 6 ] || fail "thermo rows"
[ "$(grep -c '^32$' "$W/run/traj.extxyz")" -eq 3 ] || fail "trajectory frames"
"$T" md run "$W/in.ini" --out "$W/run" --resume --quiet > "$W/out2.txt" 2>&1 || fail "resume"
head -2 "$W/run/thermo.csv" | tail -1 | grep -q '^40,' || fail "resume did not start at step 40"
# a restart continues the same trajectory (NHC state restored): 40 + 40 steps
# equal 80 steps to rounding
sed 's/steps = 40/steps = 80/; s/checkpoint_every = 20/checkpoint_every = 40/' "$W/in.ini" > "$W/full.ini"
sed 's/checkpoint_every = 20/checkpoint_every = 40/' "$W/in.ini" > "$W/half.ini"
"$T" md run "$W/full.ini" --out "$W/rfull" --quiet > /dev/null 2>&1 || fail "full run"
"$T" md run "$W/half.ini" --out "$W/rhalf" --quiet > /dev/null 2>&1 || fail "half run"
"$T" md run "$W/half.ini" --out "$W/rhalf" --resume --quiet > /dev/null 2>&1 || fail "half resume"
a=$(tail -1 "$W/rfull/thermo.csv" | cut -d, -f7); b=$(tail -1 "$W/rhalf/thermo.csv" | cut -d, -f7)
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-8) }' || fail "restart diverged: $a vs $b"
# the same for Langevin: the noise of step k is keyed by (seed, k), so the
# resumed run draws the uninterrupted run's random numbers
for f in full half; do sed 's/ensemble = nhc/ensemble = langevin/' "$W/$f.ini" > "$W/${f}L.ini"; done
"$T" md run "$W/fullL.ini" --out "$W/rfullL" --quiet > /dev/null 2>&1 || fail "full langevin run"
"$T" md run "$W/halfL.ini" --out "$W/rhalfL" --quiet > /dev/null 2>&1 || fail "half langevin run"
"$T" md run "$W/halfL.ini" --out "$W/rhalfL" --resume --quiet > /dev/null 2>&1 || fail "half langevin resume"
a=$(tail -1 "$W/rfullL/thermo.csv" | cut -d, -f4); b=$(tail -1 "$W/rhalfL/thermo.csv" | cut -d, -f4)
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-8) }' || fail "langevin restart diverged: $a vs $b"
# [stage.N] ramps: NHC 500 -> 800 K (30 steps), then 800 -> 400 K (30 steps);
# the checkpoint at step 50 (middle of the second ramp) resumed in a copy of
# the folder finishes the protocol like the uninterrupted run
sed '/^\[md\]/,$d' "$W/in.ini" > "$W/st.ini"
printf '[md]\nensemble = nhc\nthermo_every = 10\ndump_every = 0\ncheckpoint_every = 25\n[stage.1]\nsteps = 30\ntemperature = 500\ntemperature_stop = 800\n[stage.2]\nsteps = 30\ntemperature = 800\ntemperature_stop = 400\n' >> "$W/st.ini"
"$T" md run "$W/st.ini" --out "$W/rst" --quiet > /dev/null 2>&1 || fail "stage run"
grep -q '^30,.*,800$' "$W/rst/thermo.csv" || fail "stage 1 does not end at 800 K"
grep -q '^60,.*,400$' "$W/rst/thermo.csv" || fail "stage 2 does not end at 400 K"
mkdir -p "$W/rst2"; cp "$W/rst/checkpoint.data" "$W/rst/checkpoint.step" "$W/rst2/"
head -1 "$W/rst2/checkpoint.step" | grep -q '^50$' || fail "stage checkpoint step"
"$T" md run "$W/st.ini" --out "$W/rst2" --resume --quiet > /dev/null 2>&1 || fail "stage resume"
head -2 "$W/rst2/thermo.csv" | tail -1 | grep -q '^50,' || fail "stage resume did not start at 50"
a=$(tail -1 "$W/rst/thermo.csv" | cut -d, -f4); b=$(tail -1 "$W/rst2/thermo.csv" | cut -d, -f4)
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-8) }' || fail "stage restart diverged: $a vs $b"
[ "$(tail -1 "$W/rst/thermo.csv" | cut -d, -f10)" = "$(tail -1 "$W/rst2/thermo.csv" | cut -d, -f10)" ] || fail "stage restart target"
# bad input: unknown key -> exit 1 with file:line, no outputs
printf '[potential]\nlibrary = x\nbogus = 1\n' > "$W/bad.ini"
"$T" md run "$W/bad.ini" --out "$W/badrun" > "$W/bad.txt" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "bad ini exit $rc"
grep -q "bad.ini:3" "$W/bad.txt" || fail "no file:line"
[ ! -e "$W/badrun/thermo.csv" ] || fail "partial output"
# overlapping atoms in a data file
printf 'x\n\n2 atoms\n1 atom types\n0 9 xlo xhi\n0 9 ylo yhi\n0 9 zlo zhi\n\nAtoms\n\n1 1 1 1 1\n2 1 1.1 1 1\n' > "$W/ov.data"
sed "s#^lattice = fcc#file = $W/ov.data#" "$W/in.ini" | grep -v composition > "$W/ov.ini"
"$T" md run "$W/ov.ini" --out "$W/ovrun" > "$W/ov.txt" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "overlap exit $rc"
grep -q "overlap" "$W/ov.txt" || fail "no overlap message"
# a built-in intermetallic POSCAR, replicated 2 x 1 x 2 (8 -> 32 atoms); CG
# relaxation of atoms and cell, a few NVE steps
cat > "$W/imc.ini" <<EOI
[potential]
library = $SRC/tests/oracles/md/potentials/AgCuSn.library.meam
params = $SRC/tests/oracles/md/potentials/AgCuSn.meam
[structure]
file = $SRC/data/md/structures/Ag3Sn_D0a.poscar
replicate = 2 1 2
[minimize]
algo = cg
relax_box = true
[md]
steps = 5
temperature = 10
EOI
"$T" md run "$W/imc.ini" --out "$W/imcrun" --quiet > "$W/imc.txt" 2>&1 || { cat "$W/imc.txt"; fail "poscar run"; }
grep -q "^32 atoms" "$W/imcrun/final.data" || fail "replicate: expected 32 atoms"
sed 's/replicate = 2 1 2/replicate = 2 0 2/' "$W/imc.ini" > "$W/imcbad.ini"
"$T" md run "$W/imcbad.ini" --out "$W/imcbad" > "$W/imcbad.txt" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "bad replicate exit $rc"
grep -q "replicate" "$W/imcbad.txt" || fail "no replicate message"
# usage error
"$T" md run > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "usage exit $rc"
echo "md cli: all checks passed"
