#!/usr/bin/env bash
# The exact commands that trained the model-zoo entries (stargan_edu/assets/zoo/*.pt), one function per entry.
# Usage, from the repository root:  bash bench/train_zoo.sh cyclegan-toyfaces   (or v1-toyfaces, v1-joint-toyfaces, v2-toyfaces, all)
# Each run writes runs/zoo-<name>/; add RESUME=1 to continue a stopped run exactly (--resume).
# Then `python bench/make_zoo.py` turns the finished run folders into zoo entries and records their oracle scores.
# v1-toyfaces is `make demo`'s run (1500 iterations of the CPU preset, both cores, measured by bench/bench_demo.py).
# v1-toyfaces-direct has the official, direct-output generator (g_residual=false): chapter 02 shows what it does to the
# backgrounds. It was trained as `stargan-edu demo` when the CPU preset had that generator, D of width 32, d_lr 4e-4 and
# g_lr 1e-4 (2200 iterations); the train command below sets exactly those settings over today's preset.
# v2-toyfaces is the CPU preset (λ_cyc = 4) for 30 minutes of training on both cores (other work at the lowest
# priority): 6443 iterations, the diversity weight decaying over the preset's first 3000 (chapter 07's study,
# bench/v2_ablation.py, where it is the run `cyc4_30`: trained as `--set lambda_cyc=4` before 4 became the preset's value).
# The other shipped entries were trained on a shared 2-core CPU, one thread each, two runs at a time (nice 10):
# --minutes caps the wall-clock training time, --steps is the preset's schedule (the run stops at whichever comes first).
# cyclegan-toyfaces ran in two sessions: first with --minutes 35, then continued with
# RESUME=1 and the --minutes below (the engine resumes exactly, and --minutes counts the training time of both
# sessions). The first session includes about 7 minutes during which its process was stopped (SIGSTOP from
# outside), which counted as training time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
SE="${SE:-.venv/bin/stargan-edu}"
RES=${RESUME:+--resume}

cyclegan-toyfaces() { nice -n 10 $SE train --model cyclegan --data toyfaces --out runs/zoo-cyclegan-toyfaces --steps 2000 --minutes 50 --quiet --no-eval $RES; }
v1-toyfaces()       { $SE demo --out runs/zoo-v1-toyfaces --quiet --device cpu $RES; }
v1-toyfaces-direct() { $SE train --model v1 --data toyfaces --out runs/zoo-v1-toyfaces-direct --steps 2200 --minutes 8.5 --set g_residual=false --set d_conv_dim=32 --set d_lr=0.0004 --set g_lr=0.0001 --quiet $RES; }
v1-joint-toyfaces() { nice -n 10 $SE train --model v1 --data toyfaces-joint --out runs/zoo-v1-joint-toyfaces --steps 4000 --minutes 40 --quiet --no-eval $RES; }
v2-toyfaces()       { OMP_NUM_THREADS=2 $SE train --model v2 --data toyfaces --out runs/zoo-v2-toyfaces --minutes 30 --quiet --eval-n 100 --ckpt-every 500 $RES; }

if [ "${1:-}" = all ]; then
  for n in cyclegan-toyfaces v1-toyfaces v1-toyfaces-direct v1-joint-toyfaces v2-toyfaces; do "$n"; done
else
  "${1:?name an entry: cyclegan-toyfaces, v1-toyfaces, v1-toyfaces-direct, v1-joint-toyfaces, v2-toyfaces or all}"
fi
