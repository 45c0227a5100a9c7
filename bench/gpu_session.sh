#!/usr/bin/env bash
# One prepared GPU session for the GPU points of issues 9 (2: GPU presets that keep the GPU busy; 3: StarGAN v2 in
# 3 minutes) and 13 (1-2: speed at the paper configurations), made to fit one device call of about 10 minutes.
# From the repository root, on a machine with a CUDA GPU, torch, numpy, pillow and matplotlib (the package is used from
# the checkout, nothing is installed):
#     OUT=/some/folder bash bench/gpu_session.sh
#     QUICK=1 DEVICE=cpu OUT=/tmp/gs bash bench/gpu_session.sh     # the same steps, tiny, on a CPU: checks the script
# It writes at most 8 files into $OUT (the device tool brings back 8): the machine, one speed record per configuration
# group (bench/bench_speed.py), and the metrics.json of a v1 and a v2 run of their GPU presets trained for 3 minutes
# each and scored on held-out Toy Faces. Each step has its own time limit, so a slow step cannot take the others' time.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_session}; DEVICE=${DEVICE:-cuda}; PY=${PY:-python3}
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
mkdir -p "$OUT"; WORK=$(mktemp -d)
if [ -n "${QUICK:-}" ]; then ITERS="--iters 2 --warmup 1"; MIN=0.1; EVAL=30; SET="fp32"; PAPER=v1-paper; else ITERS="--iters 20 --warmup 5"; MIN=3; EVAL=100; SET="fp32,bf16,channels_last,fused_adam,cudnn_benchmark,all"; fi
{ nvidia-smi 2>&1 | head -15; $PY -c "import torch, platform; print(platform.platform(), 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"; } > "$OUT/machine.txt" 2>&1
# 1. speed: the Toy Faces presets (CPU and GPU presets on this device), then the paper configurations
timeout 150 $PY bench/bench_speed.py --devices "$DEVICE" --configs v1-toyfaces,v1-toyfaces-gpu,v2-toyfaces,v2-toyfaces-gpu --settings "$SET" $ITERS --paper-on-cpu --out "$OUT/speed_toyfaces.json" > "$WORK/speed1.log" 2>&1 || echo "speed_toyfaces: exit $?" >> "$OUT/machine.txt"
timeout 240 $PY bench/bench_speed.py --devices "$DEVICE" --configs ${PAPER:-v1-paper,v2-afhq} --settings "$SET" $ITERS --paper-on-cpu --out "$OUT/speed_paper.json" > "$WORK/speed2.log" 2>&1 || echo "speed_paper: exit $?" >> "$OUT/machine.txt"
# 2. the GPU presets, 3 minutes of training each, scored by the oracle (v2: latent- and reference-guided)
for m in v1 v2; do
  timeout 300 $PY -m stargan_edu.cli train --model $m --data toyfaces --preset auto --device "$DEVICE" --minutes $MIN --quiet \
      --eval-n $EVAL --out "$WORK/$m" > "$WORK/$m.log" 2>&1 || echo "$m: exit $?" >> "$OUT/machine.txt"
  [ -f "$WORK/$m/metrics.json" ] && cp "$WORK/$m/metrics.json" "$OUT/${m}_metrics.json"
  [ -f "$WORK/$m/config.json" ] && cp "$WORK/$m/config.json" "$OUT/${m}_config.json"
done
tail -n 40 "$WORK"/*.log > "$OUT/logs_tail.txt" 2>&1
ls -la "$OUT"
