#!/usr/bin/env bash
# One prepared GPU session for the GPU points of issues 9 (2: GPU presets that keep the GPU busy; 3: StarGAN v2 in
# 3 minutes) and 13 (1-2: speed at the paper configurations), made to fit the device tool's 10-minute calls.
# From the repository root, on a machine with a CUDA GPU, torch, numpy, pillow and matplotlib (the package is used from
# the checkout, nothing is installed):
#     OUT=/some/folder bash bench/gpu_session.sh                      # call 1: every step, most important first
#     STEPS=speed_paper OUT=/some/folder bash bench/gpu_session.sh    # call 2, if call 1 ran out of time for it
#     QUICK=1 DEVICE=cpu OUT=/tmp/gs bash bench/gpu_session.sh        # the same steps, tiny, on a CPU: checks the script
# Steps, in this order (STEPS chooses some): v2 and v1 = the GPU presets trained for 3 minutes each and scored on
# held-out Toy Faces (their metrics.json and config.json); speed_toyfaces and speed_paper = bench/bench_speed.py
# records (the Toy Faces presets, then the paper configurations; each record is rewritten after every row, so a step
# cut short keeps what it measured). Each step has its own time limit, and all of them together stop before DEADLINE
# seconds (default 560, under the tool's 600-second calls): a step with under 30 s left is skipped and named in
# machine.txt. It writes at most 8 files into $OUT (the device tool brings them back).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_session}; DEVICE=${DEVICE:-cuda}; PY=${PY:-python3}; DEADLINE=${DEADLINE:-560}
STEPS=${STEPS:-v2 v1 speed_toyfaces speed_paper}
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
mkdir -p "$OUT"; WORK=$(mktemp -d); START=$SECONDS
if [ -n "${QUICK:-}" ]; then ITERS="--iters 2 --warmup 1"; MIN=0.1; EVAL=30; SET="fp32"; PAPER=v1-paper; else ITERS="--iters 20 --warmup 5"; MIN=3; EVAL=100; SET="fp32,bf16,channels_last,fused_adam,cudnn_benchmark,all"; fi
{ nvidia-smi 2>&1 | head -15; $PY -c "import torch, platform; print(platform.platform(), 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"; } > "$OUT/machine.txt" 2>&1

# step NAME LIMIT COMMAND...: run COMMAND with at most LIMIT seconds and never past the DEADLINE
step() {
  local name=$1 limit=$2; shift 2
  local left=$(( DEADLINE - (SECONDS - START) ))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 30 ]; then echo "$name: skipped, $left s left of DEADLINE=$DEADLINE" >> "$OUT/machine.txt"; return; fi
  echo "$name: started at $((SECONDS - START)) s, limit $limit s" >> "$OUT/machine.txt"
  timeout "$limit" "$@" > "$WORK/$name.log" 2>&1 || echo "$name: exit $?" >> "$OUT/machine.txt"
}
for s in $STEPS; do
  case $s in
    v1|v2)
      step "$s" 260 $PY -m stargan_edu.cli train --model "$s" --data toyfaces --preset auto --device "$DEVICE" \
          --minutes $MIN --quiet --eval-n $EVAL --out "$WORK/$s"      # the GPU preset, scored on held-out faces
      for f in metrics config; do [ -f "$WORK/$s/$f.json" ] && cp "$WORK/$s/$f.json" "$OUT/${s}_$f.json"; done ;;
    speed_toyfaces)
      step "$s" 150 $PY bench/bench_speed.py --devices "$DEVICE" --configs v1-toyfaces,v1-toyfaces-gpu,v2-toyfaces,v2-toyfaces-gpu,cyclegan-toyfaces-gpu,v1-joint-toyfaces \
          --settings "$SET" $ITERS --paper-on-cpu --out "$OUT/speed_toyfaces.json" ;;
    speed_paper)
      step "$s" 240 $PY bench/bench_speed.py --devices "$DEVICE" --configs ${PAPER:-v1-paper,v2-afhq} --settings "$SET" $ITERS \
          --paper-on-cpu --out "$OUT/speed_paper.json" ;;
    *) echo "unknown step $s (v1, v2, speed_toyfaces, speed_paper)" >> "$OUT/machine.txt" ;;
  esac
done
echo "done at $((SECONDS - START)) s" >> "$OUT/machine.txt"
tail -n 40 "$WORK"/*.log > "$OUT/logs_tail.txt" 2>&1
ls -la "$OUT"
