#!/usr/bin/env bash
# Issue 14's bad-input table, re-run: each row prints the exit code and the stderr lines.
# Usage: bash docs/bad_inputs.sh > docs/bad_inputs.md   (issue 14: one line and exit 2 for every bad input)
root=$(cd "$(dirname "$0")/.." && pwd); work=$(mktemp -d); cd "$work"
# run with the project installed (pip install -e .)
export MPLBACKEND=agg
rm -rf file dir w; echo x > file; mkdir -p dir
printf 'PK\003\004garbage' > trunc.npz; head -c 300 $root/docs/check_witnesses/$(ls $root/docs/check_witnesses | head -1) > trunc2.npz
echo "not a zip" > garbage.npz
ROOT="$root" python - <<'PY'
import numpy as np, json
np.savez("badshape.npz", X=np.zeros(16), Y=np.zeros(7), z=np.zeros(3), x=np.zeros(3), eps=0.1, kappa=1.0,
         model=json.dumps({"model": "glm", "activation": {"name": "relu", "b": 1.0}, "loss": "squared"}))
import glob, os
src = sorted(glob.glob(os.environ["ROOT"] + "/docs/check_witnesses/cor1-*.npz"))[0]
d = dict(np.load(src, allow_pickle=False))
np.savez("negeps.npz", **dict(d, eps=np.array(-0.1)))
X = d["X"].copy(); X[0, 0] = np.nan
np.savez("nanx.npz", **dict(d, X=X))
PY
[ -d run1 ] || dante train --epochs 1 --instrument --out run1 >/dev/null 2>&1
mkdir -p rd && echo '{broken' > rd/config.json
row() { local label="$1"; shift; local out; out=$(timeout 120 "$@" 2>&1 >/dev/null < /dev/null); local rc=$?;
  printf '| %s | %s | %s | %s |\n' "$label" "$rc" "$(printf '%s' "$out" | grep -c .)" "$(printf '%s' "$out" | tail -1 | cut -c1-150 | sed 's/|/\\|/g')"; }
echo "Produced by \`bash docs/bad_inputs.sh > docs/bad_inputs.md\`: every bad input gets one line and exit code 2."
echo
echo "| input | exit | stderr lines | last stderr line |"
echo "|---|---|---|---|"
row "slqc check --json file/x.json" slqc check thm1 --budget quick --json file/x.json
row "slqc check --plots <a file>" slqc check thm1 --budget quick --plots file
row "slqc check --corpus <missing folder>" slqc check thm1 --budget quick --corpus missing-folder
row "slqc check --json /proc/x.json" slqc check thm1 --budget quick --json /proc/x.json
row "slqc check --markdown ." slqc check thm1 --budget quick --markdown .
row "slqc check --insert-summary missing.md" slqc check thm1 --budget quick --insert-summary missing.md
row "slqc check --device cuda (no GPU)" slqc check thm1 --budget quick --device cuda
row "slqc check --threads -3" slqc check thm1 --budget quick --threads -3
row "slqc check --jobs 0" slqc check thm1 --budget quick --jobs 0
row "slqc check --jobs -1" slqc check thm1 --budget quick --jobs -1
row "slqc probe --noise nan" slqc probe --noise nan
row "dante train --out <a file>" dante train --epochs 1 --out file
row "dante plot --out /proc/x.png" dante plot run1 --out /proc/x.png
row "dante plot --eps 0.5 (never logged)" dante plot run1 --eps 0.5 --out p.png
row "dante plot --source foo" dante plot run1 --source foo --out p.png
row "dante train --resume, corrupt config.json" dante train --resume rd
row "slqc verify truncated .npz" slqc verify trunc2.npz
row "slqc verify garbage file" slqc verify garbage.npz
row "slqc verify wrong shapes" slqc verify badshape.npz
row "slqc verify, eps < 0 in a witness" slqc verify negeps.npz
row "slqc verify, NaN in X" slqc verify nanx.npz
