#!/usr/bin/env bash
# Regenerates every figure and table of docs/dante.md (about 30 minutes on 2 busy cores; one torch thread).
# Run from the repository root: bash docs/dante/reproduce.sh
set -euo pipefail
export MPLBACKEND=agg
OUT=docs/dante
rm -rf runs/dante-doc && mkdir -p runs/dante-doc
R=runs/dante-doc

# 0. the defaults of `dante train` (sweep on a validation split, then 5 seeds of the defaults on the test split)
python -m dante.bench_defaults --json $OUT/defaults.json | tee $OUT/defaults.txt

# The runs below pin the settings they were first made with (batch 64, T = 5, layer order L..1, leaky ReLU output) so that
# their numbers stay comparable across versions; the defaults of `dante train` are now batch 32, T = 1, a linear output for classifiers.
PIN="--batch-size 64 --sngd-epochs 5 --layer-order backward --output-activation generalized_relu"

# 1. speed benchmarks: interleaved sweeps against an SGD epoch, time to accuracy (Fashion-MNIST 784-100-10 at the paper's
#    setting, digits at the CLI defaults), the before/after comparison of the fast path, and its kernels
python -m dante.bench --json $OUT/bench_fashion_mnist.json --png $OUT/bench_fashion_mnist.png --interleave 7 | tee $OUT/bench_fashion_mnist.txt
python -m dante.bench --data digits --arch 64-100-10 --batch-size 32 --sngd-epochs 1 --dante-lr 0.1 --sgd-lr 0.1 --output-activation identity --epochs 10 --interleave 15 --json $OUT/bench_digits.json --png $OUT/bench_digits.png | tee $OUT/bench_digits.txt
python -m dante.bench --batch-size 32 --sngd-epochs 1 --dante-lr 0.1 --sgd-lr 0.1 --output-activation identity --epochs 10 --interleave 5 --json $OUT/bench_fashion_mnist_defaults.json --png $OUT/bench_fashion_mnist_defaults.png | tee $OUT/bench_fashion_mnist_defaults.txt
python docs/dante/speed_before_after.py --repeats 5 2>&1 | grep -v USDT | tee $OUT/speed_before_after.txt
python -m dante.bench --micro | tee $OUT/bench_micro.txt

# 2. digits 64-100-10: DANTE vs SGD, instruments against the final weights
dante train --data digits --arch 64-100-10 --method dante --lr 0.05 --epochs 20 $PIN --instrument --reference final --out $R/digits-dante --no-progress --threads 1
dante train --data digits --arch 64-100-10 --method sgd --lr 0.1 --epochs 20 $PIN --instrument --reference final --out $R/digits-sgd --no-progress --threads 1
dante plot $R/digits-dante $R/digits-sgd --out $OUT/digits_dante_vs_sgd.png
dante summary $R/digits-dante > $OUT/digits_dante_summary.md
dante summary $R/digits-sgd > $OUT/digits_sgd_summary.md

# 3. DANTE with the phase reference (W* = end of the current alternation phase)
dante train --data digits --arch 64-100-10 --method dante --lr 0.05 --epochs 20 $PIN --instrument --reference phase --out $R/digits-dante-phase --no-progress --threads 1
dante summary $R/digits-dante-phase > $OUT/digits_dante_phase_summary.md

# 4. planted teacher (no biases, as in the theory), instruments against the teacher's weights aligned with the
#    student (--reference teacher); every record also carries the distance/cosine to the teacher as drawn
dante train --data synthetic:20-16-4 --arch 20-16-4 --task regress --no-bias --method dante --lr 0.05 --epochs 40 $PIN --instrument --reference teacher --out $R/teacher-dante --no-progress --threads 1
dante train --data synthetic:20-16-4 --arch 20-16-4 --task regress --no-bias --method sgd --lr 0.3 --epochs 40 $PIN --instrument --reference teacher --out $R/teacher-sgd --no-progress --threads 1
dante plot $R/teacher-dante $R/teacher-sgd --out $OUT/teacher_dante_vs_sgd.png
dante summary $R/teacher-dante > $OUT/teacher_dante_summary.md
dante summary $R/teacher-sgd > $OUT/teacher_sgd_summary.md

# 5. Fashion-MNIST 784-100-10 (the paper's Figure 2 setting, 10 passes), instruments on a fixed 10000-point subset
dante train --data fashion-mnist --arch 784-100-10 --method dante --lr 0.03 --epochs 10 $PIN --instrument --instrument-samples 10000 --reference final --out $R/fmnist-dante --no-progress --threads 1
dante train --data fashion-mnist --arch 784-100-10 --method sgd --lr 0.1 --epochs 10 $PIN --instrument --instrument-samples 10000 --reference final --out $R/fmnist-sgd --no-progress --threads 1
dante plot $R/fmnist-dante $R/fmnist-sgd --out $OUT/fmnist_dante_vs_sgd.png
dante summary $R/fmnist-dante > $OUT/fmnist_dante_summary.md
dante summary $R/fmnist-sgd > $OUT/fmnist_sgd_summary.md
